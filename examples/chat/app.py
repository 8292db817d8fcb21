"""The chat app: one page, one websocket endpoint, every message to everyone else.

Messages go through the broadcast plugin's hub, so the chat is one room across every
worker process and host: run it with ``BROADCAST_URL=redis://127.0.0.1:6379/0 kernel
--app examples.chat:app run --workers 2``. With the default ``memory://`` it is one room
per process. The online count is per process.

Each connection stores ``websocket.connection``, the connection itself: the ``websocket``
global is a context proxy that means "the current connection" wherever it is used, so a
set of proxies could not tell the clients apart (Erlen refuses to hash it).

A client names itself with ``/ws?user=NAME`` (the page does, from its name field), so the
others are told who joined and who left; a message carries the name it was sent with, or,
sent without one, the connection's name.
"""

from __future__ import annotations

import os
import time
from typing import Any

from erlen import Erlen, Websocket, render_template, websocket
from erlen.exceptions import BadRequest, ConnectionClosed
from erlen.plugins.broadcast import BroadcastError, BroadcastUnavailable
from erlen.plugins.broadcast import broadcast as hub

app = Erlen(__name__)
app.config.from_prefixed_env("CHAT")
app.config.setdefault("MAX_NAME_LENGTH", 32)
app.config.setdefault("MAX_MESSAGE_LENGTH", 2000)
app.config.setdefault("SHOW_WORKER", False)  # CHAT_SHOW_WORKER=1: the greeting names the pid

connections: set[Websocket] = set()


@app.route("/")
async def index() -> str:
    """The chat page."""
    return await render_template("index.html", online=len(connections))


@app.websocket("/ws")
async def chat() -> None:
    """Join the room, publish this client's messages to the others, leave on disconnect."""
    me = websocket.connection
    name = _text(me.args.get("user"), app.config["MAX_NAME_LENGTH"]) or "Anonymous"
    await me.accept()
    connections.add(me)
    await hub.join("chat", me)  # every "chat" message, from any worker or host, goes to me
    try:
        greeting: dict[str, Any] = {
            "type": "system",
            "message": f"Connected! {_users_online(len(connections))}.",
            "count": len(connections),
        }
        if app.config["SHOW_WORKER"]:
            greeting["worker"] = os.getpid()
        await me.send_json(greeting)
        joined = {"type": "user_joined", "count": len(connections), "user": name}
        await hub.publish("chat", joined, exclude=me)
        while True:
            try:
                data = await me.receive_json()
            except BadRequest:
                await me.send_json({"type": "error", "message": "Invalid JSON format"})
                continue
            if not isinstance(data, dict):
                await me.send_json({"type": "error", "message": "Send a JSON object"})
                continue
            # A message without a name keeps the connection's (from ?user= or earlier).
            name = _text(data.get("user"), app.config["MAX_NAME_LENGTH"]) or name
            message = {
                "type": "message",
                "user": name,
                "message": _text(data.get("message"), app.config["MAX_MESSAGE_LENGTH"]),
                "timestamp": time.time(),
            }
            try:
                await hub.publish("chat", message, exclude=me)
            except BroadcastUnavailable:
                await me.send_json(
                    {"type": "error", "message": "Not delivered: the chat is reconnecting"}
                )
    except ConnectionClosed:
        pass
    finally:
        connections.discard(me)
        try:
            left = {"type": "user_left", "count": len(connections), "user": name}
            await hub.publish("chat", left, exclude=me)
        except BroadcastError:
            pass  # the broker is away or the server is shutting down: nobody to tell


def _users_online(count: int) -> str:
    return f"{count} user online" if count == 1 else f"{count} users online"


def _text(value: Any, limit: int) -> str:
    return str(value)[:limit] if value is not None else ""
