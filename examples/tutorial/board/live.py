"""New posts pushed to every open page over a websocket.

The connections are kept in this process's memory, which is right for one server
process. Served by several workers (``kernel run --workers 4``), each process only knows
its own clients: the broadcast plugin (``erlen.plugins.broadcast``, on Redis) is how
every worker's clients get every post.
"""

from __future__ import annotations

import asyncio
from typing import Any

from erlen import Blueprint, websocket
from erlen.exceptions import ConnectionClosed

bp = Blueprint("live", __name__)

#: The open connections of this process.
connections: set[Any] = set()


async def send_safe(connection: Any, data: dict[str, Any]) -> None:
    """Send to one client; forget it if it has gone."""
    try:
        await connection.send_json(data)
    except ConnectionClosed:
        connections.discard(connection)


async def announce(post: dict[str, Any]) -> None:
    """Send a new post to every open page, all at once (a slow client delays nobody)."""
    message = {"type": "post", "post": post}
    await asyncio.gather(*(send_safe(c, message) for c in connections.copy()))


@bp.websocket("/live")
async def live() -> None:
    """Keep the connection until the client leaves; posts arrive through ``announce``."""
    me = websocket._get_current_object()
    connections.add(me)
    try:
        await websocket.send_json({"type": "ready"})  # from now on, every post arrives
        while True:
            await websocket.receive()  # raises ConnectionClosed when the client leaves
    finally:
        connections.discard(me)
