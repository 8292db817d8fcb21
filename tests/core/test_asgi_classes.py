"""Quart's ASGI connection classes (``erlen.asgi``): each serves one connection with the
app's own handlers, directly or set as ``app.asgi_http_class`` and the like."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from erlen import Erlen, request, websocket
from erlen.asgi import ASGIHTTPConnection, ASGILifespan, ASGIWebsocketConnection
from werkzeug.datastructures import Headers


def make_app() -> Erlen:
    app = Erlen(__name__, extra_plugins=["websocket"])

    @app.route("/", methods=["GET", "POST"])
    async def index() -> str:
        return f"{request.method} {await request.get_data(as_text=True)}"

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("hello")

    return app


def http_scope(path: str = "/", method: str = "GET", **extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"example.test")],
        **extra,
    }


class Recorder:
    def __init__(self, *incoming: dict[str, Any]) -> None:
        self.incoming = list(incoming)
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.incoming:
            return self.incoming.pop(0)
        await asyncio.sleep(3600)  # a server waits for the next message
        raise AssertionError("unreachable")

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


async def test_an_http_connection_serves_one_request() -> None:
    io = Recorder({"type": "http.request", "body": b"data", "more_body": False})
    await asyncio.wait_for(
        ASGIHTTPConnection(make_app(), http_scope(method="POST"))(io.receive, io.send), 5
    )
    assert io.sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in io.sent[1:]) == b"POST data"


async def test_handle_messages_feeds_a_request_built_from_the_scope() -> None:
    connection = ASGIHTTPConnection(make_app(), http_scope(path="http://example.test/x"))
    built = connection._create_request_from_scope(Recorder().send)
    assert built.path == "/x"  # an absolute-form target
    io = Recorder({"type": "http.request", "more_body": False})
    pump = asyncio.ensure_future(connection.handle_messages(built, io.receive))
    try:
        assert await asyncio.wait_for(built.get_data(), 5) == b""
    finally:
        pump.cancel()


async def test_an_app_may_serve_http_through_its_connection_class() -> None:
    seen: list[str] = []

    class Audited(ASGIHTTPConnection):
        async def handle_request(self, request: Any, send: Any) -> None:
            seen.append(request.path)
            await super().handle_request(request, send)

    app = make_app()
    app.asgi_http_class = Audited
    response = await app.test_client().get("/")
    assert await response.get_data() == b"GET "
    assert seen == ["/"]


async def test_a_websocket_connection_serves_the_handler() -> None:
    scope = {**http_scope(path="/ws"), "type": "websocket", "subprotocols": []}
    del scope["method"]
    io = Recorder({"type": "websocket.connect"})
    await asyncio.wait_for(ASGIWebsocketConnection(make_app(), scope)(io.receive, io.send), 5)
    kinds = [m["type"] for m in io.sent]
    assert kinds == ["websocket.accept", "websocket.send", "websocket.close"]
    assert io.sent[1]["text"] == "hello"


@pytest.mark.parametrize(
    ("spec_version", "headers_sent"), [("2.0", False), ("2.1", True), ("2.3", True)]
)
async def test_accept_sends_headers_from_asgi_2_1(spec_version: str, headers_sent: bool) -> None:
    scope = {"type": "websocket", "asgi": {"spec_version": spec_version}}
    connection = ASGIWebsocketConnection(make_app(), scope)
    io = Recorder()
    if headers_sent:
        await connection.accept_connection(io.send, Headers({"X-A": "b"}), "chat")
        assert io.sent == [
            {"type": "websocket.accept", "subprotocol": "chat", "headers": [(b"x-a", b"b")]}
        ]
    else:
        with pytest.warns(UserWarning, match="accept headers"):
            await connection.accept_connection(io.send, Headers({"X-A": "b"}), None)
        assert io.sent == [{"type": "websocket.accept", "subprotocol": None, "headers": []}]
    await connection.accept_connection(io.send, Headers(), None)  # once only
    assert len(io.sent) == 1


async def test_a_lifespan_connection_runs_startup_and_shutdown() -> None:
    app = make_app()
    events: list[str] = []
    app.before_serving(lambda: events.append("up"))
    app.after_serving(lambda: events.append("down"))
    io = Recorder({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})
    await asyncio.wait_for(ASGILifespan(app, {"type": "lifespan"})(io.receive, io.send), 5)
    assert [m["type"] for m in io.sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert events == ["up", "down"]
