"""Seed 001 (Quart's websocket guide): every snippet, written as in the seed with
quart -> erlen (placeholders `...` filled in), driven through the test client."""

from __future__ import annotations

import asyncio

import pytest
from erlen import Erlen, abort, websocket
from erlen.exceptions import ConnectionClosed
from erlen.testing import WebsocketDisconnectError, WebsocketResponseError

USERNAME = "ann"
PASSWORD = "secret"


async def test_echo_without_explicit_accept() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        while True:
            data = await websocket.receive()
            await websocket.send(data)

    async with app.test_client().websocket("/ws", headers={"X-Token": "t"}) as test_ws:
        assert test_ws.accepted  # receive() accepted implicitly
        await test_ws.send("hello")
        assert await test_ws.receive() == "hello"


def rejecting_app(use_abort: bool = False) -> Erlen:
    app = Erlen(__name__)
    accepted: list[str] = []

    @app.websocket("/ws")
    async def ws():
        if (
            websocket.authorization.username != USERNAME
            or websocket.authorization.password != PASSWORD
        ):
            if use_abort:
                abort(403)
            return "Invalid password", 403  # or abort(403)
        else:
            websocket.accept()  # Automatically invoked by receive or send
            accepted.append(websocket.authorization.username)

    app.config["ACCEPTED"] = accepted
    return app


async def test_returning_a_response_rejects_the_handshake() -> None:
    app = rejecting_app()
    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws", auth=("ann", "wrong")):
            pass
    assert info.value.response.status_code == 403
    assert await info.value.response.get_data() == b"Invalid password"


async def test_abort_rejects_the_handshake() -> None:
    app = rejecting_app(use_abort=True)
    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws", auth=("bob", PASSWORD)):
            pass
    assert info.value.response.status_code == 403
    assert b"Forbidden" in await info.value.response.get_data()


async def test_accept_called_without_await_still_accepts() -> None:
    app = rejecting_app()
    async with app.test_client().websocket("/ws", auth=(USERNAME, PASSWORD)) as test_ws:
        # The handler returned after `websocket.accept()`: accepted, then closed 1000.
        assert test_ws.accepted
        with pytest.raises(WebsocketDisconnectError) as info:
            await test_ws.receive()
    assert info.value.code == 1000
    assert app.config["ACCEPTED"] == [USERNAME]


async def test_sending_and_receiving_independently() -> None:
    app = Erlen(__name__)
    received: list[str] = []

    async def sending():
        count = 0
        while True:
            count += 1
            await websocket.send(f"tick {count}")
            await asyncio.sleep(0.001)

    async def receiving():
        while True:
            data = await websocket.receive()
            received.append(data)

    @app.websocket("/ws")
    async def ws():
        producer = asyncio.create_task(sending())
        consumer = asyncio.create_task(receiving())
        await asyncio.gather(producer, consumer)

    async with app.test_client().websocket("/ws") as test_ws:
        assert await test_ws.receive() == "tick 1"
        await test_ws.send("from client")
        assert await test_ws.receive() == "tick 2"
        for _ in range(3):
            assert (await test_ws.receive()).startswith("tick ")
    # Leaving the block disconnected: the handler ended (gather raised ConnectionClosed)
    # instead of hanging, and the consumer had seen the client's message.
    assert received == ["from client"]


async def test_detecting_disconnection_with_cancelled_error() -> None:
    app = Erlen(__name__)
    seen: list[BaseException] = []

    @app.websocket("/ws")
    async def ws():
        try:
            while True:
                data = await websocket.receive()
                await websocket.send(data)
        except asyncio.CancelledError as error:
            # Handle disconnection here
            seen.append(error)
            raise

    async with app.test_client().websocket("/ws") as test_ws:
        await test_ws.send("x")
        assert await test_ws.receive() == "x"
        await test_ws.close(1001)
    assert len(seen) == 1
    assert isinstance(seen[0], ConnectionClosed)
    assert seen[0].code == 1001


async def test_closing_the_connection() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        await websocket.accept()
        await websocket.close(1000)

    async with app.test_client().websocket("/ws") as test_ws:
        with pytest.raises(WebsocketDisconnectError) as info:
            await test_ws.receive()
    assert info.value.code == 1000


async def test_closing_before_accepting_is_a_403() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        await websocket.close(1000)

    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws"):
            pass
    assert info.value.response.status_code == 403


async def test_testing_websockets_examples() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws/")
    async def ws():
        if websocket.args.get("key") != "open":
            abort(401)
        while True:
            await websocket.send(await websocket.receive())

    data = "some data"
    test_client = app.test_client()
    async with test_client.websocket("/ws/", query_string={"key": "open"}) as test_websocket:
        await test_websocket.send(data)
        result = await test_websocket.receive()
    assert result == data

    test_client = app.test_client()
    try:
        async with test_client.websocket("/ws/") as test_websocket:
            await test_websocket.send(data)
    except WebsocketResponseError as error:
        assert error.response.status_code == 401
    else:
        pytest.fail("the handshake was not rejected")


async def test_bytes_or_string_keep_their_type() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        while True:
            data = await websocket.receive()
            await websocket.send(data)
            await websocket.send(type(data).__name__)

    async with app.test_client().websocket("/ws") as test_ws:
        await test_ws.send("text")
        assert await test_ws.receive() == "text"
        assert await test_ws.receive() == "str"
        await test_ws.send(b"\x00\xffbin")
        assert await test_ws.receive() == b"\x00\xffbin"
        assert await test_ws.receive() == "bytes"


async def test_mixing_routes_as_written_registers_two_http_views() -> None:
    # The guide's snippet decorates both functions with @app.route (a typo for
    # @app.websocket on the second); as written it runs and serves HTTP.
    app = Erlen(__name__)

    @app.route("/ws")
    async def http():
        return "A HTTP request"

    @app.route("/ws")
    async def ws(): ...  # Use the WebSocket

    response = await app.test_client().get("/ws")
    assert response.status_code == 200
    assert await response.get_data() == b"A HTTP request"


async def test_mixing_websocket_and_http_routes() -> None:
    app = Erlen(__name__)

    @app.route("/ws")
    async def http():
        return "A HTTP request"

    @app.websocket("/ws")
    async def ws():
        await websocket.send("A WebSocket")

    client = app.test_client()
    response = await client.get("/ws")
    assert await response.get_data() == b"A HTTP request"
    async with client.websocket("/ws") as test_ws:
        assert await test_ws.receive() == "A WebSocket"


async def test_http_request_to_a_websocket_only_route_is_a_400() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        await websocket.send("unreachable over HTTP")

    response = await app.test_client().get("/ws")
    assert response.status_code == 400
