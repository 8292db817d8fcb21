"""``TestClient.websocket_connection_class`` swaps the class ``client.websocket()`` opens."""

from __future__ import annotations

from erlen import Erlen, websocket
from erlen.plugins.testing.client import TestClient
from erlen.plugins.testing.connections import TestWebsocketConnection


async def test_websocket_connection_class_can_be_swapped() -> None:
    class RecordingConnection(TestWebsocketConnection):
        sent: list[object] = []

        async def send(self, data: str | bytes) -> None:
            RecordingConnection.sent.append(data)
            await super().send(data)

    class RecordingClient(TestClient):
        websocket_connection_class = RecordingConnection

    app = Erlen(__name__)

    @app.websocket("/echo")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    app.test_client_class = RecordingClient
    async with app.test_client().websocket("/echo") as ws:
        await ws.send("hello")
        assert await ws.receive() == "hello"
    assert isinstance(ws, RecordingConnection)
    assert RecordingConnection.sent == ["hello"]
