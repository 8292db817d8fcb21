"""``websocket.headers`` spells names title-cased, as ``request.headers`` does and as
Quart's websocket headers are: what a handler copies or iterates is ``X-Client-Id``,
whatever case the client sent."""

from __future__ import annotations

from erlen import Erlen, websocket


async def test_handshake_headers_read_back_title_cased() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def echo_headers() -> None:
        await websocket.accept()
        await websocket.send_json(
            {"names": list(websocket.headers.keys()), "id": websocket.headers["x-client-id"]}
        )

    async with app.test_client().websocket("/ws", headers={"x-client-id": "c7"}) as ws:
        answer = await ws.receive_json()
    assert "X-Client-Id" in answer["names"]
    assert "x-client-id" not in answer["names"]
    assert answer["id"] == "c7"
