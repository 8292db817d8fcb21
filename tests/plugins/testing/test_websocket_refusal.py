"""A refused websocket handshake, seen from the test client: entering the block works,
the first ``receive()`` raises ``WebsocketResponseError`` (or leaving the block, if the
test never receives), as with Quart's client."""

from __future__ import annotations

import pytest
from erlen import Erlen, websocket
from erlen.testing import WebsocketDisconnectError, WebsocketResponseError


def app_refusing() -> Erlen:
    app = Erlen(__name__)

    @app.websocket("/private")
    async def private() -> object:
        return "Login first", 401, {"WWW-Authenticate": "Bearer"}

    @app.websocket("/closed")
    async def closed() -> None:
        await websocket.close(4003, "banned")

    return app


async def test_the_first_receive_raises_the_refusal() -> None:
    async with app_refusing().test_client().websocket("/private") as ws:
        await ws.send("hello")  # goes nowhere: the app refused the connection
        with pytest.raises(WebsocketResponseError) as refused:
            await ws.receive()
    assert refused.value.response.status_code == 401
    assert refused.value.response.headers["WWW-Authenticate"] == "Bearer"
    assert await refused.value.response.get_data() == b"Login first"
    assert ws.status_code == 401


async def test_leaving_the_block_raises_it_when_nothing_was_received() -> None:
    with pytest.raises(WebsocketResponseError) as refused:
        async with app_refusing().test_client().websocket("/private"):
            pass
    assert refused.value.response.status_code == 401


async def test_the_refusal_is_raised_once() -> None:
    async with app_refusing().test_client().websocket("/private") as ws:
        with pytest.raises(WebsocketResponseError):
            await ws.receive()
        with pytest.raises(WebsocketResponseError):
            await ws.receive()  # again for a second receive, not a hang
    # leaving the block raised nothing more: the test saw the refusal


async def test_a_close_before_accepting_is_a_403_at_receive() -> None:
    async with app_refusing().test_client().websocket("/closed") as ws:
        with pytest.raises(WebsocketResponseError) as refused:
            await ws.receive()
    assert refused.value.response.status_code == 403
    assert isinstance(refused.value, WebsocketDisconnectError)
    assert (refused.value.code, refused.value.reason) == (4003, "banned")
