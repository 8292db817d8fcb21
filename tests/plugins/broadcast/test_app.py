"""The plugin inside an app (memory://): the ``broadcast`` proxy, ``join`` relaying to
test-client websockets, config errors at startup, the multi-worker warning."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from erlen import Erlen, hookimpl, stream_with_context, websocket
from erlen.plugins.broadcast import (
    Backend,
    BroadcastUnavailable,
    Gap,
    MemoryBackend,
    Message,
    broadcast,
    redis_backend,
)
from erlen.plugins.testing.app import LifespanError
from erlen.testing import WebsocketDisconnectError

TIMEOUT = 10


def make_app(**config: Any) -> Erlen:
    app = Erlen(__name__, plugins=["broadcast", "websocket", "json", "testing"])
    app.config.update(config)

    @app.websocket("/ws/<room>")
    async def room(room: str) -> None:
        await websocket.accept()
        await broadcast.join(room, websocket)
        await websocket.send("joined")
        while True:
            text = await websocket.receive()
            if text == "leave":
                await broadcast.leave(room, websocket)
                await websocket.send("left")
            else:
                await broadcast.publish(room, {"said": text}, exclude=websocket)

    @app.post("/say/<room>")
    async def say(room: str) -> str:
        await broadcast.publish(room, {"from": "http"})
        return "ok"

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        return broadcast.stats()

    return app


async def receive(conn: Any) -> Any:
    return await asyncio.wait_for(conn.receive(), TIMEOUT)


async def test_join_relays_published_json_text_as_sent() -> None:
    app = make_app()
    client = app.test_client()
    async with client.websocket("/ws/lobby") as conn:
        assert await receive(conn) == "joined"
        response = await client.post("/say/lobby")
        assert response.status_code == 200
        assert await receive(conn) == '{"from":"http"}'


async def test_exclude_websocket_and_rooms_apart() -> None:
    app = make_app()
    client = app.test_client()
    async with (
        client.websocket("/ws/a") as ann,
        client.websocket("/ws/a") as bob,
        client.websocket("/ws/b") as cat,
    ):
        for conn in (ann, bob, cat):
            assert await receive(conn) == "joined"
        await ann.send("hello")
        assert json.loads(await receive(bob)) == {"said": "hello"}
        await bob.send("hi ann")
        assert json.loads(await receive(ann)) == {"said": "hi ann"}
        await client.post("/say/b")
        assert json.loads(await receive(cat)) == {"from": "http"}


async def test_leave_stops_the_relay_and_the_relay_ends_with_the_client() -> None:
    app = make_app()
    client = app.test_client()
    async with client.websocket("/ws/a") as conn:
        assert await receive(conn) == "joined"
        await client.post("/say/a")
        await conn.send("leave")
        assert await receive(conn) == '{"from":"http"}'
        assert await receive(conn) == "left"
        stats = await (await client.get("/stats")).get_json()
        assert (stats["relays"], stats["subscriptions"]) == (0, 0)
    async with client.websocket("/ws/a") as conn:
        assert await receive(conn) == "joined"
        await client.post("/say/a")
        assert await receive(conn) == '{"from":"http"}'
    # The client left: the handler ends, and with it the relay (bounded wait).
    for _ in range(200):
        stats = await (await client.get("/stats")).get_json()
        if stats["relays"] == 0:
            break
        await asyncio.sleep(0.01)
    assert (stats["relays"], stats["subscriptions"], stats["channels"]) == (0, 0, 0)


async def test_a_relay_whose_send_fails_ends_by_itself() -> None:
    """A joined websocket closed while its handler still runs: the next relayed message
    fails to send and the relay ends, leaving nothing subscribed."""
    app = Erlen(__name__, plugins=["broadcast", "websocket", "testing"])
    done = asyncio.Event()

    @app.websocket("/ws")
    async def ws() -> None:
        conn = websocket._get_current_object()
        await conn.accept()
        await broadcast.join("room", conn)
        await conn.close(1000)
        await broadcast.publish("room", "after close")
        for _ in range(200):
            if broadcast.stats()["relays"] == 0:
                break
            await asyncio.sleep(0.01)
        assert broadcast.stats()["subscriptions"] == 0
        done.set()

    client = app.test_client()
    async with client.websocket("/ws") as conn:
        with pytest.raises(WebsocketDisconnectError):
            await receive(conn)
    await asyncio.wait_for(done.wait(), TIMEOUT)


async def test_subscribe_in_an_http_stream() -> None:
    app = Erlen(__name__, plugins=["broadcast", "testing"])

    @app.get("/events")
    async def events() -> Any:
        @stream_with_context
        async def stream() -> Any:
            async with broadcast.subscribe("news") as sub:
                yield b"ready\n"
                async for event in sub:
                    assert isinstance(event, Message)
                    yield f"data: {event.text}\n".encode()
                    if event.data == "last":
                        return

        return stream()

    @app.post("/news")
    async def news() -> str:
        for item in ("first", "last"):
            await broadcast.publish("news", item)
        return "ok"

    client = app.test_client()
    body = asyncio.ensure_future(client.get("/events"))
    async with app.app_context():
        for _ in range(500):  # bounded: until the stream has subscribed
            if broadcast.stats()["subscriptions"]:
                break
            await asyncio.sleep(0.01)
    await client.post("/news")
    response = await asyncio.wait_for(body, TIMEOUT)
    assert await response.get_data(as_text=True) == "ready\ndata: first\ndata: last\n"


def test_gap_as_sent_to_a_websocket() -> None:
    assert Gap("chat", "reconnect", None).as_json() == {
        "type": "gap",
        "channel": "chat",
        "reason": "reconnect",
        "missed": None,
        "message": "Connection to the message broker was lost; some messages may be missing.",
    }
    assert Gap("chat", "overflow", 3).as_json()["missed"] == 3


async def test_memory_hub_starts_no_task_and_no_request_hooks() -> None:
    app = make_app()
    before = set(asyncio.all_tasks())
    client = app.test_client()
    await client.post("/say/x")
    assert set(asyncio.all_tasks()) <= before
    rows = app.plugin_manager.describe()
    hooks = next(row["hooks"] for row in rows if row["name"] == "broadcast")
    assert set(hooks) <= {
        "erlen_addhooks",
        "erlen_configure",
        "erlen_startup",
        "erlen_shutdown",
        "erlen_broadcast_backends",
        "erlen_cli_commands",
    }


async def test_lifespan_shutdown_ends_subscriptions() -> None:
    app = make_app()
    async with app.test_app():
        async with app.app_context():
            async with broadcast.subscribe("room") as sub:
                await broadcast.publish("room", 1)
                assert (await sub.__anext__()).data == 1
    async with app.app_context():
        assert broadcast.stats()["channels"] == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nats://x", "unknown scheme 'nats'; known schemes: memory, redis, rediss, unix,"),
        ("localhost:6379", "is not a URL"),
        ("redis://:secret@127.0.0.1:notaport/0", "BROADCAST_URL 'redis://:***@127.0.0.1"),
    ],
)
async def test_a_bad_url_fails_startup_in_one_line(url: str, expected: str) -> None:
    app = make_app(BROADCAST_URL=url)
    with pytest.raises(LifespanError) as info:
        async with app.test_app():
            pass
    text = str(info.value)
    assert expected in text
    assert "\n" not in text and "secret" not in text


async def test_an_unreachable_broker_fails_startup_with_the_cause() -> None:
    app = make_app(BROADCAST_URL="redis://127.0.0.1:1/0", BROADCAST_CONNECT_TIMEOUT=0.2)
    with pytest.raises(LifespanError, match="Cannot reach BROADCAST_URL 'redis://127.0.0.1:1/0'"):
        async with app.test_app():
            pass


async def test_a_missing_redis_package_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redis_backend, "aioredis", None)
    app = make_app(BROADCAST_URL="redis://127.0.0.1:6379/0")
    with pytest.raises(LifespanError, match=r"pip install 'erlen\[redis\]'"):
        async with app.test_app():
            pass


async def test_url_default_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROADCAST_URL", "redis://example:6379/1")
    assert make_app().config["BROADCAST_URL"] == "redis://example:6379/1"
    monkeypatch.delenv("BROADCAST_URL")
    assert make_app().config["BROADCAST_URL"] == "memory://"


async def test_memory_with_several_workers_warns_naming_broadcast_url(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("KERNEL_RUN_WORKERS", "2")
    caplog.set_level(logging.WARNING, logger="erlen.broadcast")
    client = make_app().test_client()
    await client.post("/say/x")
    await client.post("/say/x")
    warnings = [r.getMessage() for r in caplog.records if r.name == "erlen.broadcast"]
    assert len(warnings) == 1
    assert "BROADCAST_URL=memory://" in warnings[0] and "2 workers" in warnings[0]
    monkeypatch.setenv("KERNEL_RUN_WORKERS", "1")
    caplog.clear()
    await make_app().test_client().post("/say/x")
    assert not [r for r in caplog.records if r.name == "erlen.broadcast"]


async def test_without_the_plugin_the_proxy_names_it() -> None:
    app = Erlen(__name__, plugins=["testing"])
    async with app.app_context():
        with pytest.raises(RuntimeError, match="broadcast plugin is not loaded"):
            await broadcast.publish("room", 1)


class Refusing(Backend):
    """A third-party backend whose broker never takes a message."""

    async def start(self, deliver: Any, lost: Any) -> None:
        self.deliver = deliver

    async def close(self) -> None:
        pass

    async def publish(self, channel: str, raw: bytes) -> None:
        raise BroadcastUnavailable("custom broker refused")

    async def subscribe(self, channel: str) -> None:
        pass

    def unsubscribe(self, channel: str) -> None:
        pass


class CustomPlugin:
    @hookimpl
    def erlen_broadcast_backends(self, app: Any) -> dict[str, Any]:
        return {"custom": Refusing}


class MemoryOverride:
    @hookimpl(tryfirst=True)
    def erlen_broadcast_backends(self, app: Any) -> dict[str, Any]:
        class Loud(MemoryBackend):
            loud = True

        return {"memory": Loud}


async def test_third_party_backends_through_the_hook() -> None:
    app = Erlen(__name__, plugins=["broadcast", "testing", CustomPlugin(), MemoryOverride()])
    app.config["BROADCAST_URL"] = "custom://anything"
    async with app.app_context():
        with pytest.raises(BroadcastUnavailable, match="custom broker refused"):
            await broadcast.publish("room", 1)
        await broadcast.close()
        app.config["BROADCAST_URL"] = "memory://"
        broadcast.reopen()
        await broadcast.start()
        assert getattr(broadcast.backend, "loud", False)
