"""``client.request()``: a request whose body and response are streamed step by step."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from erlen import Erlen, request
from erlen.plugins.testing import HTTPDisconnectError, TestClient, TestHTTPConnection


def make_app() -> Erlen:
    app = Erlen(__name__)
    app.stream_closed = asyncio.Event()  # type: ignore[attr-defined]

    @app.route("/upload", methods=["POST"])
    async def upload() -> str:
        sizes = [len(chunk) async for chunk in request.body]
        return ",".join(str(size) for size in sizes if size)

    @app.route("/stream")
    async def stream() -> Any:
        count = int(request.args.get("n", "1000000"))

        async def numbers() -> AsyncIterator[bytes]:
            try:
                for n in range(count):
                    yield f"{n};".encode()
                    await asyncio.sleep(0)
            finally:
                app.stream_closed.set()  # type: ignore[attr-defined]

        return numbers()

    @app.route("/cookie")
    async def cookie() -> Any:
        response = await app.make_response("set")
        response.set_cookie("seen", "yes")
        return response

    @app.route("/whoami")
    async def whoami() -> str:
        return request.cookies.get("seen", "none")

    @app.route("/boom", methods=["POST"])
    async def boom() -> str:
        await request.get_data()
        raise ValueError("broken view")

    return app


async def test_request_body_is_sent_in_chunks() -> None:
    client = make_app().test_client()
    async with client.request("/upload", method="POST") as connection:
        await connection.send(b"a" * 3)
        await connection.send(b"b" * 5)
        await connection.send_complete()
        response = await connection.as_response()
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "3,5"
    assert connection.status_code == 200
    assert connection.response_data == b"3,5"


async def test_response_is_received_chunk_by_chunk() -> None:
    client = make_app().test_client()
    async with client.request("/stream?n=3") as connection:
        await connection.send_complete()
        chunks = [await connection.receive() for _ in range(4)]
        with pytest.raises(HTTPDisconnectError, match="complete"):
            await connection.receive()
    # The streamed body ends with an empty chunk, as Quart's connection gives it.
    assert chunks == [b"0;", b"1;", b"2;", b""]
    assert connection.headers is not None
    assert connection.headers["Content-Type"].startswith("text/html")


async def test_a_loop_until_the_empty_chunk_gets_the_whole_stream() -> None:
    # Quart's idiom: receive until b"", which ends a streamed response.
    client = make_app().test_client()
    async with client.request("/stream?n=5") as connection:
        await connection.send_complete()
        received = []
        while chunk := await connection.receive():
            received.append(chunk)
    assert b"".join(received) == b"0;1;2;3;4;"
    assert connection.status_code == 200


async def test_leaving_early_disconnects_and_closes_the_stream() -> None:
    app = make_app()
    async with app.test_client().request("/stream") as connection:
        await connection.send_complete()
        assert await connection.receive() == b"0;"
        await connection.disconnect()
    await asyncio.wait_for(app.stream_closed.wait(), 5)  # type: ignore[attr-defined]


async def test_exiting_without_completing_the_body_disconnects() -> None:
    app = make_app()
    async with app.test_client().request("/upload", method="POST") as connection:
        await connection.send(b"partial")
    # The app saw the client leave mid-body (no view answer), and the block ended.
    assert connection.status_code != 200
    assert b"7" not in connection.response_data


async def test_the_apps_error_is_raised_when_it_propagates() -> None:
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = True
    client = app.test_client()
    with pytest.raises(ValueError, match="broken view"):
        async with client.request("/boom", method="POST") as connection:
            await connection.send_complete()
            await connection.as_response()


async def test_an_error_response_otherwise(caplog: pytest.LogCaptureFixture) -> None:
    async with make_app().test_client().request("/boom", method="POST") as connection:
        await connection.send_complete()
        response = await connection.as_response()
    assert response.status_code == 500
    assert "broken view" not in await response.get_data(as_text=True)


async def test_cookies_go_both_ways() -> None:
    client = make_app().test_client()
    async with client.request("/cookie") as connection:
        await connection.send_complete()
    assert client.get_cookie("seen") is not None
    async with client.request("/whoami") as connection:
        await connection.send_complete()
        response = await connection.as_response()
    assert await response.get_data(as_text=True) == "yes"


async def test_connection_class_can_be_swapped() -> None:
    class CountingConnection(TestHTTPConnection):
        opened = 0

        async def __aenter__(self) -> CountingConnection:
            CountingConnection.opened += 1
            await super().__aenter__()
            return self

    class CountingClient(TestClient):
        http_connection_class = CountingConnection

    app = make_app()
    app.test_client_class = CountingClient
    async with app.test_client().request("/stream?n=1") as connection:
        await connection.send_complete()
        assert await connection.receive() == b"0;"
    assert isinstance(connection, CountingConnection)
    assert CountingConnection.opened == 1
