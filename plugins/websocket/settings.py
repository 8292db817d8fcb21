"""The websocket plugin's config keys, their defaults, and the values read from them.

``WEBSOCKET_MAX_MESSAGE_SIZE`` (bytes, 16 MiB): the largest message a client may send;
a bigger one closes the connection with 1009 ("message too big") and the handler's
``receive()`` raises :class:`~erlen.exceptions.ConnectionClosed` with that code. ``None``
disables the check (the ASGI server's own limit still applies: hypercorn's
``websocket_max_message_size``, also 16 MiB).

``WEBSOCKET_SEND_QUEUE_SIZE`` (32): how many ``send()`` calls to one connection may wait
at once on a slow client (each waiting send holds its message). One more send means the
client does not read fast enough: the connection is closed with 1008 and the sender gets
``ConnectionClosed``. This bounds the memory a slow client can pin, broadcasts included.
``None`` disables the check.

``WEBSOCKET_SEND_TIMEOUT`` (10 seconds): how long a ``send()`` may wait on a client that
does not read (no send to it completing meanwhile). Then the connection is closed with
1008 and the waiting senders get ``ConnectionClosed``: a single sender stuck on a client
that stopped reading is released too, which the queue bound alone cannot do. Checked by
the connection watch (:mod:`.watch`), so it is exact to a quarter second. ``None``
disables it.

``WEBSOCKET_DISCONNECT_TIMEOUT`` (10 seconds): how long a handler may keep running once its
connection has ended (the client left, or the app closed it), for its cleanup. A handler
still running then (one that caught the cancellation and went on awaiting) is logged as a
warning naming the route, and cancelled once more. ``None`` disables it.
"""

from __future__ import annotations

from typing import Any

#: Config keys the plugin adds, with their defaults (``app.config.setdefault``).
DEFAULTS: dict[str, Any] = {
    "WEBSOCKET_MAX_MESSAGE_SIZE": 16 * 1024 * 1024,
    "WEBSOCKET_SEND_QUEUE_SIZE": 32,
    "WEBSOCKET_SEND_TIMEOUT": 10.0,
    "WEBSOCKET_DISCONNECT_TIMEOUT": 10.0,
}

#: Close codes (RFC 6455, section 7.4.1).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_ABNORMAL = 1006
CLOSE_POLICY_VIOLATION = 1008
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011


class WebsocketSettings:
    """The limits of one app, read from its config (again whenever the config changes)."""

    __slots__ = ("disconnect_timeout", "max_message_size", "send_queue_size", "send_timeout")

    def __init__(self, config: Any) -> None:
        size = config.get("WEBSOCKET_MAX_MESSAGE_SIZE")
        queue = config.get("WEBSOCKET_SEND_QUEUE_SIZE")
        self.max_message_size: int | None = int(size) if size is not None else None
        self.send_queue_size: int | None = int(queue) if queue is not None else None
        timeout = config.get("WEBSOCKET_SEND_TIMEOUT")
        self.send_timeout: float | None = float(timeout) if timeout is not None else None
        linger = config.get("WEBSOCKET_DISCONNECT_TIMEOUT")
        self.disconnect_timeout: float | None = float(linger) if linger is not None else None
