"""The hub: local subscriptions, bounded queues, gaps, ``exclude`` and websocket relays.

Backend-independent. A backend hands each received message to :meth:`Broadcast._deliver`
(synchronous): it builds one :class:`~.events.Message` and appends it to the queue of
every local subscription of the channel, never awaiting, so a slow subscriber cannot
stall the others or the backend's reader. Each queue holds at most
``BROADCAST_QUEUE_SIZE`` events; past that the oldest is dropped and the subscriber reads
a counted :class:`~.events.Gap` first (or, with ``BROADCAST_OVERFLOW = "disconnect"``, the
subscription ends with :class:`~.events.SubscriberTooSlow`).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import secrets
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from .backend import Backend, MemoryBackend
from .events import (
    KIND_BYTES,
    KIND_JSON,
    KIND_TEXT,
    BroadcastClosed,
    BroadcastConfigError,
    Gap,
    Message,
    MessageTooLarge,
    SubscriberTooSlow,
)
from .redis_backend import RedisBackend
from .settings import DEFAULTS, HubSettings, default_url, mask_url, scheme_of
from .wire import decode, encode

logger = logging.getLogger("erlen.broadcast")

#: The longest channel name (printable characters).
MAX_CHANNEL_LENGTH = 200
#: Seconds between two log lines about messages dropped for one channel's slow readers.
DROP_LOG_INTERVAL = 10.0
#: WebSocket close code for a joined client dropped by ``BROADCAST_OVERFLOW = "disconnect"``.
CLOSE_POLICY_VIOLATION = 1008

#: This process's part of every subscription id (``exclude`` works across processes).
_PROCESS_TOKEN = secrets.token_hex(6)

BackendFactory = Callable[[str, Any], Backend]


class Subscription:
    """One subscriber of one channel: ``async with hub.subscribe(ch) as sub``, then
    ``async for event in sub`` yields :class:`Message` and :class:`Gap` in order.

    The subscription is live exactly inside the ``async with`` block; the ``async for``
    ends when the hub shuts down.
    """

    __slots__ = (
        "_closed",
        "_error",
        "_front",
        "_hub",
        "_limit",
        "_queue",
        "_waiter",
        "channel",
        "id",
    )

    def __init__(self, hub: Broadcast, channel: str) -> None:
        self._hub = hub
        #: The channel this subscription receives.
        self.channel = channel
        #: Unique across processes: ``publish(..., exclude=sub)`` skips this subscription.
        self.id = f"{_PROCESS_TOKEN}.{next(hub._ids)}"
        self._queue: collections.deque[Message | Gap] = collections.deque()
        self._limit = 0
        self._front: Gap | None = None  # the gap for messages dropped from the front
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._error: BaseException | None = None

    async def __aenter__(self) -> Subscription:
        await self._hub._add(self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._hub._remove(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message | Gap:
        queue = self._queue
        while True:
            front = self._front
            if front is not None:
                self._front = None
                return front
            if queue:
                return queue.popleft()
            if self._closed:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    def __repr__(self) -> str:
        return f"<Subscription {self.channel!r} id={self.id} queued={len(self._queue)}>"

    # --- called by the hub, synchronously ------------------------------------------

    def _push(self, event: Message | Gap) -> int:
        """Queue ``event``; the number of messages dropped to make room (0 or 1)."""
        queue = self._queue
        dropped = 0
        if len(queue) >= self._limit:
            if self._hub._settings_overflow == "disconnect":
                self._end(SubscriberTooSlow(f"subscriber of {self.channel!r} fell behind"))
                return 1
            old = queue.popleft()
            front = self._front
            if type(old) is Gap:
                # A reconnect gap pushed out: what precedes the rest is now unknown.
                self._front = Gap(self.channel, "reconnect", None)
            else:
                dropped = 1
                if front is None:
                    self._front = Gap(self.channel, "overflow", 1)
                elif front.missed is not None:
                    front.missed += 1
        queue.append(event)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return dropped

    def _end(self, error: BaseException | None = None) -> None:
        if self._closed:
            return
        self._closed = True
        self._error = error
        if error is not None:
            self._queue.clear()
            self._front = None
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)


class Broadcast:
    """A broadcast hub: publish to channels, subscribe, relay channels to websockets.

    In an app, use the ``broadcast`` proxy (the current app's hub, made by the plugin).
    Elsewhere (a script, a cron job, another service)::

        async with Broadcast("redis://localhost:6379/0") as hub:
            await hub.publish("room", {"text": "hello"})

    ``config`` holds ``BROADCAST_*`` keys (read when the hub starts; an app passes its
    ``app.config``); ``url`` overrides its ``BROADCAST_URL``. ``json`` is the JSON
    provider (an app's ``app.json``; default: msgspec); ``backends`` returns the URL
    schemes and their backend classes (default: the built-in ones).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        config: Mapping[str, Any] | None = None,
        json: Any = None,
        backends: Callable[[], Mapping[str, BackendFactory]] | None = None,
        on_first_use: Callable[[Broadcast], None] | None = None,
    ) -> None:
        base = {**DEFAULTS, "BROADCAST_URL": default_url()}
        overrides = {"BROADCAST_URL": url} if url else {}
        self._config: Mapping[str, Any] = ChainMap(overrides, config or {}, base)  # type: ignore[arg-type]
        self._json = json if json is not None else _MsgspecJSON()
        self._backends = backends or builtin_backends
        self._on_first_use = on_first_use
        self._ids = itertools.count(1)
        self._reset()

    def _reset(self) -> None:
        self._backend: Backend | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting: asyncio.Future[Backend] | None = None
        self._channels: dict[str, dict[Subscription, None]] = {}
        self._subscribing: dict[str, asyncio.Future[None]] = {}
        self._relays: dict[tuple[Any, str], tuple[Subscription, asyncio.Task[None]]] = {}
        self._closed = False
        self._queue_size = int(DEFAULTS["BROADCAST_QUEUE_SIZE"])
        self._max_size = int(DEFAULTS["BROADCAST_MAX_MESSAGE_SIZE"])
        self._settings_overflow = DEFAULTS["BROADCAST_OVERFLOW"]
        self._published = 0
        self._delivered = 0
        self._dropped = 0
        self._drops: dict[str, list[float]] = {}  # channel -> [last log time, unlogged drops]

    # --- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``BROADCAST_URL``, password masked."""
        return mask_url(self._config.get("BROADCAST_URL"))

    @property
    def backend(self) -> Backend | None:
        """The running backend, or None before the hub started."""
        return self._backend

    @property
    def started(self) -> bool:
        """Whether the backend is connected (or being connected) in this event loop."""
        return self._backend is not None

    def make_backend(self) -> Backend:
        """The backend for ``BROADCAST_URL`` (not started). BroadcastConfigError for an
        unknown scheme, listing the known ones."""
        url = self._config.get("BROADCAST_URL")
        scheme = scheme_of(url)
        assert isinstance(url, str)
        known = self._backends()
        factory = known.get(scheme)
        if factory is None:
            raise BroadcastConfigError(
                f"BROADCAST_URL {mask_url(url)!r}: unknown scheme {scheme!r};"
                f" known schemes: {', '.join(sorted(known))}"
            )
        return factory(url, self._config)

    async def start(self) -> None:
        """Connect the backend now (lifespan startup does it; otherwise the first publish
        or subscribe does). Raises BroadcastConfigError or ConnectionError in one line."""
        await self._ensure_started()

    async def _ensure_started(self) -> Backend:
        loop = asyncio.get_running_loop()
        if self._loop is not loop and self._loop is not None:
            # The event loop this hub ran on is gone (a test per loop, a new serve):
            # its tasks and futures died with it, so start over.
            self._drop_for_new_loop()
        backend = self._backend
        if backend is not None:
            return backend
        if self._closed:
            raise BroadcastClosed("the broadcast hub is shut down")
        starting = self._starting
        if starting is not None:
            return await asyncio.shield(starting)
        self._loop = loop
        starting = self._starting = loop.create_future()
        try:
            settings = HubSettings(self._config)
            backend = self.make_backend()
            await backend.start(self._deliver, self._lost)
        except BaseException as exc:
            self._starting = None
            self._loop = None
            starting.set_exception(exc)
            starting.exception()  # retrieved: only awaiters should see it
            raise
        self._queue_size = settings.queue_size
        self._max_size = settings.max_message_size
        self._settings_overflow = settings.overflow
        self._backend = backend
        self._starting = None
        starting.set_result(backend)
        if self._on_first_use is not None:
            self._on_first_use(self)
        return backend

    def _drop_for_new_loop(self) -> None:
        ids = self._ids
        self._reset()
        self._ids = ids

    async def close(self) -> None:
        """Shut down: publishing raises BroadcastClosed from now on, every ``async for``
        ends, relays stop, the backend flushes briefly and disconnects."""
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            self._drop_for_new_loop()
        self._closed = True
        for subs in list(self._channels.values()):
            for sub in subs:
                sub._end()
        relays = [task for _sub, task in self._relays.values()]
        for task in relays:
            task.cancel()
        if relays:
            await asyncio.gather(*relays, return_exceptions=True)
        backend, self._backend = self._backend, None
        if backend is not None:
            await backend.close()

    def reopen(self) -> None:
        """Allow a closed hub to start again (a new lifespan after a shutdown)."""
        if self._backend is None:
            self._closed = False

    async def __aenter__(self) -> Broadcast:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- publish ---------------------------------------------------------------------

    async def publish(self, channel: str, data: Any, *, exclude: Any = None) -> None:
        """Send ``data`` to every subscriber of ``channel`` in every process.

        ``data`` is a ``str`` (sent as text), ``bytes`` (binary), or anything the app's
        JSON provider encodes (dicts, lists, msgspec Structs, dataclasses...). ``exclude``
        is a :class:`Subscription` or a joined websocket that should not receive it.
        Raises :class:`MessageTooLarge` past ``BROADCAST_MAX_MESSAGE_SIZE``,
        :class:`BroadcastUnavailable` when the broker does not take it within
        ``BROADCAST_PUBLISH_TIMEOUT``, :class:`BroadcastClosed` after shutdown.
        """
        _check_channel(channel)
        if type(data) is str:
            kind, payload = KIND_TEXT, data.encode("utf-8")
        elif isinstance(data, (bytes, bytearray, memoryview)):
            kind, payload = KIND_BYTES, bytes(data)
        else:
            kind, payload = KIND_JSON, self._json.dumps_bytes(data)
        backend = self._backend
        if backend is None or self._loop is not asyncio.get_running_loop():
            backend = await self._ensure_started()
        if len(payload) > self._max_size:
            raise MessageTooLarge(
                f"a {len(payload)}-byte message is bigger than BROADCAST_MAX_MESSAGE_SIZE"
                f" ({self._max_size})"
            )
        sender = None
        if exclude is not None:
            sender = self._sender_id(channel, exclude)
        if self._closed:
            raise BroadcastClosed("the broadcast hub is shut down")
        await backend.publish(channel, encode(kind, sender, payload))
        self._published += 1

    def _sender_id(self, channel: str, exclude: Any) -> str | None:
        if isinstance(exclude, Subscription):
            return exclude.id
        relay = self._relays.get((_connection(exclude), channel))
        return relay[0].id if relay is not None else None

    # --- subscribe -------------------------------------------------------------------

    def subscribe(self, channel: str) -> Subscription:
        """A subscription to ``channel``: ``async with broadcast.subscribe(ch) as sub``.

        Once the ``async with`` is entered, every message published later reaches it
        (or a :class:`Gap` says it may not have)."""
        _check_channel(channel)
        return Subscription(self, channel)

    async def _add(self, sub: Subscription) -> None:
        backend = self._backend
        if backend is None or self._loop is not asyncio.get_running_loop():
            backend = await self._ensure_started()
        if self._closed:
            raise BroadcastClosed("the broadcast hub is shut down")
        sub._limit = self._queue_size
        channel = sub.channel
        subs = self._channels.get(channel)
        if subs is not None:
            subs[sub] = None
            pending = self._subscribing.get(channel)
            if pending is not None:
                await asyncio.shield(pending)
            return
        self._channels[channel] = {sub: None}
        pending = self._subscribing[channel] = asyncio.get_running_loop().create_future()
        try:
            await backend.subscribe(channel)
        except BaseException:
            self._remove(sub)
            raise
        finally:
            del self._subscribing[channel]
            pending.set_result(None)

    def _remove(self, sub: Subscription) -> None:
        sub._end()
        channel = sub.channel
        subs = self._channels.get(channel)
        if subs is None or subs.pop(sub, 0) is not None:
            return  # not (or no longer) registered
        if not subs:
            del self._channels[channel]
            backend = self._backend
            if backend is not None:
                backend.unsubscribe(channel)

    # --- delivery (called by the backend) --------------------------------------------

    def _deliver(self, channel: str, raw: bytes) -> None:
        subs = self._channels.get(channel)
        if not subs:
            return
        decoded = decode(raw)
        if decoded is None:
            return
        kind, sender, payload = decoded
        message = Message(channel, kind, payload, sender, self._json.loads)
        dropped = 0
        count = 0
        for sub in subs:
            if sub._closed or (sender is not None and sub.id == sender):
                continue
            count += 1
            queue = sub._queue
            if len(queue) < sub._limit:
                # Room in the queue: what _push does when nothing must be dropped, inline
                # because this runs once per delivery (the fan-out tests pin both paths).
                queue.append(message)
                waiter = sub._waiter
                if waiter is not None:
                    sub._waiter = None
                    if not waiter.done():
                        waiter.set_result(None)
            else:
                dropped += sub._push(message)
        self._delivered += count
        if dropped:
            self._count_drops(channel, dropped)

    def _lost(self, channels: list[str]) -> None:
        for channel in channels:
            subs = self._channels.get(channel)
            if not subs:
                continue
            for sub in subs:
                if not sub._closed:
                    self._dropped += sub._push(Gap(channel, "reconnect", None))

    def _count_drops(self, channel: str, dropped: int) -> None:
        self._dropped += dropped
        assert self._loop is not None
        now = self._loop.time()
        entry = self._drops.get(channel)
        if entry is None:
            entry = self._drops[channel] = [now - DROP_LOG_INTERVAL, 0]
        entry[1] += dropped
        if now - entry[0] >= DROP_LOG_INTERVAL:
            policy = self._settings_overflow
            logger.warning(
                "Broadcast channel %r: %d messages not delivered to subscribers that read"
                " too slowly (BROADCAST_QUEUE_SIZE=%d, BROADCAST_OVERFLOW=%s); at most one"
                " such line per channel every %d s",
                channel,
                entry[1],
                self._queue_size,
                policy,
                DROP_LOG_INTERVAL,
            )
            entry[0] = now
            entry[1] = 0
        if len(self._drops) > 1024:  # forget quiet channels: bounded memory
            self._drops.clear()

    # --- websockets ------------------------------------------------------------------

    async def join(self, channel: str, websocket: Any) -> None:
        """Relay ``channel`` to ``websocket`` until it closes.

        Returns once the subscription is live; a task then sends each message as it was
        published (JSON or text as a text frame, bytes as a binary frame) and each gap
        as a JSON object with ``"type": "gap"``. The relay ends when a send fails (the
        client left), when :meth:`leave` is called, when the task that called ``join``
        (the websocket handler) ends, or at shutdown. Joining twice is a no-op.
        """
        connection = _connection(websocket)
        key = (connection, channel)
        if key in self._relays:
            return
        sub = self.subscribe(channel)
        await sub.__aenter__()
        if key in self._relays:  # joined concurrently while we waited
            self._remove(sub)
            return
        task = asyncio.get_running_loop().create_task(self._relay(connection, sub))
        self._relays[key] = (sub, task)
        task.add_done_callback(lambda _t: self._relay_done(key, sub))
        owner = asyncio.current_task()
        if owner is not None:
            # The relay lives as long as the handler: it cannot outlive the connection
            # even when the client leaves while nothing is being sent.
            owner.add_done_callback(lambda _t: task.cancel())

    async def leave(self, channel: str, websocket: Any) -> None:
        """Stop relaying ``channel`` to ``websocket`` (nothing happens if not joined)."""
        relay = self._relays.get((_connection(websocket), channel))
        if relay is None:
            return
        _sub, task = relay
        task.cancel()
        if task is not asyncio.current_task():
            await asyncio.gather(task, return_exceptions=True)

    def _relay_done(self, key: tuple[Any, str], sub: Subscription) -> None:
        relay = self._relays.get(key)
        if relay is not None and relay[0] is sub:
            del self._relays[key]
        self._remove(sub)

    async def _relay(self, connection: Any, sub: Subscription) -> None:
        try:
            async for event in sub:
                if type(event) is Message:
                    await connection.send(event.raw if event.kind == KIND_BYTES else event.text)
                else:
                    assert isinstance(event, Gap)
                    await connection.send(self._json.dumps(event.as_json()))
        except SubscriberTooSlow:
            await connection.close(CLOSE_POLICY_VIOLATION, "Too slow for the broadcast")
        except asyncio.CancelledError as exc:
            if type(exc) is asyncio.CancelledError:
                raise
            # ConnectionClosed (a CancelledError subclass): the client left.

    # --- introspection ---------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters of this process: ``connected``, ``url``, ``channels``,
        ``subscriptions``, ``published``, ``delivered``, ``dropped``, ``reconnects``."""
        backend = self._backend
        facts = backend.describe() if backend is not None else {}
        return {
            "url": self.url,
            "connected": bool(facts.get("connected", False)),
            "reconnects": int(facts.get("reconnects", 0)),
            "channels": len(self._channels),
            "subscriptions": sum(len(subs) for subs in self._channels.values()),
            "relays": len(self._relays),
            "published": self._published,
            "delivered": self._delivered,
            "dropped": self._dropped,
        }


def _check_channel(channel: Any) -> None:
    if (
        type(channel) is not str
        or not channel
        or len(channel) > MAX_CHANNEL_LENGTH
        or not channel.isprintable()
    ):
        raise ValueError(
            f"A broadcast channel is a non-empty str of at most {MAX_CHANNEL_LENGTH}"
            f" printable characters, not {channel!r:.80}"
        )


def _connection(websocket: Any) -> Any:
    """The connection object behind ``websocket`` (the ``websocket`` proxy or the object).

    ``_get_current_object`` is werkzeug's public method on its context proxies (the
    kernel offers no other way to resolve the ``websocket`` global)."""
    resolve = getattr(websocket, "_get_current_object", None)
    return resolve() if resolve is not None else websocket


class _MsgspecJSON:
    """The JSON provider of a hub made outside an app."""

    __slots__ = ("_decoder", "_encoder")

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder()

    def dumps_bytes(self, obj: Any) -> bytes:
        return self._encoder.encode(obj)

    def dumps(self, obj: Any) -> str:
        return self._encoder.encode(obj).decode("utf-8")

    def loads(self, data: str | bytes) -> Any:
        return self._decoder.decode(data)


def builtin_backends() -> dict[str, BackendFactory]:
    """The schemes Erlen serves itself (the plugin's own ``erlen_broadcast_backends``)."""
    return {
        "memory": MemoryBackend,
        "redis": RedisBackend,
        "rediss": RedisBackend,
        "valkey": RedisBackend,
        "valkeys": RedisBackend,
        "unix": RedisBackend,
    }
