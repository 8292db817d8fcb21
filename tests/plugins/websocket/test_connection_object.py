"""``websocket.connection``: the public spelling of the running handler's connection
object, to store and send to from other handlers (Quart's ``_get_current_object()`` is the
same object)."""

from __future__ import annotations

import asyncio

from erlen import Erlen, Websocket, websocket


def broadcast_app() -> tuple[Erlen, set[Websocket]]:
    app = Erlen(__name__)
    clients: set[Websocket] = set()

    @app.websocket("/room")
    async def room() -> None:
        me = websocket.connection
        assert me is websocket._get_current_object()
        clients.add(me)
        try:
            while True:
                text = await websocket.receive()
                for other in list(clients):
                    if other is not me:
                        await other.send(text)
        finally:
            clients.discard(me)

    return app, clients


async def test_a_stored_connection_receives_what_another_handler_sends() -> None:
    app, clients = broadcast_app()
    client = app.test_client()
    async with client.websocket("/room") as ann, client.websocket("/room") as bob:
        for _ in range(100):  # both handlers have stored their connection
            if len(clients) == 2:
                break
            await asyncio.sleep(0.01)
        assert len(clients) == 2
        await ann.send("hello bob")
        assert await bob.receive() == "hello bob"
        await bob.send("hi ann")
        assert await ann.receive() == "hi ann"
    for _ in range(100):
        if not clients:
            break
        await asyncio.sleep(0.01)
    assert clients == set()
