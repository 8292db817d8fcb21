"""``app.test_app()`` and ``TestApp``: lifespan failures and hangs end the test clearly."""

from __future__ import annotations

import asyncio

import pytest
from erlen import Erlen
from erlen.plugins.testing import LifespanError, TestApp


async def test_a_failed_shutdown_is_reported() -> None:
    app = Erlen(__name__)

    @app.after_serving
    async def flush() -> None:
        raise RuntimeError("flush failed")

    with pytest.raises(LifespanError, match="Error during shutdown.*flush failed"):
        async with app.test_app():
            pass


async def test_a_hanging_startup_times_out_and_is_stopped() -> None:
    app = Erlen(__name__)
    cancelled = asyncio.Event()

    @app.before_serving
    async def hang() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError, match="lifespan startup did not finish within 0.2s"):
        async with TestApp(app, startup_timeout=0.2):
            pass
    assert cancelled.is_set()  # no task left running after the test


async def test_startup_and_shutdown_by_hand() -> None:
    app = Erlen(__name__)
    state: list[str] = []

    @app.before_serving
    async def start() -> None:
        state.append("up")

    @app.after_serving
    async def stop() -> None:
        state.append("down")

    @app.route("/")
    async def index() -> str:
        return ",".join(state)

    test_app = app.test_app()
    await test_app.startup()
    response = await test_app.test_client().get("/")
    assert await response.get_data(as_text=True) == "up"
    await test_app.shutdown()
    assert state == ["up", "down"]
