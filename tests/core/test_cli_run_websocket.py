"""``kernel run`` as a subprocess: SIGTERM closes open websockets with 1001 (going away).

Twice: with the websocket plugin, and with a raw ASGI handler given through the
``erlen_protocol_handlers`` hook (the kernel's serving side whatever serves websockets).
Every process is killed at the end of the test; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

PLUGIN_APP = """
import os, pathlib
from erlen import Erlen, websocket

app = Erlen(__name__, extra_plugins=["websocket"])

@app.websocket("/ws")
async def ws():
    while True:
        await websocket.receive()

@app.after_serving
async def mark_shutdown():
    pathlib.Path(os.environ["SHUTDOWN_MARKER"]).write_text("after_serving ran")
"""

RAW_ASGI_APP = """
import os, pathlib
from erlen import Erlen, hookimpl

class RawWebsocket:
    @hookimpl
    def erlen_protocol_handlers(self, app):
        async def handler(scope, receive, send):
            await receive()
            await send({"type": "websocket.accept"})
            while (await receive())["type"] != "websocket.disconnect":
                pass
        return {"websocket": handler}

app = Erlen(__name__, plugins=[RawWebsocket()])

@app.after_serving
async def mark_shutdown():
    pathlib.Path(os.environ["SHUTDOWN_MARKER"]).write_text("after_serving ran")
"""


@pytest.mark.parametrize("source", [PLUGIN_APP, RAW_ASGI_APP], ids=["plugin", "raw-asgi"])
async def test_sigterm_closes_open_websockets_with_1001(
    tmp_path: Path, start_kernel: Any, source: str
) -> None:
    (tmp_path / "served.py").write_text(source)
    env = {"SHUTDOWN_MARKER": str(tmp_path / "marker")}
    # A long grace period: the websocket must be closed at once, not when it runs out.
    args = ["--app", "served", "run", "--port", "0", "--graceful-timeout", "30"]
    server = start_kernel(args, tmp_path, env)
    url = server.url().replace("http://", "ws://")
    async with connect(url + "/ws", open_timeout=10) as ws:
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1001
    code = await asyncio.to_thread(server.finish)
    assert code == 0
    assert time.monotonic() - started < 10
    assert (tmp_path / "marker").read_text() == "after_serving ran"
