"""A view still working when its client goes away is cancelled, as in Quart: it gets
``CancelledError`` at its ``await``, its teardown functions run, nothing is sent. Driven
as an ASGI server drives the app, message by message; the same over real sockets is in
tests/plugins/serving/test_client_disconnect_served.py.

The watch never takes the body from the view: a view that waits before reading its body
still reads all of it.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from erlen import Blueprint, Erlen, request, stream_with_context

from tests.asgi_helpers import http_scope

#: Bound of every wait in these tests.
TIMEOUT = 5.0


class Client:
    """One request to ``app``, its messages fed by the test; what the app sent is kept."""

    def __init__(self, app: Erlen, method: str = "GET", headers: list[Any] | None = None):
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []
        scope = http_scope(method, "/", [(b"host", b"localhost"), *(headers or [])])
        self.task = asyncio.ensure_future(app(scope, self.to_app.get, self._send))

    async def _send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def body(self, data: bytes, more: bool = False) -> None:
        self.to_app.put_nowait({"type": "http.request", "body": data, "more_body": more})

    def leave(self) -> None:
        self.to_app.put_nowait({"type": "http.disconnect"})

    async def finished(self) -> list[dict[str, Any]]:
        await asyncio.wait_for(self.task, TIMEOUT)
        return self.sent

    def answer(self) -> tuple[int, bytes]:
        status = self.sent[0]["status"]
        return status, b"".join(m.get("body", b"") for m in self.sent[1:])


def waiting_app(events: list[str], release: asyncio.Event) -> Erlen:
    app = Erlen(__name__)

    @app.route("/", methods=["GET", "POST"])
    async def index() -> str:
        try:
            await release.wait()
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        events.append("finished")
        return "done"

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {type(exc).__name__}")

    return app


async def test_a_view_is_cancelled_when_its_client_leaves() -> None:
    events: list[str] = []
    app = waiting_app(events, asyncio.Event())
    client = Client(app)
    client.body(b"")
    await asyncio.sleep(0.6)  # the view waits past the watch's first ticks
    client.leave()
    assert await client.finished() == []  # nothing sent to a client that left
    assert events == ["cancelled", "teardown CancelledError"]


async def test_a_client_that_stays_gets_its_answer() -> None:
    events: list[str] = []
    release = asyncio.Event()
    app = waiting_app(events, release)
    client = Client(app)
    client.body(b"")
    await asyncio.sleep(0.6)
    release.set()
    await client.finished()
    assert client.answer() == (200, b"done")
    assert events == ["finished", "teardown NoneType"]


async def test_a_client_leaving_early_cancels_the_view_within_two_ticks() -> None:
    events: list[str] = []
    app = waiting_app(events, asyncio.Event())
    client = Client(app)
    client.body(b"")
    client.leave()  # at once, before any tick
    assert await client.finished() == []
    assert events == ["cancelled", "teardown CancelledError"]


async def test_a_view_catching_the_cancellation_sends_nothing() -> None:
    app = Erlen(__name__)
    caught: list[str] = []

    @app.route("/")
    async def index() -> str:
        try:
            await asyncio.sleep(TIMEOUT)
        except asyncio.CancelledError:
            caught.append("caught")
        return "too late"

    client = Client(app)
    client.body(b"")
    await asyncio.sleep(0.6)
    client.leave()
    assert await client.finished() == []
    assert caught == ["caught"]
    assert not client.task.cancelled()


async def test_a_view_that_awaits_nothing_is_not_watched() -> None:
    # It cannot give the loop a turn, so it answers whatever the client does.
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "quick"

    client = Client(app)
    client.body(b"")
    client.leave()
    await client.finished()
    assert client.answer() == (200, b"quick")


@pytest.mark.parametrize("parts", [[b"a=1&b=2"], [b"a=1", b"&b=", b"2"]])
async def test_a_view_waiting_before_it_reads_its_body_reads_all_of_it(
    parts: list[bytes],
) -> None:
    app = Erlen(__name__)
    release = asyncio.Event()

    @app.route("/", methods=["POST"])
    async def index() -> str:
        await release.wait()  # the watch starts meanwhile and reads the first message
        form = await request.form
        return f"{form['a']} {form['b']}"

    size = sum(map(len, parts))
    client = Client(
        app,
        "POST",
        [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(size).encode()),
        ],
    )
    for index, part in enumerate(parts):
        client.body(part, more=index < len(parts) - 1)
    await asyncio.sleep(0.6)
    release.set()
    await client.finished()
    assert client.answer() == (200, b"1 2")


async def test_a_view_reading_its_body_late_is_cancelled_after_reading_it() -> None:
    app = Erlen(__name__)
    events: list[str] = []

    @app.route("/", methods=["POST"])
    async def index() -> str:
        await asyncio.sleep(0.6)
        events.append((await request.get_data()).decode())
        try:
            await asyncio.sleep(TIMEOUT)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        return "never"

    client = Client(app, "POST", [(b"content-length", b"6")])
    client.body(b"abc", more=True)
    await asyncio.sleep(1.0)  # the first part was handed over, the rest not sent yet
    client.body(b"def")
    await asyncio.sleep(0.2)
    client.leave()
    assert await client.finished() == []
    assert events == ["abcdef", "cancelled"]


async def test_a_get_view_reading_its_empty_body_late() -> None:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0.6)
        return repr(await request.get_data())

    client = Client(app)
    client.body(b"")
    await client.finished()
    assert client.answer() == (200, b"b''")


def app_waiting_in(where: str, events: list[str]) -> Erlen:
    """An app whose handler waits (for good) in ``where``; it records its cancellation."""
    app = Erlen(__name__)
    bp = Blueprint("bp", __name__)
    never = asyncio.Event()

    async def wait() -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            events.append(f"cancelled in {where}")
            raise

    if where == "view":

        @bp.route("/")
        async def index() -> str:
            await wait()
            return "never"

    else:

        @bp.route("/")
        async def index() -> str:  # awaits nothing itself
            return "view"

    if where == "app before_request":
        app.before_request(wait)
    elif where == "blueprint before_request":
        bp.before_request(wait)
    elif where == "after_request":

        @bp.after_request
        async def after(response: Any) -> Any:
            await wait()
            return response

    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize(
    "where", ["view", "app before_request", "blueprint before_request", "after_request"]
)
async def test_the_handler_is_cancelled_wherever_it_waits(where: str) -> None:
    events: list[str] = []
    client = Client(app_waiting_in(where, events))
    client.body(b"")
    await asyncio.sleep(0.6)
    client.leave()
    assert await client.finished() == []
    assert events == [f"cancelled in {where}"]


async def test_a_sync_view_in_its_thread_is_left_and_nothing_sent() -> None:
    # As in Quart: the wait for the thread is cancelled; the thread ends on its own.
    app = Erlen(__name__)
    done = threading.Event()

    @app.route("/")
    def index() -> str:
        done.wait(TIMEOUT)
        return "too late"

    client = Client(app)
    client.body(b"")
    await asyncio.sleep(0.6)
    client.leave()
    try:
        assert await client.finished() == []
    finally:
        done.set()


async def test_a_body_sent_after_the_view_returned_is_read_by_its_stream() -> None:
    # The watch was waiting for the first message when the view returned a stream that
    # reads the body: the message still reaches the body.
    app = Erlen(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> Any:
        await asyncio.sleep(0.6)

        @stream_with_context
        async def echo() -> Any:
            yield b"got " + await request.get_data()

        return echo()

    client = Client(app, "POST", [(b"content-length", b"4")])
    await asyncio.sleep(1.0)  # the view has returned; no body sent yet
    client.body(b"data")
    await client.finished()
    assert client.answer() == (200, b"got data")
