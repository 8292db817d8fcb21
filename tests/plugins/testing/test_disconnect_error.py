"""The test client's ``WebsocketDisconnectError`` reads as Quart's: ``args == (code,)``,
plus Erlen's ``.code`` and ``.reason``."""

from __future__ import annotations

import pytest
from erlen import Erlen, websocket
from erlen.testing.connections import WebsocketDisconnectError


async def test_close_code_is_the_only_arg() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.close(4001, "go away")

    async with app.test_client().websocket("/ws") as conn:
        with pytest.raises(WebsocketDisconnectError) as closed:
            await conn.receive()
    assert closed.value.args == (4001,)
    assert (closed.value.code, closed.value.reason) == (4001, "go away")
    assert str(closed.value) == "The websocket was closed with code 4001: go away"
