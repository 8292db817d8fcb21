"""The backend protocol (what a broker adapter implements) and the ``memory://`` backend.

A backend moves opaque bytes per channel between processes; everything else (local
subscriptions, queues, overflow, gaps for subscribers, ``exclude``, websocket relays) is
the hub's (:mod:`.hub`). A third-party backend subclasses :class:`Backend`, is returned
from the ``erlen_broadcast_backends`` hook for its URL scheme, and passes
:class:`erlen.plugins.broadcast.testing.BackendConformance`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: ``deliver(channel, raw)``: hand one received message to the hub. Synchronous and
#: never blocking; call it from the event loop the backend was started on.
Deliver = Callable[[str, bytes], None]
#: ``lost(channels)``: messages of these channels may have been missed (a reconnect);
#: call it once the backend receives again, so subscribers can resync at once.
Lost = Callable[[list[str]], None]


class Backend:
    """Base class of broadcast backends: one instance per hub (per app, per process).

    ``url`` is ``BROADCAST_URL``; ``config`` the app's config (read the ``BROADCAST_*``
    keys you honour). Methods are called from one event loop.
    """

    #: Whether messages from other processes can arrive (False: ``memory://``). The hub
    #: warns when a process-local backend runs in several ``kernel run`` workers.
    shared = True

    def __init__(self, url: str, config: Any) -> None:
        self.url = url
        self.config = config

    async def start(self, deliver: Deliver, lost: Lost) -> None:
        """Connect (retrying up to ``BROADCAST_CONNECT_TIMEOUT``) and start receiving;
        raise :class:`~erlen.plugins.broadcast.BroadcastConfigError` or ``ConnectionError``
        with one clear line when that fails."""
        raise NotImplementedError

    async def close(self) -> None:
        """Flush pending publishes briefly, stop every task, close every connection."""
        raise NotImplementedError

    async def publish(self, channel: str, raw: bytes) -> None:
        """Send ``raw`` to every process subscribed to ``channel`` (this one included).

        Raise :class:`~erlen.plugins.broadcast.BroadcastUnavailable` when the broker does
        not take it within ``BROADCAST_PUBLISH_TIMEOUT``. Calls from one task are
        delivered in call order."""
        raise NotImplementedError

    async def subscribe(self, channel: str) -> None:
        """Start receiving ``channel`` (the first local subscriber joined). Return once
        a message published from now on is sure to arrive (the broker confirmed)."""
        raise NotImplementedError

    def unsubscribe(self, channel: str) -> None:
        """Stop receiving ``channel`` (its last local subscriber left). Must not block:
        it may run while a task is being cancelled."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Facts for ``broadcast.stats()`` (``connected``, ``reconnects``...)."""
        return {}


class MemoryBackend(Backend):
    """``memory://``: one process. A publish is delivered before ``publish`` returns;
    no task, no connection, no dependency."""

    shared = False

    def __init__(self, url: str, config: Any) -> None:
        super().__init__(url, config)
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver, lost: Lost) -> None:
        self._deliver = deliver

    async def close(self) -> None:
        self._deliver = None

    async def publish(self, channel: str, raw: bytes) -> None:
        deliver = self._deliver
        if deliver is not None:
            deliver(channel, raw)

    async def subscribe(self, channel: str) -> None:
        return None

    def unsubscribe(self, channel: str) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"connected": True, "reconnects": 0}
