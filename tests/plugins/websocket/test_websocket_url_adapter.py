"""``websocket_ctx.url_adapter`` (Quart's): the URL adapter bound to the connection."""

from __future__ import annotations

from erlen import Erlen, url_for, websocket
from erlen.globals import websocket_ctx


async def test_the_websocket_context_has_a_bound_url_adapter() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws/<name>")
    async def ws(name: str) -> None:
        await websocket.accept()
        endpoint, args = websocket_ctx.url_adapter.match()
        websocket_ctx.url_adapter = app.url_map.bind("other.example", url_scheme="https")
        await websocket.send_json(
            [endpoint, args, url_for("ws", name="ann", _external=True, _scheme="wss")]
        )

    async with app.test_client().websocket("/ws/bob") as connection:
        assert await connection.receive_json() == [
            "ws",
            {"name": "bob"},
            "wss://other.example/ws/ann",
        ]
