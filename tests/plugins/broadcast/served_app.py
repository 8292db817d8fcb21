"""The app the multi-worker tests serve with ``kernel run --workers 2``.

Each client is greeted with its worker's pid once its relay is live; every text it sends
is published to the others (not to itself) in every worker.
"""

from __future__ import annotations

import os

from erlen import Erlen, websocket
from erlen.plugins.broadcast import broadcast

app = Erlen(__name__)
app.config.from_prefixed_env("SERVED")


@app.websocket("/ws")
async def room() -> None:
    conn = websocket._get_current_object()
    await conn.accept()
    await broadcast.join("room", conn)
    await conn.send_json({"type": "hello", "pid": os.getpid()})
    while True:
        text = await conn.receive()
        await broadcast.publish("room", text, exclude=conn)
