"""A view that raises ``CancelledError`` itself (or awaits a task that was cancelled) ends
its request as under a server: the test client answers what hypercorn answers, a 500 with
an empty body when nothing was sent, after the request's teardown functions ran; the
``CancelledError`` is not raised into the test, which would look as if the test itself
had been cancelled. Cancelling the test while it waits for a response still cancels it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from erlen import Erlen
from erlen.plugins.testing import HTTPDisconnectError


def cancelling_app(torn_down: list[str]) -> Erlen:
    app = Erlen(__name__)

    @app.route("/raises")
    async def raises() -> str:
        raise asyncio.CancelledError()

    @app.route("/awaits-cancelled")
    async def awaits_cancelled() -> str:
        job = asyncio.ensure_future(asyncio.sleep(60))
        job.cancel()
        await job
        return "not reached"

    @app.route("/slow")
    async def slow() -> str:
        await asyncio.sleep(60)
        return "not reached"

    @app.teardown_request
    async def record(error: BaseException | None) -> None:
        torn_down.append(type(error).__name__)

    return app


@pytest.mark.parametrize("path", ["/raises", "/awaits-cancelled"])
async def test_the_client_answers_500_after_teardown(path: str) -> None:
    torn_down: list[str] = []
    client = cancelling_app(torn_down).test_client()
    response = await client.get(path)
    assert response.status_code == 500
    assert await response.get_data() == b""
    assert torn_down == ["CancelledError"]
    # the client goes on serving
    response = await client.get("/raises")
    assert response.status_code == 500


async def test_a_streamed_connection_ends_without_raising_it() -> None:
    torn_down: list[str] = []
    client = cancelling_app(torn_down).test_client()
    async with client.request("/raises") as connection:
        await connection.send_complete()
        with pytest.raises(HTTPDisconnectError):
            await connection.receive()
    assert torn_down == ["CancelledError"]


async def test_cancelling_the_test_still_cancels_it() -> None:
    torn_down: list[str] = []
    client = cancelling_app(torn_down).test_client()
    request: Any = asyncio.ensure_future(client.get("/slow"))
    await asyncio.sleep(0.05)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(request, 5)
    assert request.cancelled()
