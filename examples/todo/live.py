"""Live updates: every connected websocket hears about each change to a todo, and a
logged-in client may add todos through the socket itself."""

from __future__ import annotations

import json
from typing import Any

from erlen import Blueprint, current_app, g, session, websocket
from erlen.utils import run_sync

from .store import get_store

live = Blueprint("live", __name__)


@live.before_app_websocket
async def load_user() -> None:
    """``g.user`` for websockets too: the session cookie comes with the handshake."""
    name = session.get("user")
    g.user = name if name in current_app.config["USERS"] else None


@live.websocket("/live")
async def updates() -> None:
    """Greet the client, then serve its commands until it goes away."""
    # The proxy is the same object for every connection: store the real one.
    ws = websocket._get_current_object()
    clients = current_app.extensions["todo.clients"]
    await ws.accept()
    clients.add(ws)
    try:
        await ws.send_json({"event": "hello", "clients": len(clients), "user": g.user})
        while True:
            try:
                command = await ws.receive_json()
            except json.JSONDecodeError:
                await ws.close(1003, "expected JSON")
                return
            await _run_command(ws, command)
    finally:
        clients.discard(ws)


async def _run_command(ws: Any, command: Any) -> None:
    action = command.get("action") if isinstance(command, dict) else None
    if action == "ping":
        await ws.send_json({"event": "pong"})
    elif action != "add":
        await ws.send_json({"event": "error", "message": "unknown command"})
    elif g.user is None:
        await ws.send_json({"event": "error", "message": "log in to add todos"})
    elif not isinstance(command.get("title"), str) or not command["title"].strip():
        await ws.send_json({"event": "error", "message": "title must be a non-empty string"})
    else:
        todo = await run_sync(get_store().add)(command["title"].strip())
        await broadcast("created", todo)


async def broadcast(event: str, todo: dict[str, Any]) -> None:
    """Send ``{"event": event, "todo": todo}`` to every connected client."""
    for ws in list(current_app.extensions["todo.clients"]):
        await ws.send_json({"event": event, "todo": todo})
