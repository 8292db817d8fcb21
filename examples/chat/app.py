"""The chat app: one page, one websocket endpoint, a broadcast to everyone else.

Each connection stores ``websocket._get_current_object()``, the connection itself: the
``websocket`` global is a context proxy that means "the current connection" wherever it is
used, so a set of proxies could not tell the clients apart (Erlen refuses to hash it).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from erlen import Erlen, Websocket, render_template, websocket
from erlen.exceptions import BadRequest, ConnectionClosed

app = Erlen(__name__)
app.config.from_prefixed_env("CHAT")
app.config.setdefault("MAX_NAME_LENGTH", 32)
app.config.setdefault("MAX_MESSAGE_LENGTH", 2000)

connections: set[Websocket] = set()


@app.route("/")
async def index() -> str:
    """The chat page."""
    return await render_template("index.html", online=len(connections))


@app.websocket("/ws")
async def chat() -> None:
    """Join the room, relay this client's messages to the others, leave on disconnect."""
    me = websocket._get_current_object()
    await me.accept()
    connections.add(me)
    try:
        await me.send_json(
            {
                "type": "system",
                "message": f"Connected! {len(connections)} users online.",
                "count": len(connections),
            }
        )
        await broadcast({"type": "user_joined", "count": len(connections)}, exclude=me)
        while True:
            try:
                data = await me.receive_json()
            except BadRequest:
                await me.send_json({"type": "error", "message": "Invalid JSON format"})
                continue
            if not isinstance(data, dict):
                await me.send_json({"type": "error", "message": "Send a JSON object"})
                continue
            await broadcast(
                {
                    "type": "message",
                    "user": _text(data.get("user"), app.config["MAX_NAME_LENGTH"]) or "Anonymous",
                    "message": _text(data.get("message"), app.config["MAX_MESSAGE_LENGTH"]),
                    "timestamp": time.time(),
                },
                exclude=me,
            )
    except ConnectionClosed:
        pass
    finally:
        connections.discard(me)
        await broadcast({"type": "user_left", "count": len(connections)})


async def broadcast(data: dict[str, Any], exclude: Websocket | None = None) -> None:
    """Send ``data`` to every connection but ``exclude``, concurrently."""
    targets = [conn for conn in connections.copy() if conn is not exclude]
    if targets:
        await asyncio.gather(*(_send_safe(conn, data) for conn in targets))


async def _send_safe(conn: Websocket, data: dict[str, Any]) -> None:
    try:
        await conn.send_json(data)
    except ConnectionClosed:
        connections.discard(conn)


def _text(value: Any, limit: int) -> str:
    return str(value)[:limit] if value is not None else ""
