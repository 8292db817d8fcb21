"""The app ``test_asgi_servers.py`` serves with uvicorn, granian and hypercorn's own CLI.

Its lifespan functions and background task print one line each to stdout, which the
test reads after the server stopped. ``SERVED_SERVER_NAME`` sets ``SERVER_NAME``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from erlen import Erlen, abort, request, websocket

app = Erlen(__name__, extra_plugins=["websocket"])
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
app.config["SERVER_NAME"] = os.environ.get("SERVED_SERVER_NAME")
#: What the streamed bodies did (read by ``/streams``).
streams = {"started": 0, "closed": 0}


def say(line: str) -> None:
    print(line, flush=True)


@app.before_serving
async def started() -> None:
    say("before_serving")


@app.while_serving
async def serving() -> AsyncIterator[None]:
    say("while_serving: up")
    yield
    say("while_serving: down")


@app.after_serving
async def stopped() -> None:
    say("after_serving")


@app.route("/plain")
async def plain() -> str:
    return "hello"


@app.route("/tuple")
async def created() -> tuple[str, int, dict[str, str]]:
    return "created", 201, {"X-Custom": "1"}


@app.route("/connection")
async def connection() -> dict[str, object]:
    return {
        "server": request.server,
        "remote_addr": request.remote_addr,
        "host": request.host,
        "http_version": request.http_version,
        "url": request.url,
    }


@app.route("/upload", methods=["POST"])
async def upload() -> dict[str, int]:
    return {"length": len(await request.get_data())}


@app.route("/busy")
async def busy() -> object:
    async def body() -> AsyncIterator[bytes]:
        # Awaits nothing but the server's send: only a disconnect can stop it.
        streams["started"] += 1
        try:
            while True:
                yield b"x" * 16384
        finally:
            streams["closed"] += 1

    return body()


@app.route("/streams")
async def stream_counts() -> dict[str, int]:
    return streams


@app.route("/later")
async def later() -> str:
    async def task() -> None:
        await asyncio.sleep(0.3)
        say("background task done")

    app.add_background_task(task)
    return "scheduled"


@app.websocket("/echo")
async def echo() -> None:
    await websocket.accept(subprotocol="chat")
    message = await websocket.receive()
    await websocket.send(message)
    await websocket.close(4001, "bye")


@app.websocket("/refused")
async def refused() -> None:
    abort(401)
