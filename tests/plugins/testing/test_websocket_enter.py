"""Entering ``async with client.websocket(path)`` runs the handler until it accepts.

A real client's connect returns once the server answered the handshake, so in the block
the connection is accepted and whatever the handler did before accepting has happened.
Quart's test client enters without running the handler (it starts when the test first
awaits), a difference the porting guide's "Testing" describes: socket-games' mafia test
relies on it, and fails behind a real server on Quart too.
"""

from __future__ import annotations

from erlen import Erlen, websocket


async def test_the_handler_has_run_up_to_its_accept_inside_the_block() -> None:
    app = Erlen(__name__)
    phase = ["lobby"]

    @app.websocket("/ws")
    async def ws() -> None:
        seen_on_connect = phase[0]  # what the game looked like when this client joined
        await websocket.accept()
        await websocket.send(seen_on_connect)
        await websocket.receive()

    async with app.test_client().websocket("/ws") as conn:
        assert conn.accepted
        phase[0] = "started"  # the test moves on after connecting, as a browser would
        assert await conn.receive() == "lobby"


async def test_a_subprotocol_and_headers_are_known_inside_the_block() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept(subprotocol="chat", headers={"X-Room": "blue"})
        await websocket.receive()

    async with app.test_client().websocket("/ws", subprotocols=["chat"]) as conn:
        assert (conn.subprotocol, conn.headers["X-Room"]) == ("chat", "blue")
