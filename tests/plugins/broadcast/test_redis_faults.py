"""Broker failures against private redis-servers: kill -9 and restart, the subscriber
connection killed (by CLIENT KILL, or by Redis for overflowing its output buffer), a
hung server. Every loss shows as a Gap; publish fails within its bound; all recovers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis
from erlen.plugins.broadcast import Broadcast, BroadcastUnavailable, Gap, Message
from erlen.plugins.broadcast.testing import next_event, next_message
from erlen.plugins.broadcast.wire import encode

FAST = {
    "BROADCAST_PUBLISH_TIMEOUT": 1.0,
    "BROADCAST_RECONNECT_MAX": 0.2,
    "BROADCAST_HEALTH_INTERVAL": 0.5,
}


@pytest.fixture
async def hubs() -> AsyncIterator[list[Broadcast]]:
    made: list[Broadcast] = []
    yield made
    for hub in made:
        await hub.close()


async def started(hubs: list[Broadcast], url: str, **config: Any) -> Broadcast:
    hub = Broadcast(url, config={**FAST, **config})
    await hub.start()
    hubs.append(hub)
    return hub


async def asleep(server: Any) -> str:
    """``DEBUG SLEEP 3``: the server answers nothing for 3 s; "+OK" once it is awake."""
    return await asyncio.to_thread(server.command, "DEBUG", "SLEEP", "3", timeout=10)  # type: ignore[no-any-return]


async def until_gap(sub: Any, limit: int = 1000) -> tuple[Gap, int]:
    """Read up to ``limit`` events until a gap; the gap and how many messages came first."""
    for count in range(limit):
        event = await next_event(sub)
        if isinstance(event, Gap):
            return event, count
    raise AssertionError(f"no gap in {limit} events")


async def until_message(sub: Any, data: Any, limit: int = 1000) -> Message:
    for _ in range(limit):
        event = await next_event(sub)
        if isinstance(event, Message) and event.data == data:
            return event
    raise AssertionError(f"no message {data!r} in {limit} events")


async def test_kill_and_restart(redis_factory: Any, hubs: list[Broadcast]) -> None:
    server = redis_factory()
    hub = await started(hubs, server.url)
    async with hub.subscribe("room") as sub:
        await hub.publish("room", "before")
        assert (await next_message(sub)).data == "before"
        server.kill()
        with pytest.raises(BroadcastUnavailable, match="Redis at redis://127.0.0.1"):
            await asyncio.wait_for(hub.publish("room", "lost"), 10)
        redis_factory(port=server.port)
        assert await next_event(sub) == Gap("room", "reconnect", None)
        await hub.publish("room", "after")
        assert (await next_message(sub)).data == "after"
    assert hub.stats()["reconnects"] == 1


async def test_client_kill_of_the_subscriber_gives_a_gap(
    redis_factory: Any, hubs: list[Broadcast]
) -> None:
    server = redis_factory()
    hub = await started(hubs, server.url)
    async with hub.subscribe("room") as sub:
        assert server.command("CLIENT", "KILL", "TYPE", "pubsub") == ":1"
        assert await next_event(sub) == Gap("room", "reconnect", None)
        await hub.publish("room", "after")
        assert (await next_message(sub)).data == "after"


async def test_a_hung_server_is_caught_by_the_health_check(
    redis_factory: Any, hubs: list[Broadcast]
) -> None:
    server = redis_factory("--enable-debug-command", "local")
    hub = await started(hubs, server.url)
    async with hub.subscribe("room") as sub:
        sleeper = asyncio.ensure_future(asleep(server))
        gap, _ = await until_gap(sub)
        assert gap == Gap("room", "reconnect", None)
        assert await sleeper == "+OK"  # the server is awake again
        await hub.publish("room", "after")
        await until_message(sub, "after")


async def test_a_subscriber_killed_for_its_output_buffer_recovers(
    redis_factory: Any, hubs: list[Broadcast]
) -> None:
    """Socket.IO#1581: Redis drops a pub/sub client that falls behind by more than
    ``client-output-buffer-limit``. Here the event loop is blocked while 12 MB are
    published; the subscriber must come back and say what it may have missed."""
    server = redis_factory("--client-output-buffer-limit", "pubsub 256kb 128kb 1")
    hub = await started(hubs, server.url, BROADCAST_PREFIX="ob:")
    async with hub.subscribe("room") as sub:
        sync = redis.Redis.from_url(server.url)
        try:
            message = encode("t", None, b"x" * 60_000)  # as hub.publish("room", "xx...")
            for _ in range(200):  # synchronous: this loop, so the hub's reader, is blocked
                sync.publish("ob:room", message)
        finally:
            sync.close()
        gap, received = await until_gap(sub)
        assert gap.reason == "reconnect" and received < 200
        await hub.publish("room", "after")
        await until_message(sub, "after")
    log = await asyncio.to_thread(Path(server.dir, "redis.log").read_text)
    assert "output buffer limits" in log


async def test_publish_to_a_hung_server_fails_within_its_timeout(
    redis_factory: Any, hubs: list[Broadcast]
) -> None:
    server = redis_factory("--enable-debug-command", "local")
    hub = await started(hubs, server.url)
    async with hub.subscribe("room") as sub:
        sleeper = asyncio.ensure_future(asleep(server))
        await asyncio.sleep(0.2)  # not a timing assertion: lets the DEBUG SLEEP reach Redis
        results = await asyncio.wait_for(
            asyncio.gather(*(hub.publish("room", n) for n in range(3)), return_exceptions=True),
            10,
        )
        assert [type(result) for result in results] == [BroadcastUnavailable] * 3
        assert await sleeper == "+OK"  # the server is awake again
        gap, _ = await until_gap(sub)  # the subscriber's health check saw the hang too
        assert gap == Gap("room", "reconnect", None)
        await hub.publish("room", "after")
        await until_message(sub, "after")
