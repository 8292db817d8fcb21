"""Background tasks, sync views in threads, ``run_sync``/``run_sync_iterable`` and
``app.ensure_async``."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from erlen import Erlen, current_app, g, request
from erlen.utils import run_sync, run_sync_iterable


def in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


async def test_background_task_runs_after_the_response_in_an_app_context() -> None:
    app = Erlen(__name__, static_folder=None)
    release = asyncio.Event()
    finished = asyncio.Event()
    seen: dict[str, Any] = {}

    async def send_email(to: str, *, subject: str) -> None:
        await release.wait()
        seen.update(to=to, subject=subject, app=current_app.name, has_g="user" in g)
        finished.set()

    @app.route("/signup")
    async def signup() -> str:
        g.user = "ada"
        app.add_background_task(send_email, "ada@example.test", subject="welcome")
        return "queued"

    async with app.test_app() as test_app:
        response = await asyncio.wait_for(test_app.test_client().get("/signup"), 5)
        assert await response.get_data() == b"queued"
        assert not finished.is_set()  # the response did not wait for the task
        assert len(app.background_tasks) == 1
        release.set()
        await asyncio.wait_for(finished.wait(), 5)
    assert seen == {"to": "ada@example.test", "subject": "welcome", "app": app.name, "has_g": False}
    assert app.background_tasks == set()


async def test_sync_background_task_runs_in_a_thread() -> None:
    app = Erlen(__name__, static_folder=None)
    result: list[tuple[bool, str]] = []

    def blocking_job(label: str) -> None:
        time.sleep(0.01)
        result.append((in_main_thread(), f"{label} {current_app.name}"))

    @app.route("/")
    async def index() -> str:
        app.add_background_task(blocking_job, "job")
        return "ok"

    async with app.test_app() as test_app:
        await test_app.test_client().get("/")
    # shutdown waited for the task
    assert result == [(False, f"job {app.name}")]


async def test_shutdown_waits_for_tasks_up_to_the_timeout() -> None:
    app = Erlen(__name__, static_folder=None)
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.2
    outcome: dict[str, str] = {}

    async def quick() -> None:
        await asyncio.sleep(0.05)
        outcome["quick"] = "done"

    async def stuck() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            outcome["stuck"] = "cancelled"
            raise

    @app.route("/")
    async def index() -> str:
        app.add_background_task(quick)
        app.add_background_task(stuck)
        return "ok"

    start = time.monotonic()
    async with app.test_app() as test_app:
        await test_app.test_client().get("/")
    elapsed = time.monotonic() - start
    assert outcome == {"quick": "done", "stuck": "cancelled"}
    assert elapsed < 3  # bounded by the timeout, not by the stuck task


async def test_failing_background_task_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Erlen(__name__, static_folder=None)

    async def broken() -> None:
        raise ValueError("task failed")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(broken)
        return "ok"

    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/")
        assert response.status_code == 200
    assert "task failed" in caplog.text


async def test_background_task_sees_the_request_that_started_it_as_in_quart() -> None:
    app = Erlen(__name__, static_folder=None)
    seen: list[str] = []

    async def job() -> None:
        await asyncio.sleep(0.01)  # the request has finished by now
        seen.append(request.args["who"])

    @app.route("/")
    async def index() -> str:
        app.add_background_task(job)
        return "ok"

    async with app.test_app() as test_app:
        await test_app.test_client().get("/", query_string={"who": "ada"})
    assert seen == ["ada"]


async def test_sync_views_and_hooks_run_in_threads_with_the_context() -> None:
    app = Erlen(__name__, static_folder=None)

    @app.before_request
    def before() -> None:
        g.before_thread = not in_main_thread()

    @app.route("/sync")
    def sync_view() -> dict[str, Any]:
        time.sleep(0.01)  # blocking is fine: the event loop is not in this thread
        return {
            "thread": not in_main_thread(),
            "before": g.before_thread,
            "path": request.path,
            "arg": request.args.get("q"),
        }

    response = await app.test_client().get("/sync", query_string={"q": "x"})
    assert await response.get_json() == {
        "thread": True,
        "before": True,
        "path": "/sync",
        "arg": "x",
    }


async def test_sync_views_do_not_block_each_other() -> None:
    app = Erlen(__name__, static_folder=None)
    barrier = threading.Barrier(2, timeout=5)

    @app.route("/meet")
    def meet() -> str:
        barrier.wait()  # both requests must be in their threads at once
        return "met"

    client = app.test_client()
    responses = await asyncio.wait_for(asyncio.gather(client.get("/meet"), client.get("/meet")), 10)
    assert [r.status_code for r in responses] == [200, 200]


async def test_run_sync_and_run_sync_iterable() -> None:
    def add(a: int, b: int) -> tuple[int, bool]:
        return a + b, in_main_thread()

    assert await run_sync(add)(1, b=2) == (3, False)

    def numbers() -> Iterator[tuple[int, bool]]:
        for i in range(3):
            yield i, in_main_thread()

    items = [item async for item in run_sync_iterable(numbers())]
    assert items == [(0, False), (1, False), (2, False)]
    generated = await run_sync(numbers)()  # a generator result becomes an async iterator
    assert [i async for i, _ in generated] == [0, 1, 2]


async def test_ensure_async() -> None:
    app = Erlen(__name__, static_folder=None)

    async def already_async() -> str:
        return "async"

    def plain() -> bool:
        return in_main_thread()

    assert app.ensure_async(already_async) is already_async
    wrapped = app.ensure_async(plain)
    assert asyncio.iscoroutinefunction(wrapped)
    assert await wrapped() is False
    assert app.ensure_async(wrapped) is wrapped  # not wrapped twice
