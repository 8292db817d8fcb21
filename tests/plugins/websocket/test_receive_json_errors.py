"""``receive_json()`` on invalid JSON: Quart handlers catch ``json.JSONDecodeError`` (or
``ValueError``), Erlen handlers ``BadRequest``; both keep the connection open."""

from __future__ import annotations

import asyncio
import json

import pytest
from erlen import Erlen, websocket
from erlen.exceptions import BadRequest


@pytest.mark.parametrize("caught", [json.JSONDecodeError, ValueError, BadRequest])
async def test_handler_catches_invalid_json_and_goes_on(caught: type[Exception]) -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        while True:
            try:
                data = await websocket.receive_json()
            except caught:
                await websocket.send_json({"error": "invalid JSON"})
                continue
            await websocket.send_json({"echo": data})

    async with app.test_client().websocket("/ws") as conn:
        await conn.send("{nope")
        assert await asyncio.wait_for(conn.receive_json(), 5) == {"error": "invalid JSON"}
        await conn.send_json({"a": 1})
        assert await asyncio.wait_for(conn.receive_json(), 5) == {"echo": {"a": 1}}
