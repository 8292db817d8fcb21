"""``redis://``, ``rediss://``, ``unix://`` (and ``valkey://``, ``valkeys://``): Redis pub/sub
through redis-py's asyncio client (``pip install 'erlen[redis]'``).

Per process: one subscriber connection read by one task, one publish connection written
by one task. Each rule below answers a failure measured with redis-py (design notes:
broadcast-anchors.md):

- redis-py's own retries are off on both connections (``Retry(NoBackoff(), 0)``): with
  them on, a subscriber reconnects silently and what was published meanwhile is lost
  with no sign. This backend owns reconnects: back-off with full jitter from 0.05 s to
  ``BROADCAST_RECONNECT_MAX``, forever, one log line per outage and one per recovery;
  then every subscription gets a ``Gap("reconnect")`` before any newer message.
- ``protocol=2`` is pinned (redis-py 8 defaults to RESP3, which changed pub/sub replies).
- The reader loops on ``get_message(timeout=BROADCAST_HEALTH_INTERVAL)``; an idle
  connection sends one PING per interval and a missing PONG (a hung server) counts as a
  lost connection. The connection always holds one private channel, so it is in pub/sub
  mode and PING answers in pub/sub form even with no user channel subscribed.
- The reader never blocks on a subscriber (the hub only appends to bounded queues), so
  Redis never kills it for overflowing its output buffer; if Redis does kill it anyway
  (a blocked event loop), that is a reconnect like any other.
- Publishes go through one writer task that pipelines whatever is pending (up to 256
  commands per round trip): the order of ``publish()`` calls is kept, and 1,000
  concurrent publishers need one connection, not a pool that raises past 100.
- ``publish`` waits at most ``BROADCAST_PUBLISH_TIMEOUT`` for the broker, reconnect
  included, then raises ``BroadcastUnavailable``. A message whose round trip broke
  fails at once (its fate is unknown); it is never retried behind the caller's back.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
from typing import Any

from .backend import Backend, Deliver, Lost
from .events import BroadcastConfigError, BroadcastUnavailable
from .settings import mask_url, positive_float

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import RedisError
except ImportError:  # the optional extra is not installed
    aioredis = None  # type: ignore[assignment]

logger = logging.getLogger("erlen.broadcast")

#: Most PUBLISH commands sent in one round trip.
PIPELINE_MAX = 256
#: Back-off before the first reconnect attempt; it doubles up to BROADCAST_RECONNECT_MAX.
BACKOFF_START = 0.05
#: Seconds ``close`` waits for publishes already queued.
FLUSH_TIMEOUT = 1.0
#: Suffix of the private channel that keeps the subscriber connection in pub/sub mode.
_HEALTH_CHANNEL = "\x00erlen-health"
#: redis-py accepts only these schemes; Valkey's map to them.
_SCHEMES = {"valkey": "redis", "valkeys": "rediss"}

#: A queued publish: channel name, payload, the caller's future, its deadline (loop time).
_Pending = tuple[bytes, bytes, "asyncio.Future[None]", float]


def _connection_errors() -> tuple[type[BaseException], ...]:
    return (RedisError, OSError, EOFError)


class RedisBackend(Backend):
    """Redis (or Valkey) pub/sub; standalone servers (no Cluster or Sentinel yet)."""

    def __init__(self, url: str, config: Any) -> None:
        super().__init__(url, config)
        if aioredis is None:
            raise BroadcastConfigError(
                f"BROADCAST_URL {mask_url(url)!r} needs the redis package:"
                " pip install 'erlen[redis]'"
            )
        scheme, rest = url.split("://", 1)
        self._redis_url = f"{_SCHEMES.get(scheme.lower(), scheme.lower())}://{rest}"
        self.prefix = str(config.get("BROADCAST_PREFIX", "erlen:"))
        self.publish_timeout = positive_float(config, "BROADCAST_PUBLISH_TIMEOUT")
        self.connect_timeout = positive_float(config, "BROADCAST_CONNECT_TIMEOUT")
        self.reconnect_max = positive_float(config, "BROADCAST_RECONNECT_MAX")
        self.health_interval = positive_float(config, "BROADCAST_HEALTH_INTERVAL")
        options = dict(config.get("BROADCAST_REDIS_OPTIONS") or {})
        self._options = options
        self._health = (self.prefix + _HEALTH_CHANNEL).encode("utf-8")
        self._pub: Any = self._client(socket_timeout=self.publish_timeout)
        self._sub: Any = self._client(socket_timeout=None)
        self._pubsub: Any = None
        self._deliver: Deliver | None = None
        self._lost: Lost | None = None
        self._wanted: set[str] = set()
        self._confirming: dict[bytes, asyncio.Future[None]] = {}
        self._pending: collections.deque[_Pending] = collections.deque()
        self._inflight: list[_Pending] = []  # the batch being sent
        self._expiry: asyncio.TimerHandle | None = None  # for the oldest deadline
        self._wakeup: asyncio.Future[None] | None = None
        self._idle: asyncio.Future[None] | None = None  # set by close: the writer is done
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._side_tasks: set[asyncio.Task[Any]] = set()
        self._connected = False
        self._publisher_ok = True
        self._last_error = ""
        self._reconnects = 0
        self._closing = False

    def _client(self, socket_timeout: float | None) -> Any:
        kwargs: dict[str, Any] = {
            "protocol": 2,
            "retry": Retry(NoBackoff(), 0),
            "socket_connect_timeout": min(self.connect_timeout, 5.0),
            "socket_timeout": socket_timeout,
            **self._options,
        }
        try:
            return aioredis.Redis.from_url(self._redis_url, **kwargs)
        except (ValueError, TypeError) as exc:
            raise BroadcastConfigError(f"BROADCAST_URL {mask_url(self.url)!r}: {exc}") from None

    # --- lifecycle -------------------------------------------------------------------

    async def start(self, deliver: Deliver, lost: Lost) -> None:
        self._deliver = deliver
        self._lost = lost
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.connect_timeout
        backoff = BACKOFF_START
        while True:
            try:
                await self._pub.ping()
                await self._open_subscriber(reconnect=False)
                break
            except _connection_errors() as exc:
                error = _describe(exc)
                await self._drop_subscriber()
            if loop.time() + backoff > deadline:
                await self._close_clients()
                raise ConnectionError(
                    f"Cannot reach BROADCAST_URL {mask_url(self.url)!r} within"
                    f" {self.connect_timeout:g} s (BROADCAST_CONNECT_TIMEOUT): {error}"
                ) from None
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.reconnect_max)
        self._connected = True
        self._reader = loop.create_task(self._read_loop(), name="erlen-broadcast-reader")
        self._writer = loop.create_task(self._write_loop(), name="erlen-broadcast-writer")

    async def close(self) -> None:
        self._closing = True
        loop = asyncio.get_running_loop()
        if self._pending and self._publisher_ok:
            idle = self._idle = loop.create_future()
            await asyncio.wait([idle], timeout=FLUSH_TIMEOUT)
        tasks = [t for t in (self._reader, self._writer, *self._side_tasks) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        for _name, _raw, future, _deadline in self._pending:
            if not future.done():
                future.set_exception(BroadcastUnavailable("the broadcast hub shut down"))
        self._pending.clear()
        await self._drop_subscriber()
        await self._close_clients()
        self._connected = False

    async def _close_clients(self) -> None:
        for client in (self._pub, self._sub):
            close = getattr(client, "aclose", None) or client.close
            try:
                await close()
            except _connection_errors():
                pass

    def describe(self) -> dict[str, Any]:
        return {
            "connected": self._connected,
            "reconnects": self._reconnects,
            "last_error": self._last_error,
        }

    # --- publishing ------------------------------------------------------------------

    async def publish(self, channel: str, raw: bytes) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        deadline = loop.time() + self.publish_timeout
        self._pending.append(((self.prefix + channel).encode("utf-8"), raw, future, deadline))
        wakeup = self._wakeup
        if wakeup is not None:
            self._wakeup = None
            if not wakeup.done():
                wakeup.set_result(None)
        if self._expiry is None:
            self._expiry = loop.call_at(deadline, self._expire_due)
        await future

    def _expire_due(self) -> None:
        """Fail the publishes whose deadline passed; schedule the next check.

        One timer for all publishes (not one each): every publish has the same timeout
        and the queue is FIFO, so the oldest item always has the earliest deadline.
        """
        self._expiry = None
        loop = asyncio.get_running_loop()
        now = loop.time() + 0.001  # the loop may run a timer up to its clock resolution early
        upcoming: float | None = None
        for _name, _raw, future, deadline in self._inflight:
            if future.done():
                continue
            if deadline <= now:
                self._fail_late(future)
            elif upcoming is None:
                upcoming = deadline
        pending = self._pending
        while pending and (pending[0][3] <= now or pending[0][2].done()):
            self._fail_late(pending.popleft()[2])
        if pending and (upcoming is None or pending[0][3] < upcoming):
            upcoming = pending[0][3]
        if upcoming is not None:
            self._expiry = loop.call_at(upcoming, self._expire_due)

    def _fail_late(self, future: asyncio.Future[None]) -> None:
        if not future.done():
            cause = f": {self._last_error}" if self._last_error else ""
            future.set_exception(
                BroadcastUnavailable(
                    f"Redis at {mask_url(self.url)} did not take the message within"
                    f" {self.publish_timeout:g} s (BROADCAST_PUBLISH_TIMEOUT){cause}"
                )
            )

    async def _write_loop(self) -> None:
        pending = self._pending
        loop = asyncio.get_running_loop()
        backoff = BACKOFF_START
        while True:
            if not pending:
                idle = self._idle
                if idle is not None and not idle.done():
                    idle.set_result(None)
                self._wakeup = loop.create_future()
                await self._wakeup
                continue
            if not self._publisher_ok:
                try:
                    await self._pub.ping()
                except _connection_errors() as exc:
                    self._last_error = _describe(exc)
                    await asyncio.sleep(random.uniform(0, backoff))
                    backoff = min(backoff * 2, self.reconnect_max)
                    _discard_done(pending)
                    continue
                self._publisher_ok = True
                backoff = BACKOFF_START
            batch: list[_Pending] = []
            while pending and len(batch) < PIPELINE_MAX:
                item = pending.popleft()
                if not item[2].done():  # a caller that gave up (timeout, cancelled)
                    batch.append(item)
            if not batch:
                continue
            self._inflight = batch
            try:
                if len(batch) == 1:  # the common case at low rates: no pipeline object
                    await self._pub.publish(batch[0][0], batch[0][1])
                else:
                    pipe = self._pub.pipeline(transaction=False)
                    for name, raw, _future, _deadline in batch:
                        pipe.publish(name, raw)
                    await pipe.execute()
            except _connection_errors() as exc:
                self._publisher_ok = False
                self._last_error = _describe(exc)
                error = BroadcastUnavailable(
                    f"The connection to Redis at {mask_url(self.url)} broke while publishing"
                    f" (the message may or may not have been delivered): {self._last_error}"
                )
                for _name, _raw, future, _deadline in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            finally:
                self._inflight = []
            for _name, _raw, future, _deadline in batch:
                if not future.done():
                    future.set_result(None)

    # --- subscribing -----------------------------------------------------------------

    async def subscribe(self, channel: str) -> None:
        self._wanted.add(channel)
        if not self._connected or self._pubsub is None:
            return  # the reconnect subscribes it, then the subscriber gets a gap
        name = (self.prefix + channel).encode("utf-8")
        confirmed = self._confirming.get(name)
        if confirmed is None:
            confirmed = self._confirming[name] = asyncio.get_running_loop().create_future()
        try:
            await self._pubsub.subscribe(name)
            await asyncio.wait_for(asyncio.shield(confirmed), self.publish_timeout)
        except (TimeoutError, RedisError, OSError, EOFError):
            pass  # the connection is failing: the reader reconnects and sends a gap

    def unsubscribe(self, channel: str) -> None:
        self._wanted.discard(channel)
        pubsub = self._pubsub
        if self._connected and pubsub is not None and not self._closing:
            name = (self.prefix + channel).encode("utf-8")
            task = asyncio.get_running_loop().create_task(self._unsubscribe(pubsub, name))
            self._side_tasks.add(task)
            task.add_done_callback(self._side_tasks.discard)

    async def _unsubscribe(self, pubsub: Any, name: bytes) -> None:
        try:
            if name.decode("utf-8")[len(self.prefix) :] not in self._wanted:
                await pubsub.unsubscribe(name)
        except _connection_errors():
            pass  # the reconnect subscribes only the channels still wanted

    async def _open_subscriber(self, reconnect: bool) -> None:
        """A new subscriber connection holding the health channel and every wanted one.

        After a reconnect, the hub's subscribers get their gap once every SUBSCRIBE is
        confirmed (so a client resyncing at the gap misses nothing newer) and before the
        messages that arrived meanwhile (held here), which are newer than the gap.
        """
        pubsub = self._sub.pubsub()
        self._pubsub = pubsub
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.publish_timeout
        requested: set[bytes] = set()
        confirmed: set[bytes] = set()
        held: list[Any] = []
        while True:
            # Channels wanted while this runs are subscribed here too: subscribe()
            # only sends SUBSCRIBE itself while connected.
            names = {self._health} | {(self.prefix + ch).encode("utf-8") for ch in self._wanted}
            new = names - requested
            if new:
                await pubsub.subscribe(*sorted(new))
                requested |= new
            if requested <= confirmed:
                break
            left = deadline - loop.time()
            if left <= 0:
                raise ConnectionError("no answer to SUBSCRIBE")
            message = await pubsub.get_message(timeout=left)
            if message is None:
                continue
            if message["type"] == "subscribe":
                confirmed.add(message["channel"])
                self._confirmed(message["channel"])
            elif message["type"] == "message":
                held.append(message)
        if reconnect:
            assert self._lost is not None
            self._lost(sorted(self._wanted))
        for message in held:
            self._dispatch(message)

    async def _drop_subscriber(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        for future in self._confirming.values():
            if not future.done():
                future.set_result(None)  # the subscriber will get a gap instead
        self._confirming.clear()
        if pubsub is not None:
            try:
                await pubsub.aclose() if hasattr(pubsub, "aclose") else await pubsub.close()
            except _connection_errors():
                pass

    def _confirmed(self, name: bytes) -> None:
        future = self._confirming.pop(name, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def _read_loop(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = BACKOFF_START
        while True:
            try:
                await self._receive()
            except Exception as exc:  # any failure: a reader that dies leaves a deaf worker
                self._last_error = _describe(exc)
            self._connected = False
            outage_started = loop.time()
            await self._drop_subscriber()
            logger.warning(
                "Lost the connection to the broadcast broker %s (%s); reconnecting",
                mask_url(self.url),
                self._last_error,
            )
            while True:
                await asyncio.sleep(random.uniform(0, backoff))
                backoff = min(backoff * 2, self.reconnect_max)
                try:
                    await self._open_subscriber(reconnect=True)
                    break
                except Exception as exc:
                    self._last_error = _describe(exc)
                    await self._drop_subscriber()
            backoff = BACKOFF_START
            self._connected = True
            self._reconnects += 1
            logger.warning(
                "Reconnected to the broadcast broker %s after %.1f s; subscribers were told"
                " that messages may be missing",
                mask_url(self.url),
                loop.time() - outage_started,
            )

    async def _receive(self) -> None:
        """Read messages until the connection fails (then raise)."""
        pubsub = self._pubsub
        deliver = self._deliver
        assert pubsub is not None and deliver is not None
        prefix_length = len(self.prefix.encode("utf-8"))
        interval = self.health_interval
        loop = asyncio.get_running_loop()
        ping_sent: float | None = None
        while True:
            message = await pubsub.get_message(timeout=interval)
            if message is None:
                now = loop.time()
                if ping_sent is None:
                    await pubsub.ping()
                    ping_sent = now
                elif now - ping_sent >= interval:
                    raise ConnectionError(f"no PONG within {interval:g} s")
                continue
            ping_sent = None
            kind = message["type"]
            if kind == "message":
                name = message["channel"]
                deliver(name[prefix_length:].decode("utf-8", "replace"), message["data"])
            elif kind == "subscribe":
                self._confirmed(message["channel"])

    def _dispatch(self, message: Any) -> None:
        assert self._deliver is not None
        name = message["channel"][len(self.prefix.encode("utf-8")) :]
        self._deliver(name.decode("utf-8", "replace"), message["data"])


def _discard_done(pending: collections.deque[_Pending]) -> None:
    """Forget publishes whose callers gave up, so a long outage holds no memory."""
    if pending and any(item[2].done() for item in pending):
        kept = [item for item in pending if not item[2].done()]
        pending.clear()
        pending.extend(kept)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
