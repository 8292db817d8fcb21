"""A send to a websocket whose client left, made from outside its handler (an HTTP view
broadcasting to stored connections), is dropped as in Quart; it must not raise
``ConnectionClosed`` (a ``CancelledError``) into the view. Inside the handler it still
raises."""

from __future__ import annotations

import asyncio

from erlen import Erlen, websocket
from erlen.exceptions import ConnectionClosed


def _app() -> tuple[Erlen, list[str]]:
    app = Erlen(__name__)
    clients: list = []
    seen: list[str] = []

    @app.websocket("/ws")
    async def ws() -> None:
        conn = websocket._get_current_object()
        await conn.accept()
        clients.append(conn)  # never removed: Quart code may forget, or be slow to
        try:
            while True:
                await conn.receive()
        except ConnectionClosed:
            try:
                await conn.send("too late")
            except ConnectionClosed:
                seen.append("handler: ConnectionClosed")
            raise

    @app.post("/broadcast")
    async def broadcast() -> str:
        for conn in clients:
            await conn.send("news")
        return f"sent to {len(clients)}"

    return app, seen


async def test_broadcast_from_a_view_to_a_client_that_left() -> None:
    app, seen = _app()
    client = app.test_client()
    async with client.websocket("/ws") as conn:
        await client.post("/broadcast")
        assert await asyncio.wait_for(conn.receive(), 5) == "news"
    response = await asyncio.wait_for(client.post("/broadcast"), 5)
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "sent to 1"
    assert seen == ["handler: ConnectionClosed"]
