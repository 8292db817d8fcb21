"""Quart's ``Websocket`` constructor (fields and four callables), ``erlen.wrappers.websocket``,
and a ``websocket_class`` subclass with its own constructor served by the server."""

from __future__ import annotations

from typing import Any

from erlen import Erlen, websocket
from erlen.plugins.websocket.wrapper import Websocket
from werkzeug.datastructures import Headers


def ws_scope() -> dict[str, Any]:
    return {
        "type": "websocket",
        "http_version": "1.1",
        "scheme": "wss",
        "path": "/ignored",
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "subprotocols": ["from-scope"],
    }


async def test_the_constructor_takes_quart_fields_and_callables() -> None:
    events: list[Any] = []
    inbox = ["hello", b"bytes"]

    async def receive() -> str | bytes:
        return inbox.pop(0)

    async def send(data: str | bytes) -> None:
        events.append(("send", data))

    async def accept(headers: Headers, subprotocol: str | None) -> None:
        events.append(("accept", headers.get("X-Hi"), subprotocol))

    async def close(code: int, reason: str) -> None:
        events.append(("close", code, reason))

    made = Websocket(
        "/chat",
        b"room=1",
        "wss",
        Headers({"Host": "example.com"}),
        "",
        "1.1",
        ["chat", "json"],
        receive,
        send,
        accept,
        close,
        ws_scope(),
    )
    assert made.url == "wss://example.com/chat?room=1"
    assert made.args["room"] == "1" and made.method == "GET"
    assert made.requested_subprotocols == ["chat", "json"]
    await made.accept(headers={"X-Hi": "1"}, subprotocol="chat")
    assert await made.receive() == "hello"
    assert await made.receive() == b"bytes"
    await made.send("out")
    await made.close(1000, "bye")
    assert events == [
        ("accept", "1", "chat"),
        ("send", "out"),
        ("close", 1000, "bye"),
    ]


def test_the_quart_module_path_has_the_class() -> None:
    import erlen.wrappers
    from erlen.wrappers.websocket import Websocket as FromWrappers

    assert FromWrappers is Websocket
    assert erlen.wrappers.Websocket is Websocket


async def test_a_subclass_constructor_runs_for_served_connections() -> None:
    made: list[tuple[Any, ...]] = []

    class Recording(Websocket):
        def __init__(self, *args: Any) -> None:
            made.append((args[0], args[1], args[2], args[6]))
            super().__init__(*args)

    app = Erlen(__name__)
    app.websocket_class = Recording

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send(type(websocket._get_current_object()).__name__)

    async with app.test_client().websocket("/ws?x=1", subprotocols=["p"]) as conn:
        assert await conn.receive() == "Recording"
    assert made == [("/ws", b"x=1", "ws", ["p"])]


async def test_a_subclass_redefining_a_field_gets_the_scope_value() -> None:
    class Fixed(Websocket):
        scheme = "https"  # a class default; the connection's own scheme wins

    app = Erlen(__name__)
    app.websocket_class = Fixed

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(f"{type(websocket._get_current_object()).__name__} {websocket.scheme}")

    async with app.test_client().websocket("/ws", scheme="wss") as conn:
        assert await conn.receive() == "Fixed wss"
