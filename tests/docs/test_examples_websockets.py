"""The examples of docs/websockets.md do what the guide says, through the test client."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from erlen import url_for
from erlen.testing import WebsocketDisconnectError, WebsocketResponseError

DOC = "docs/websockets.md"
PRELUDE = """
import asyncio
import time
from erlen import Erlen, websocket
app = Erlen(__name__)
"""
CHECKED = {
    "echo",
    "reject",
    "refuse",
    "same-rule",
    "producer-consumer",
    "disconnect",
    "disconnect-cancelled",
    "broadcast",
    "broadcast-safe",
    "queue-broadcast",
    "heartbeat",
    "testing",
}


def test_every_marked_example_is_checked(example_names: Any) -> None:
    assert example_names(DOC) == CHECKED


async def eventually(condition: Any, timeout: float = 2.0) -> None:
    """Wait (bounded) until ``condition()`` is true."""
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"condition not met within {timeout} s")


async def test_echo(run_example: Any) -> None:
    ns = run_example(DOC, "echo")
    client = ns["app"].test_client()
    async with client.websocket("/ws") as ws:
        await ws.send("hello")
        assert await ws.receive() == "hello"
        await ws.send(b"\x00\x01")
        assert await ws.receive() == b"\x00\x01"
    # "a plain HTTP request to a rule that only has a websocket handler gets 400"
    assert (await client.get("/ws")).status_code == 400


async def test_url_for_builds_ws_url(run_example: Any) -> None:
    ns = run_example(DOC, "echo")
    async with ns["app"].test_request_context("/"):
        assert url_for("ws") == "ws://localhost/ws"
        assert url_for("ws", _scheme="https") == "wss://localhost/ws"


async def test_reject_with_a_response(run_example: Any) -> None:
    ns = run_example(DOC, "reject", prelude=PRELUDE + "USERNAME, PASSWORD = 'ada', 'secret'\n")
    client = ns["app"].test_client()
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/ws"):
            pass
    assert info.value.response.status_code == 403
    assert await info.value.response.get_data() == b"Invalid password"
    auth = {"Authorization": "Basic YWRhOnNlY3JldA=="}  # ada:secret
    async with client.websocket("/ws", headers=auth) as ws:
        # Accepted; the handler then returns: "closed with 1000".
        with pytest.raises(WebsocketDisconnectError) as closed:
            await ws.receive()
        assert closed.value.code == 1000


async def test_refuse_with_abort_and_close_before_accept(run_example: Any) -> None:
    ns = run_example(DOC, "refuse", prelude=PRELUDE)
    client = ns["app"].test_client()
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/rooms/lobby"):
            pass
    assert info.value.response.status_code == 401
    with pytest.raises(WebsocketResponseError) as closed:
        async with client.websocket("/rooms/full?token=t"):
            pass
    assert closed.value.response.status_code == 403
    assert isinstance(closed.value, WebsocketDisconnectError)
    assert closed.value.code == 1008
    async with client.websocket("/rooms/lobby?token=t") as ws:
        assert await ws.receive() == "welcome to lobby"


async def test_same_rule_http_and_websocket(run_example: Any) -> None:
    ns = run_example(DOC, "same-rule", prelude=PRELUDE)
    client = ns["app"].test_client()
    response = await client.get("/ws")
    assert await response.get_data(as_text=True) == "A HTTP request"
    # The handler returns nothing without accepting: "a 403 too".
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/ws"):
            pass
    assert info.value.response.status_code == 403


async def test_producer_consumer(run_example: Any) -> None:
    prelude = PRELUDE + (
        "updates = asyncio.Queue()\n"
        "handled = []\n"
        "async def next_update():\n    return await updates.get()\n"
        "def handle(message):\n    handled.append(message)\n"
    )
    ns = run_example(DOC, "producer-consumer", prelude=prelude)
    async with ns["app"].test_client().websocket("/ws") as ws:
        ns["updates"].put_nowait("news")
        assert await ws.receive() == "news"
        await ws.send("hello")
        await eventually(lambda: ns["handled"] == ["hello"])
        ns["updates"].put_nowait("more")
        assert await ws.receive() == "more"
    # Leaving the block waited for the handler: both tasks are finished, none leaks.
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert all(t.get_coro().__qualname__ not in {"sending", "receiving"} for t in tasks)


async def test_disconnect_with_connection_closed(
    run_example: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = run_example(DOC, "disconnect", prelude=PRELUDE)
    async with ns["app"].test_client().websocket("/ws") as ws:
        await ws.send("hi")
        assert await ws.receive() == "hi"
    assert capsys.readouterr().out == "client left\n"


async def test_disconnect_with_cancelled_error(run_example: Any) -> None:
    prelude = PRELUDE + "cleaned = []\ndef cleanup():\n    cleaned.append(True)\n"
    ns = run_example(DOC, "disconnect-cancelled", prelude=prelude)
    async with ns["app"].test_client().websocket("/ws") as ws:
        await ws.send("hi")
        assert await ws.receive() == "hi"
    assert ns["cleaned"] == [True]


async def test_broadcast(run_example: Any) -> None:
    ns = run_example(DOC, "broadcast", prelude=PRELUDE)
    client = ns["app"].test_client()
    async with client.websocket("/chat") as alice, client.websocket("/chat") as bob:
        await eventually(lambda: len(ns["connections"]) == 2)
        await alice.send("hi bob")
        assert await bob.receive() == "hi bob"
        await bob.send("hi alice")
        assert await alice.receive() == "hi alice"
    await eventually(lambda: not ns["connections"])


async def test_storing_the_proxy_fails_naming_the_fix(run_example: Any) -> None:
    prelude = PRELUDE + "app.config['PROPAGATE_EXCEPTIONS'] = True\nconnections = set()\n"
    ns = run_example(DOC, prelude=prelude)
    app = ns["app"]

    @app.websocket("/chat")
    async def chat() -> None:
        ns["connections"].add(ns["websocket"])

    with pytest.raises(TypeError, match=r"websocket\.connection"):
        async with app.test_client().websocket("/chat"):
            pass


async def test_broadcast_from_an_http_view(run_example: Any) -> None:
    prelude = PRELUDE + "from erlen.exceptions import ConnectionClosed\n"
    ns = run_example(DOC, "broadcast", "broadcast-safe", prelude=prelude)
    app = ns["app"]

    @app.post("/announce")
    async def announce() -> str:
        await ns["broadcast"]({"news": "hello"})
        return "sent"

    client = app.test_client()
    async with client.websocket("/chat") as alice, client.websocket("/chat") as bob:
        await eventually(lambda: len(ns["connections"]) == 2)
        assert (await client.post("/announce")).status_code == 200
        assert await alice.receive_json() == {"news": "hello"}
        assert await bob.receive_json() == {"news": "hello"}


async def test_queue_broadcast(run_example: Any) -> None:
    ns = run_example(DOC, "queue-broadcast", prelude=PRELUDE)
    client = ns["app"].test_client()

    async def scenario() -> None:
        async with client.websocket("/ws") as alice, client.websocket("/ws") as bob:
            await eventually(lambda: len(ns["queues"]) == 2)
            await alice.send("hi all")
            assert await alice.receive() == "hi all"
            assert await bob.receive() == "hi all"
        # "leaving returns at once": both handlers were cancelled at queue.get().

    await asyncio.wait_for(scenario(), 2.0)
    assert ns["queues"] == set()
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert all(t.get_coro().__qualname__ != "_receive" for t in tasks)


async def test_heartbeat(run_example: Any) -> None:
    prelude = PRELUDE + "from erlen.exceptions import ConnectionClosed\n"
    ns = run_example(DOC, "heartbeat", prelude=prelude)
    async with ns["app"].test_client().websocket("/ws") as ws:
        await ws.send("hello")
        assert await ws.receive() == "Received: hello"


async def test_testing_example(run_example: Any) -> None:
    ns = run_example(DOC, "echo", "testing")
    await ns["test_echo"]()


async def test_websocket_to_an_http_only_rule_is_refused_with_400(run_example: Any) -> None:
    ns = run_example(DOC, prelude=PRELUDE)
    app = ns["app"]

    @app.route("/page")
    async def page() -> str:
        return "page"

    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/page"):
            pass
    assert info.value.response.status_code == 400
