"""Live updates: every connected websocket hears about each change to a todo."""

from __future__ import annotations

from typing import Any

from erlen import Blueprint, current_app, websocket

live = Blueprint("live", __name__)


@live.websocket("/live")
async def updates() -> None:
    """Greet the client, then keep it registered until it goes away."""
    # The proxy is the same object for every connection: store the real one.
    ws = websocket._get_current_object()
    clients = current_app.extensions["todo.clients"]
    await ws.accept()
    clients.add(ws)
    try:
        await ws.send_json({"event": "hello", "clients": len(clients)})
        while True:
            message = await ws.receive()
            if message == "ping":
                await ws.send("pong")
    finally:
        clients.discard(ws)


async def broadcast(event: str, todo: dict[str, Any]) -> None:
    """Send ``{"event": event, "todo": todo}`` to every connected client."""
    for ws in list(current_app.extensions["todo.clients"]):
        await ws.send_json({"event": event, "todo": todo})
