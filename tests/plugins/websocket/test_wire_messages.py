"""The ASGI messages a websocket handler sends have Quart's keys: ``websocket.accept``
has ``headers`` (empty without any), ``websocket.send`` has both ``bytes`` and ``text``
(the unused one None) and ``websocket.close`` has ``reason`` from ASGI 2.3 on. Clients
such as Starlette's test client read these keys directly."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from erlen import Erlen, websocket


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        text = await websocket.receive()
        if text == "end":
            return  # no close of its own: the connection ends with 1000
        await websocket.close(4000 + len(text), reason=text if text != "quiet" else "")

    return app


async def close_message(app: Erlen, text: str, asgi: dict[str, str] | None) -> dict[str, Any]:
    """Send ``text`` to /ws as a server would and return the close message the app sent."""
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    incoming.put_nowait({"type": "websocket.connect"})
    incoming.put_nowait({"type": "websocket.receive", "text": text})
    closes: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return await incoming.get()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "websocket.close":
            closes.append(message)
            incoming.put_nowait({"type": "websocket.disconnect", "code": message["code"]})

    scope: dict[str, Any] = {
        "type": "websocket",
        "scheme": "ws",
        "path": "/ws",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "subprotocols": [],
    }
    if asgi is not None:
        scope["asgi"] = asgi
    await asyncio.wait_for(app(scope, receive, send), 5)
    assert len(closes) == 1
    return closes[0]


ASGI_23 = {"version": "3.0", "spec_version": "2.3"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quiet", {"type": "websocket.close", "code": 4005, "reason": ""}),
        ("bye", {"type": "websocket.close", "code": 4003, "reason": "bye"}),
        ("end", {"type": "websocket.close", "code": 1000, "reason": ""}),
    ],
)
async def test_asgi_2_3_close_always_carries_a_reason(text: str, expected: dict[str, Any]) -> None:
    assert await close_message(make_app(), text, ASGI_23) == expected


@pytest.mark.parametrize("asgi", [None, {"version": "3.0", "spec_version": "2.1"}])
async def test_older_asgi_close_has_no_reason_key(asgi: dict[str, str] | None) -> None:
    message = await close_message(make_app(), "bye", asgi)
    assert message == {"type": "websocket.close", "code": 4003}


async def test_accept_and_send_messages_carry_quarts_keys() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("text ✓")
        await websocket.send(b"\x00bytes")
        await websocket.send_json({"a": 1})

    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    incoming.put_nowait({"type": "websocket.connect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return await incoming.get()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":
            incoming.put_nowait({"type": "websocket.disconnect", "code": message["code"]})

    scope = {
        "type": "websocket",
        "asgi": ASGI_23,
        "scheme": "ws",
        "path": "/ws",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "subprotocols": [],
    }
    await asyncio.wait_for(app(scope, receive, send), 5)
    assert sent[0] == {"type": "websocket.accept", "subprotocol": None, "headers": []}
    sends = [m for m in sent if m["type"] == "websocket.send"]
    # The JSON text's spacing is the app's JSON provider's (this suite may run without
    # the json plugin): compared parsed.
    sends[2] = {**sends[2], "text": json.loads(sends[2]["text"])}
    assert sends == [
        {"type": "websocket.send", "bytes": None, "text": "text ✓"},
        {"type": "websocket.send", "bytes": b"\x00bytes", "text": None},
        {"type": "websocket.send", "bytes": None, "text": {"a": 1}},
    ]
