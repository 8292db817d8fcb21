"""New posts pushed to every open page over a websocket.

The ``broadcast`` plugin (loaded by default) relays each post to every page that joined
the ``posts`` channel. In one process it needs nothing more; with several workers or
hosts, ``BROADCAST_URL=redis://...`` makes it reach every page of every process.
"""

from __future__ import annotations

from typing import Any

from erlen import Blueprint, websocket
from erlen.plugins.broadcast import broadcast

bp = Blueprint("live", __name__)


async def announce(post: dict[str, Any]) -> None:
    """Send a new post to every open page (a slow client delays nobody)."""
    await broadcast.publish("posts", {"type": "post", "post": post})


@bp.websocket("/live")
async def live() -> None:
    """Keep the connection until the client leaves; posts arrive through ``announce``."""
    await broadcast.join("posts", websocket.connection)
    await websocket.send_json({"type": "ready"})  # from now on, every post arrives
    while True:
        await websocket.receive()  # raises ConnectionClosed when the client leaves
