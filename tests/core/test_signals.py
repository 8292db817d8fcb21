"""Quart's signals: which exist, when they are sent, with which arguments, and that sync
and async receivers both work."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import erlen
import pytest
from erlen import Erlen, flash, request, signals


@pytest.fixture
def app() -> Erlen:
    app = Erlen(__name__, static_folder=None)
    app.secret_key = "signals"

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/boom")
    async def boom() -> str:
        raise LookupError("boom")

    @app.route("/flash")
    async def flashing() -> str:
        await flash("hi", "info")
        return "flashed"

    return app


@pytest.fixture
def record() -> Iterator[Any]:
    """Connect receivers for the test only (blinker holds them weakly by default)."""
    connected: list[tuple[Any, Any]] = []

    def connect(signal: Any, receiver: Any, sender: Any = None) -> None:
        if sender is None:
            signal.connect(receiver, weak=False)
        else:
            signal.connect(receiver, sender=sender, weak=False)
        connected.append((signal, receiver))

    yield connect
    for signal, receiver in connected:
        signal.disconnect(receiver)


QUART_SIGNALS = [
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "got_websocket_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
    "websocket_finished",
    "websocket_started",
    "websocket_tearing_down",
]
MODULE_ONLY_SIGNALS = [
    "websocket_received",
    "websocket_sent",
    "got_background_exception",
    "got_serving_exception",
]


def test_every_quart_signal_exists() -> None:
    assert erlen.signals_available is True
    for name in QUART_SIGNALS:
        assert getattr(erlen, name) is getattr(signals, name)
        assert callable(getattr(erlen, name).connect)
    for name in MODULE_ONLY_SIGNALS:
        assert callable(getattr(signals, name).connect_via)


async def test_request_signals_in_order_with_quarts_arguments(app: Erlen, record: Any) -> None:
    """Sync receivers and async ones (which are awaited, even when they yield)."""
    events: list[tuple[str, Any, dict[str, Any]]] = []

    def sync_receiver(name: str) -> Any:
        def receiver(sender: Any, **kwargs: Any) -> None:
            events.append((name, sender, kwargs))

        return receiver

    def async_receiver(name: str) -> Any:
        async def receiver(sender: Any, **kwargs: Any) -> None:
            await asyncio.sleep(0)
            events.append((name, sender, kwargs))

        return receiver

    record(signals.appcontext_pushed, sync_receiver("appcontext_pushed"))
    record(signals.request_started, async_receiver("request_started"))
    record(signals.request_finished, sync_receiver("request_finished"))
    record(signals.request_tearing_down, async_receiver("request_tearing_down"))
    record(signals.appcontext_tearing_down, sync_receiver("appcontext_tearing_down"))
    record(signals.appcontext_popped, async_receiver("appcontext_popped"))
    response = await app.test_client().get("/")
    assert response.status_code == 200
    assert [name for name, _, _ in events] == [
        "appcontext_pushed",
        "request_started",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    assert all(sender is app for _, sender, _ in events)
    kwargs = {name: kw for name, _, kw in events}
    assert kwargs["request_started"] == {}
    assert kwargs["request_finished"]["response"].status_code == 200
    assert kwargs["request_tearing_down"] == {"exc": None}
    assert kwargs["appcontext_tearing_down"] == {"exc": None}


async def test_got_request_exception_and_teardown_see_the_error(app: Erlen, record: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen: dict[str, Any] = {}

    async def on_exception(sender: Any, exception: BaseException) -> None:
        seen["exception"] = exception
        seen["path"] = request.path

    def on_teardown(sender: Any, exc: BaseException | None) -> None:
        seen["teardown"] = exc

    record(signals.got_request_exception, on_exception)
    record(signals.request_tearing_down, on_teardown)
    response = await app.test_client().get("/boom")
    assert response.status_code == 500
    assert isinstance(seen["exception"], LookupError)
    assert seen["path"] == "/boom"
    # As in Flask (Quart passes None here): teardown learns which error caused the 500.
    assert seen["teardown"] is seen["exception"]


async def test_message_flashed(app: Erlen, record: Any) -> None:
    app.register_plugin("sessions")  # flashed messages are kept in the session
    flashed: list[tuple[Any, str, str]] = []

    async def on_flash(sender: Any, message: str, category: str) -> None:
        flashed.append((sender, message, category))

    record(signals.message_flashed, on_flash)
    assert (await app.test_client().get("/flash")).status_code == 200
    assert flashed == [(app, "hi", "info")]


async def test_sync_receivers_run_in_a_thread_with_the_request_context(
    app: Erlen, record: Any
) -> None:
    seen: list[tuple[bool, str]] = []

    def on_started(sender: Any) -> None:
        seen.append((threading.current_thread() is threading.main_thread(), request.path))

    record(signals.request_started, on_started)
    await app.test_client().get("/")
    assert seen == [(False, "/")]


async def test_connect_via_filters_by_sender(app: Erlen, record: Any) -> None:
    other = Erlen("other_app", static_folder=None)

    @other.route("/")
    async def other_index() -> str:
        return "other"

    names: list[str] = []

    async def on_started(sender: Any) -> None:
        names.append(sender.name)

    record(signals.request_started, on_started, sender=app)
    await app.test_client().get("/")
    await other.test_client().get("/")
    assert names == [app.name]

    via: list[str] = []

    @signals.request_finished.connect_via(other)
    def finished(sender: Any, response: Any) -> None:
        via.append(sender.name)

    try:
        await app.test_client().get("/")
        await other.test_client().get("/")
    finally:
        signals.request_finished.disconnect(finished)
    assert via == ["other_app"]


async def test_background_exception_signal(app: Erlen, record: Any) -> None:
    caught: list[BaseException] = []
    done = asyncio.Event()

    async def on_error(sender: Any, exception: BaseException) -> None:
        caught.append(exception)
        done.set()

    async def failing_job() -> None:
        raise KeyError("job")

    @app.route("/job")
    async def job() -> str:
        app.add_background_task(failing_job)
        return "queued"

    record(signals.got_background_exception, on_error)
    async with app.test_app() as test_app:
        await test_app.test_client().get("/job")
        await asyncio.wait_for(done.wait(), 5)
    assert isinstance(caught[0], KeyError)


async def test_serving_exception_signal(record: Any) -> None:
    app = Erlen(__name__, static_folder=None)
    caught: list[BaseException] = []

    @app.before_serving
    async def broken() -> None:
        raise OSError("no database")

    def on_error(sender: Any, exception: BaseException) -> None:
        caught.append(exception)

    record(signals.got_serving_exception, on_error)
    with pytest.raises(Exception, match="no database"):
        async with app.test_app():
            pass
    assert isinstance(caught[0], OSError)


async def test_template_signals(app: Erlen, record: Any) -> None:
    app.register_plugin("templating")  # the signals it sends are the templating plugin's
    rendered: list[tuple[str, Any, dict[str, Any]]] = []

    def on_before(sender: Any, template: Any, context: dict[str, Any]) -> None:
        rendered.append(("before", sender, dict(context)))

    async def on_rendered(sender: Any, template: Any, context: dict[str, Any]) -> None:
        rendered.append(("after", sender, dict(context)))

    @app.route("/tpl")
    async def tpl() -> str:
        return await erlen.render_template_string("{{ who }}", who="ada")

    record(signals.before_render_template, on_before)
    record(signals.template_rendered, on_rendered)
    assert await (await app.test_client().get("/tpl")).get_data() == b"ada"
    assert [(kind, sender) for kind, sender, _ in rendered] == [("before", app), ("after", app)]
    assert rendered[1][2]["who"] == "ada"


async def test_nothing_is_sent_when_nothing_is_connected(
    app: Erlen, monkeypatch: pytest.MonkeyPatch, record: Any
) -> None:
    sends: list[str] = []
    for name in ("request_started", "request_finished", "request_tearing_down"):
        signal = getattr(signals, name)
        original = signal.send_async

        async def counting(*args: Any, _name: str = name, _orig: Any = original, **kw: Any) -> Any:
            sends.append(_name)
            return await _orig(*args, **kw)

        monkeypatch.setattr(signal, "send_async", counting)
    # Apps built by other tests in this process (examples/todo connects request_finished
    # for its own app) may leave receivers behind: only those signals may be sent.
    leftover = [
        n for n in ("request_finished", "request_tearing_down") if getattr(signals, n).receivers
    ]
    assert not signals.request_started.receivers
    client = app.test_client()
    await client.get("/")
    assert sends == leftover

    async def on_started(sender: Any) -> None:
        pass

    sends.clear()
    record(signals.request_started, on_started)
    await client.get("/")
    assert sends == ["request_started", *leftover]


async def test_async_appcontext_receivers_are_awaited(app: Erlen, record: Any) -> None:
    events: list[str] = []

    async def pushed(sender: Any) -> None:
        await asyncio.sleep(0.01)
        events.append("pushed")

    async def popped(sender: Any) -> None:
        await asyncio.sleep(0.01)
        events.append("popped")

    record(signals.appcontext_pushed, pushed)
    record(signals.appcontext_popped, popped)
    async with app.app_context():
        assert events == ["pushed"]
    assert events == ["pushed", "popped"]
    async with app.test_request_context("/"):
        assert events == ["pushed", "popped", "pushed"]


async def test_push_works_called_or_awaited(app: Erlen, record: Any) -> None:
    events: list[str] = []

    async def pushed(sender: Any) -> None:
        await asyncio.sleep(0.01)
        events.append("pushed")

    record(signals.appcontext_pushed, pushed)
    ctx = app.app_context()
    await ctx.push()  # Quart's spelling waits for async receivers
    assert events == ["pushed"]
    assert erlen.current_app.name == app.name
    await ctx.pop()
    request_ctx = app.test_request_context("/path")
    request_ctx.push()  # Flask's spelling
    assert erlen.request.path == "/path"
    await request_ctx.pop()
    assert not erlen.has_request_context()


async def test_a_failing_receiver_is_a_500_and_leaves_no_context(app: Erlen, record: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    async def broken(sender: Any) -> None:
        raise RuntimeError("receiver bug")

    record(signals.appcontext_pushed, broken)
    response = await app.test_client().get("/")
    assert response.status_code == 500
    assert not erlen.has_app_context()
    with pytest.raises(RuntimeError, match="receiver bug"):
        async with app.app_context():
            pass
    assert not erlen.has_app_context()
