"""What a subscription yields (:class:`Message`, :class:`Gap`) and the plugin's errors."""

from __future__ import annotations

from typing import Any

__all__ = [
    "BroadcastClosed",
    "BroadcastConfigError",
    "BroadcastError",
    "BroadcastUnavailable",
    "Gap",
    "Message",
    "MessageTooLarge",
    "SubscriberTooSlow",
]

#: Payload kinds on the wire: JSON made by ``app.json``, a ``str``, ``bytes``.
KIND_JSON = "j"
KIND_TEXT = "t"
KIND_BYTES = "b"


class Message:
    """One published message, as a subscriber receives it.

    One ``Message`` object per received message per process is shared by every local
    subscriber, so treat it (and :attr:`data`) as read-only.
    """

    __slots__ = ("_data", "_loads", "_text", "channel", "kind", "raw", "sender")

    def __init__(self, channel: str, kind: str, raw: bytes, sender: str | None, loads: Any) -> None:
        #: The channel it was published to.
        self.channel = channel
        #: ``"j"`` (JSON from ``app.json``), ``"t"`` (a ``str``) or ``"b"`` (``bytes``).
        self.kind = kind
        #: The payload bytes exactly as published (UTF-8 JSON or text, or the bytes).
        self.raw = raw
        #: The id of the subscription that published it with ``exclude=``, else None.
        self.sender = sender
        self._loads = loads
        self._text: str | None = None
        self._data: Any = _UNSET

    @property
    def text(self) -> str:
        """The payload as text: the JSON or the string that was published.

        A ``bytes`` message has no text: ``TypeError`` (use :attr:`raw`)."""
        text = self._text
        if text is None:
            if self.kind == KIND_BYTES:
                raise TypeError("a bytes message has no text; read .raw or .data")
            text = self._text = self.raw.decode("utf-8")
        return text

    @property
    def data(self) -> Any:
        """The published value: decoded JSON, a ``str`` or ``bytes`` (decoded once, cached)."""
        data = self._data
        if data is _UNSET:
            kind = self.kind
            if kind == KIND_JSON:
                data = self._loads(self.raw)
            elif kind == KIND_TEXT:
                data = self.text
            else:
                data = self.raw
            self._data = data
        return data

    def __repr__(self) -> str:
        return f"<Message {self.channel!r} {self.raw[:60]!r}>"


class _Unset:
    __slots__ = ()


_UNSET: Any = _Unset()


class Gap:
    """Some messages of :attr:`channel` may not have reached this subscription.

    ``reason`` is ``"reconnect"`` (the connection to the broker was lost, then restored:
    what was published meanwhile is unknown, ``missed`` is None) or ``"overflow"`` (the
    subscriber read too slowly and ``missed`` messages were dropped, the oldest first).
    A gap comes exactly where the messages are missing: after the ones received before.
    """

    __slots__ = ("channel", "missed", "reason")

    def __init__(self, channel: str, reason: str, missed: int | None) -> None:
        self.channel = channel
        self.reason = reason
        self.missed = missed

    def as_json(self) -> dict[str, Any]:
        """The object ``broadcast.join`` sends to a websocket for this gap."""
        return {
            "type": "gap",
            "channel": self.channel,
            "reason": self.reason,
            "missed": self.missed,
            "message": "Connection to the message broker was lost; some messages may be missing."
            if self.reason == "reconnect"
            else "This connection read too slowly; some messages were skipped.",
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Gap):
            return NotImplemented
        return (self.channel, self.reason, self.missed) == (
            other.channel,
            other.reason,
            other.missed,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Gap({self.channel!r}, {self.reason!r}, missed={self.missed!r})"


class BroadcastError(Exception):
    """Base class of the broadcast plugin's errors."""


class BroadcastUnavailable(BroadcastError):
    """The broker did not take a message within ``BROADCAST_PUBLISH_TIMEOUT``.

    The message was not delivered, or its fate is unknown (the connection broke while it
    was in flight); it is never retried behind the caller's back.
    """


class BroadcastClosed(BroadcastError):
    """The hub is shut down (lifespan shutdown ran): nothing can be published any more."""


class BroadcastConfigError(BroadcastError):
    """``BROADCAST_*`` config is wrong (bad URL, unknown scheme, a missing package)."""


class MessageTooLarge(BroadcastError, ValueError):
    """The encoded message is bigger than ``BROADCAST_MAX_MESSAGE_SIZE``."""


class SubscriberTooSlow(BroadcastError):
    """With ``BROADCAST_OVERFLOW = "disconnect"``: this subscription fell
    ``BROADCAST_QUEUE_SIZE`` messages behind and was ended."""
