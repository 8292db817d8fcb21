"""Seed 000's chat broadcast: as written it stores the `websocket` proxy in a set, which
fails at once with a TypeError naming the fix; with `websocket._get_current_object()` it
broadcasts between clients."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from erlen import Erlen, websocket
from erlen.exceptions import ConnectionClosed
from erlen.testing import WebsocketDisconnectError


def chat_app_as_written() -> Erlen:
    app = Erlen(__name__)
    # Store active connections
    connections = set()

    @app.websocket("/chat")
    async def chat_websocket():
        await websocket.accept()
        connections.add(websocket)
        try:
            # Send welcome message
            await websocket.send_json(
                {"type": "system", "message": f"Connected! {len(connections)} users online."}
            )
            # Broadcast new user joined
            await broadcast_message(
                {"type": "user_joined", "count": len(connections)}, exclude=websocket
            )
            while True:
                # Receive message from this client
                data = await websocket.receive_json()
                # Broadcast to all other clients
                broadcast_data = {
                    "type": "message",
                    "user": data.get("user", "Anonymous"),
                    "message": data.get("message", ""),
                    "timestamp": time.time(),
                }
                await broadcast_message(broadcast_data, exclude=websocket)
        except ConnectionClosed:
            pass
        finally:
            # Remove connection and notify others
            connections.discard(websocket)
            await broadcast_message({"type": "user_left", "count": len(connections)})

    async def broadcast_message(data, exclude=None):
        """Broadcast message to all connected clients."""
        if not connections:
            return
        # Create list of send tasks
        tasks = []
        for conn in connections.copy():  # Copy to avoid modification during iteration
            if conn != exclude:
                tasks.append(send_safe(conn, data))
        # Send to all connections concurrently
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def send_safe(ws, data):
        """Send data to websocket, handling connection errors."""
        try:
            await ws.send_json(data)
        except ConnectionClosed:
            # Remove broken connection
            connections.discard(ws)

    return app


def chat_app_fixed() -> Erlen:
    """The same code, storing `websocket._get_current_object()` instead of the proxy."""
    app = Erlen(__name__)
    connections = set()

    @app.websocket("/chat")
    async def chat_websocket():
        await websocket.accept()
        connections.add(websocket._get_current_object())
        try:
            await websocket.send_json(
                {"type": "system", "message": f"Connected! {len(connections)} users online."}
            )
            await broadcast_message(
                {"type": "user_joined", "count": len(connections)}, exclude=websocket
            )
            while True:
                data = await websocket.receive_json()
                broadcast_data = {
                    "type": "message",
                    "user": data.get("user", "Anonymous"),
                    "message": data.get("message", ""),
                    "timestamp": time.time(),
                }
                await broadcast_message(broadcast_data, exclude=websocket)
        except ConnectionClosed:
            pass
        finally:
            connections.discard(websocket._get_current_object())
            await broadcast_message({"type": "user_left", "count": len(connections)})

    async def broadcast_message(data, exclude=None):
        if not connections:
            return
        tasks = []
        for conn in connections.copy():
            if conn != exclude:
                tasks.append(send_safe(conn, data))
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def send_safe(ws, data):
        try:
            await ws.send_json(data)
        except ConnectionClosed:
            connections.discard(ws)

    return app


async def test_storing_the_proxy_fails_at_once_naming_the_fix(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = chat_app_as_written()
    with caplog.at_level(logging.ERROR):
        async with app.test_client().websocket("/chat") as ws:
            with pytest.raises(WebsocketDisconnectError) as info:
                await ws.receive()
    # Accepted, then the handler failed at `connections.add(websocket)`: close 1011.
    assert info.value.code == 1011
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].getMessage() == "Exception on websocket /chat"
    assert errors[0].exc_info is not None
    error = errors[0].exc_info[1]
    assert isinstance(error, TypeError)
    assert "connections.add(websocket.connection)" in str(error)


async def test_storing_the_connection_object_broadcasts_between_clients() -> None:
    app = chat_app_fixed()
    client = app.test_client()
    async with client.websocket("/chat") as ann:
        welcome = await ann.receive_json()
        assert welcome == {"type": "system", "message": "Connected! 1 users online."}
        async with client.websocket("/chat") as bob:
            assert await bob.receive_json() == {
                "type": "system",
                "message": "Connected! 2 users online.",
            }
            assert await ann.receive_json() == {"type": "user_joined", "count": 2}

            await ann.send_json({"user": "ann", "message": "hi bob"})
            got = await bob.receive_json()
            assert (got["type"], got["user"], got["message"]) == ("message", "ann", "hi bob")

            await bob.send_json({"message": "hi ann"})
            got = await ann.receive_json()
            assert (got["user"], got["message"]) == ("Anonymous", "hi ann")
        # Bob left: his handler's finally told Ann.
        assert await ann.receive_json() == {"type": "user_left", "count": 1}
