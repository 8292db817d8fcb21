"""ASGI lifespan: before_serving, while_serving, after_serving, plugin startup/shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from erlen import Erlen, current_app, hookimpl
from erlen.testing import LifespanError


async def run_lifespan(app: Erlen, messages: list[str]) -> list[dict[str, Any]]:
    """Drive the lifespan protocol by hand; returns what the app sent."""
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for kind in messages:
        incoming.put_nowait({"type": kind})
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    await asyncio.wait_for(app(scope, incoming.get, send), 5)
    return sent


async def test_serving_hooks_in_order() -> None:
    app = Erlen(__name__)
    calls: list[str] = []

    @app.before_serving
    async def startup_one() -> None:
        calls.append(f"before_serving {current_app.name}")

    @app.before_serving
    def startup_sync() -> None:
        calls.append("before_serving sync")

    @app.while_serving
    async def lifespan() -> AsyncGenerator[None, None]:
        calls.append("while_serving start")
        yield
        calls.append("while_serving end")

    @app.after_serving
    async def shutdown() -> None:
        calls.append("after_serving")

    @app.route("/")
    async def index() -> str:
        return "served"

    async with app.test_app() as test_app:
        assert calls == ["before_serving " + app.name, "before_serving sync", "while_serving start"]
        response = await test_app.test_client().get("/")
        assert await response.get_data() == b"served"
    assert calls[-2:] == ["while_serving end", "after_serving"]  # Quart's order


async def test_startup_failure_reports_lifespan_startup_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Erlen(__name__)

    @app.before_serving
    async def broken() -> None:
        raise RuntimeError("database unreachable")

    sent = await run_lifespan(app, ["lifespan.startup"])
    assert sent == [{"type": "lifespan.startup.failed", "message": "database unreachable"}]


async def test_startup_failure_raises_from_test_app(caplog: pytest.LogCaptureFixture) -> None:
    app = Erlen(__name__)

    @app.while_serving
    async def broken() -> AsyncGenerator[None, None]:
        raise ValueError("no config")
        yield

    with pytest.raises(LifespanError, match="no config"):
        async with app.test_app():
            pass


async def test_startup_failure_text_is_the_error_as_quart_gives_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A missing setting read at startup: test_app's error reads as under Quart
    # ("Error during startup 'DATABASE_URL'"), and the log names the KeyError with its
    # traceback.
    app = Erlen(__name__)
    settings: dict[str, str] = {}

    @app.before_serving
    async def connect() -> None:
        settings["DATABASE_URL"]

    with pytest.raises(LifespanError) as failure:
        async with app.test_app():
            pass
    assert str(failure.value) == "Error during startup 'DATABASE_URL'"
    [record] = [r for r in caplog.records if r.getMessage() == "Startup failed"]
    assert record.exc_info is not None and record.exc_info[0] is KeyError


async def test_full_protocol_by_hand() -> None:
    app = Erlen(__name__)
    calls: list[str] = []
    app.before_serving(lambda: calls.append("up"))
    app.after_serving(lambda: calls.append("down"))
    sent = await run_lifespan(app, ["lifespan.startup", "lifespan.shutdown"])
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    assert calls == ["up", "down"]


async def test_shutdown_failure_reports_failed() -> None:
    app = Erlen(__name__)

    @app.after_serving
    async def broken() -> None:
        raise OSError("disk gone")

    sent = await run_lifespan(app, ["lifespan.startup", "lifespan.shutdown"])
    assert sent[0] == {"type": "lifespan.startup.complete"}
    assert sent[1]["type"] == "lifespan.shutdown.failed"
    assert "disk gone" in sent[1]["message"]


async def test_while_serving_must_stop_after_one_yield() -> None:
    app = Erlen(__name__)

    @app.while_serving
    async def twice() -> AsyncGenerator[None, None]:
        yield
        yield

    sent = await run_lifespan(app, ["lifespan.startup", "lifespan.shutdown"])
    assert sent[1]["type"] == "lifespan.shutdown.failed"
    assert "didn't terminate" in sent[1]["message"]


class ServingPlugin:
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls

    @hookimpl
    async def erlen_startup(self, app: Erlen) -> None:
        self.calls.append(f"startup {self.name} {current_app.name == app.name}")

    @hookimpl
    def erlen_shutdown(self, app: Erlen) -> None:
        self.calls.append(f"shutdown {self.name}")


async def test_plugin_startup_and_shutdown_hooks() -> None:
    calls: list[str] = []
    first, second = ServingPlugin("first", calls), ServingPlugin("second", calls)
    app = Erlen(__name__, plugins=["testing", first, second])
    app.before_serving(lambda: calls.append("before_serving"))
    app.after_serving(lambda: calls.append("after_serving"))
    async with app.test_app():
        pass
    startups = [c for c in calls if c.startswith("startup")]
    shutdowns = [c for c in calls if c.startswith("shutdown")]
    assert all(c.endswith("True") for c in startups)
    # Plugin startup runs before before_serving, shutdown after after_serving, reversed.
    assert calls.index("before_serving") > calls.index(startups[-1])
    assert calls.index("after_serving") < calls.index(shutdowns[0])
    assert [s.split()[1] for s in startups] == list(reversed([s.split()[1] for s in shutdowns]))


async def test_failing_plugin_startup() -> None:
    class Broken:
        @hookimpl
        def erlen_startup(self, app: Erlen) -> None:
            raise RuntimeError("plugin cannot start")

    app = Erlen(__name__, plugins=[Broken()])
    sent = await run_lifespan(app, ["lifespan.startup"])
    assert sent == [{"type": "lifespan.startup.failed", "message": "plugin cannot start"}]


async def test_shutdown_waits_for_background_tasks() -> None:
    app = Erlen(__name__)
    done: list[str] = []

    async def job() -> None:
        await asyncio.sleep(0.05)
        done.append(current_app.name)

    async with app.test_app():
        app.add_background_task(job)
    assert done == [app.name]


async def test_shutdown_cancels_slow_background_tasks() -> None:
    app = Erlen(__name__)
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.05
    cancelled: list[bool] = []

    async def forever() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async with app.test_app():
        app.add_background_task(forever)
        await asyncio.sleep(0)
    assert cancelled == [True]


async def test_shutdown_event_is_set() -> None:
    app = Erlen(__name__)
    async with app.test_app():
        assert app.shutdown_event is not None
        assert not app.shutdown_event.is_set()
    assert app.shutdown_event.is_set()


async def test_startup_freezes_the_app() -> None:
    app = Erlen(__name__)
    assert not app.frozen
    async with app.test_app():
        assert app.frozen


async def test_unknown_scope_type_is_an_error() -> None:
    app = Erlen(__name__)

    async def receive() -> dict[str, Any]:
        return {}

    async def send(message: dict[str, Any]) -> None:
        pass

    with pytest.raises(RuntimeError, match="unknown"):
        await app({"type": "carrier-pigeon"}, receive, send)


def test_while_serving_refuses_a_sync_generator_or_a_coroutine_at_once() -> None:
    # Both failed only at startup, with "'generator' object has no attribute '__anext__'".
    app = Erlen(__name__)

    def sync_lifespan():  # type: ignore[no-untyped-def]
        yield

    async def no_yield() -> None:
        return None

    with pytest.raises(TypeError) as info:
        app.while_serving(sync_lifespan)
    assert str(info.value).startswith(
        "while_serving needs an async generator function (async def with one yield), but"
        " 'test_while_serving_refuses_a_sync_generator_or_a_coroutine_at_once.<locals>"
        ".sync_lifespan' is a generator function (def with yield): write 'async def"
        " sync_lifespan():'"
    )
    with pytest.raises(TypeError, match="is an async function without yield"):
        app.while_serving(no_yield)
    assert app.while_serving_gens == []
