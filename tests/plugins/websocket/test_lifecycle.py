"""before/after/teardown_websocket, after_this_websocket, blueprints with converters,
url_for with ws/wss schemes, signals, and the plugin's own hooks."""

from __future__ import annotations

from typing import Any

import pytest
from erlen import (
    Blueprint,
    Erlen,
    after_this_websocket,
    g,
    hookimpl,
    signals,
    url_for,
    websocket,
)
from erlen.testing import WebsocketDisconnectError, WebsocketResponseError


async def test_before_after_and_teardown_run_in_order() -> None:
    app = Erlen(__name__)
    calls: list[Any] = []

    @app.before_websocket
    async def before() -> None:
        g.user = websocket.args.get("user", "nobody")
        calls.append("before")

    @app.after_websocket
    async def after(response: Any) -> Any:
        calls.append(("after", response))
        return response

    @app.teardown_websocket
    def teardown(exc: BaseException | None) -> None:  # sync functions work too
        calls.append(("teardown", exc))

    @app.websocket("/ws")
    async def ws():
        @after_this_websocket
        async def just_once(response: Any) -> Any:
            calls.append("after this")
            return response

        await websocket.send(f"hello {g.user}")

    async with app.test_client().websocket("/ws?user=ann") as conn:
        assert await conn.receive() == "hello ann"
        with pytest.raises(WebsocketDisconnectError):
            await conn.receive()
    assert calls == ["before", "after this", ("after", None), ("teardown", None)]


async def test_before_websocket_returning_a_value_rejects() -> None:
    app = Erlen(__name__)
    handled: list[str] = []

    @app.before_websocket
    async def check() -> Any:
        if "Authorization" not in websocket.headers:
            return "Login first", 401
        return None

    @app.websocket("/ws")
    async def ws():
        handled.append("handler")
        await websocket.send("in")

    client = app.test_client()
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/ws"):
            pass
    assert info.value.response.status_code == 401
    assert await info.value.response.get_data() == b"Login first"
    assert handled == []
    async with client.websocket("/ws", auth=("a", "b")) as conn:
        assert await conn.receive() == "in"


async def test_blueprint_websocket_routes_with_converters_and_scoped_hooks() -> None:
    app = Erlen(__name__)
    bp = Blueprint("chat", __name__, url_prefix="/chat")
    calls: list[str] = []

    @bp.before_websocket
    async def bp_before() -> None:
        calls.append("bp before")

    @bp.after_websocket
    async def bp_after(response: Any) -> Any:
        calls.append("bp after")
        return response

    @bp.websocket("/<name>/<int:number>")
    async def room(name: str, number: int):
        await websocket.send_json(
            {
                "name": name,
                "number": number,
                "blueprint": websocket.blueprint,
                "self": url_for(".room", name="b", number=2),
            }
        )

    @app.websocket("/plain")
    async def plain():
        await websocket.send("plain")

    app.register_blueprint(bp)
    client = app.test_client()
    async with client.websocket("/chat/lobby/7") as conn:
        assert await conn.receive_json() == {
            "name": "lobby",
            "number": 7,
            "blueprint": "chat",
            "self": "ws://localhost/chat/b/2",
        }
    async with client.websocket("/plain") as conn:
        assert await conn.receive() == "plain"
    assert calls == ["bp before", "bp after"]  # not run for the app's own route
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/chat/lobby/seven"):
            pass
    assert info.value.response.status_code == 404


async def test_url_for_websocket_endpoints_uses_ws_and_wss() -> None:
    app = Erlen(__name__)

    @app.websocket("/live")
    async def live():
        await websocket.send(url_for("live"))
        await websocket.send(url_for("page", _external=True))

    @app.route("/page")
    async def page():
        return "\n".join(
            [
                url_for("live"),
                url_for("live", _external=True),
                url_for("live", _external=True, _scheme="https"),
            ]
        )

    client = app.test_client()
    response = await client.get("/page")
    assert (await response.get_data(as_text=True)).split("\n") == [
        "ws://localhost/live",
        "ws://localhost/live",
        "wss://localhost/live",
    ]
    async with client.websocket("/live") as conn:
        assert await conn.receive() == "ws://localhost/live"
        assert await conn.receive() == "http://localhost/page"
    async with client.websocket("/live", scheme="wss") as conn:
        assert await conn.receive() == "wss://localhost/live"
        assert await conn.receive() == "https://localhost/page"


async def test_websocket_signals_are_sent() -> None:
    app = Erlen(__name__)
    events: list[Any] = []

    @app.websocket("/ws")
    async def ws():
        data = await websocket.receive()
        await websocket.send(data.upper())

    def record(name: str) -> Any:
        def receiver(sender: Any, **kwargs: Any) -> None:
            events.append((name, kwargs.get("data", kwargs.get("response"))))

        return receiver

    receivers = {
        signals.websocket_started: record("started"),
        signals.websocket_received: record("received"),
        signals.websocket_sent: record("sent"),
        signals.websocket_finished: record("finished"),
        signals.websocket_tearing_down: record("tearing down"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver)
    try:
        async with app.test_client().websocket("/ws") as conn:
            await conn.send("hi")
            assert await conn.receive() == "HI"
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver)
    assert events == [
        ("started", None),
        ("received", "hi"),
        ("sent", "HI"),
        ("finished", None),
        ("tearing down", None),
    ]


class AuditPlugin:
    """A plugin using the websocket plugin's hooks."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    @hookimpl
    def erlen_before_websocket(self, app: Any, websocket: Any) -> Any:
        self.calls.append(("before", websocket.path))
        if websocket.args.get("deny"):
            return "denied by plugin", 403
        return None

    @hookimpl
    async def erlen_after_websocket(self, app: Any, websocket: Any, response: Any) -> Any:
        self.calls.append(("after", response))
        return None

    @hookimpl
    def erlen_teardown_websocket(self, websocket: Any, exc: Any) -> None:
        self.calls.append(("teardown", exc))


async def test_plugin_hooks_run_per_connection() -> None:
    app = Erlen(__name__)
    plugin = AuditPlugin()
    app.register_plugin(plugin, "audit")

    @app.websocket("/ws")
    async def ws():
        await websocket.send("ok")

    client = app.test_client()
    async with client.websocket("/ws") as conn:
        assert await conn.receive() == "ok"
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/ws?deny=1"):
            pass
    assert await info.value.response.get_data() == b"denied by plugin"
    assert plugin.calls[:3] == [("before", "/ws"), ("after", None), ("teardown", None)]
    assert plugin.calls[3] == ("before", "/ws")
    assert plugin.calls[4][0] == "after" and plugin.calls[4][1].status_code == 403


async def test_a_connection_makes_no_pluggy_hook_calls() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        while True:
            await websocket.send(await websocket.receive())

    client = app.test_client()
    async with client.websocket("/ws") as conn:  # the first connection freezes the app
        await conn.send("warm")
        assert await conn.receive() == "warm"
    calls: list[str] = []
    undo = app.plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: calls.append(name), lambda *args: None
    )
    try:
        async with client.websocket("/ws") as conn:
            for text in ("a", "b", "c"):
                await conn.send(text)
                assert await conn.receive() == text
    finally:
        undo()
    assert calls == []
