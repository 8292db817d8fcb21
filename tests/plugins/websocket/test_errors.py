"""Errors in websocket handlers: error handlers, the unhandled path (500 before accept,
close 1011 after, logged once), propagation (``PROPAGATE_EXCEPTIONS``), the traceback page
in testing mode, and the plugin missing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from erlen import Erlen, signals, websocket
from erlen.testing import WebsocketDisconnectError, WebsocketResponseError


class Boom(Exception):
    pass


async def test_error_handler_answers_an_error_after_accept() -> None:
    app = Erlen(__name__)

    @app.errorhandler(Boom)
    async def handle_boom(error: Boom) -> Any:
        await websocket.send(f"handled: {error}")
        return "", 200

    @app.websocket("/ws")
    async def ws():
        await websocket.accept()
        raise Boom("kaput")

    async with app.test_client().websocket("/ws") as conn:
        assert await conn.receive() == "handled: kaput"
        with pytest.raises(WebsocketDisconnectError) as info:
            await conn.receive()
    assert info.value.code == 1000  # handled: a normal close


async def test_error_handler_response_rejects_before_accept() -> None:
    app = Erlen(__name__)

    @app.errorhandler(Boom)
    async def handle_boom(error: Boom) -> Any:
        return f"no: {error}", 409

    @app.websocket("/ws")
    async def ws():
        raise Boom("conflict")

    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws"):
            pass
    assert info.value.response.status_code == 409
    assert await info.value.response.get_data() == b"no: conflict"


async def test_unhandled_error_after_accept_closes_1011_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Erlen(__name__)
    got: list[Any] = []

    def on_exception(sender: Any, exception: BaseException) -> None:
        got.append(exception)

    @app.websocket("/ws")
    async def ws():
        await websocket.send("about to fail")
        raise Boom("secret detail")

    signals.got_websocket_exception.connect(on_exception)
    try:
        with caplog.at_level(logging.ERROR):
            async with app.test_client().websocket("/ws") as conn:
                assert await conn.receive() == "about to fail"
                with pytest.raises(WebsocketDisconnectError) as info:
                    await conn.receive()
    finally:
        signals.got_websocket_exception.disconnect(on_exception)
    assert info.value.code == 1011
    assert "secret" not in info.value.reason
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["Exception on websocket /ws"]
    assert [type(e) for e in got] == [Boom]


async def test_unhandled_error_before_accept_is_a_500_revealing_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        raise Boom("secret detail")

    with caplog.at_level(logging.ERROR), pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws"):
            pass
    assert info.value.response.status_code == 500
    assert b"secret" not in await info.value.response.get_data()
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


async def test_500_handler_is_used_for_unhandled_errors() -> None:
    app = Erlen(__name__)

    @app.errorhandler(500)
    async def server_error(error: Any) -> Any:
        return "sorry", 500

    @app.websocket("/ws")
    async def ws():
        raise Boom("x")

    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws"):
            pass
    assert await info.value.response.get_data() == b"sorry"


async def test_errors_propagate_to_the_test_when_asked() -> None:
    app = Erlen(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.websocket("/ws")
    async def ws():
        await websocket.send("first")
        raise Boom("visible in tests")

    # Raised as soon as the test client sees the handler's task fail (here, on entering).
    with pytest.raises(Boom, match="visible in tests"):
        async with app.test_client().websocket("/ws") as conn:
            await conn.receive()
            await conn.receive()


async def test_without_the_plugin_a_websocket_fails_naming_it() -> None:
    app = Erlen(__name__, exclude_plugins=["websocket"])

    @app.websocket("/ws")
    async def ws():
        await websocket.send("never")

    with pytest.raises(RuntimeError, match="'websocket' plugin is not loaded"):
        async with app.test_client().websocket("/ws"):
            pass


async def test_an_app_subclass_may_override_websocket_stages() -> None:
    class AuditedErlen(Erlen):
        async def handle_websocket_exception(self, error: Exception) -> Any:
            return f"audited: {error}", 503

        async def postprocess_websocket(self, response: Any, websocket_context: Any = None) -> Any:
            response = await super().postprocess_websocket(response, websocket_context)
            if response is not None:
                response.headers["X-Audited"] = "yes"
            return response

    app = AuditedErlen(__name__)

    @app.websocket("/boom")
    async def boom():
        raise Boom("db down")

    @app.websocket("/no")
    async def no():
        return "nope", 403

    client = app.test_client()
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/boom"):
            pass
    assert info.value.response.status_code == 503
    assert await info.value.response.get_data() == b"audited: db down"
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/no"):
            pass
    assert info.value.response.status_code == 403
    assert info.value.response.headers["X-Audited"] == "yes"


async def test_app_websocket_methods_name_the_missing_plugin() -> None:
    app = Erlen(__name__, exclude_plugins=["websocket"])
    with pytest.raises(RuntimeError, match="'websocket' plugin"):
        await app.handle_websocket(None)


async def test_in_testing_mode_an_error_before_accepting_is_answered_with_the_page() -> None:
    app = Erlen(__name__)
    app.testing = True

    @app.websocket("/ws")
    async def ws():
        raise Boom("shown on the page")

    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws") as conn:
            await conn.receive()
    assert info.value.response.status_code == 500
    assert "shown on the page" in await info.value.response.get_data(as_text=True)


async def test_in_testing_mode_an_error_after_accepting_closes_with_1011() -> None:
    app = Erlen(__name__)
    app.testing = True

    @app.websocket("/ws")
    async def ws():
        await websocket.send("first")
        raise Boom("after accept")

    async with app.test_client().websocket("/ws") as conn:
        assert await conn.receive() == "first"
        with pytest.raises(WebsocketDisconnectError) as info:
            await conn.receive()
    assert info.value.code == 1011


async def test_websocket_stages_replaced_on_the_instance_after_serving_are_called() -> None:
    # The stages an app overrides are read when it freezes (Protocol.compiled); setting
    # one on a frozen app compiles it again, as for the HTTP steps.
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("from the handler")

    client = app.test_client()
    async with client.websocket("/ws") as conn:
        assert await conn.receive() == "from the handler"
    seen: list[str] = []
    original_handle = app.handle_websocket
    original_dispatch = app.dispatch_websocket

    async def handle_websocket(connection: Any) -> Any:
        seen.append(f"handle {connection.path}")
        return await original_handle(connection)

    async def dispatch_websocket(websocket_context: Any = None) -> Any:
        seen.append("dispatch")
        return await original_dispatch(websocket_context)

    app.handle_websocket = handle_websocket  # type: ignore[method-assign]
    app.dispatch_websocket = dispatch_websocket  # type: ignore[method-assign]
    async with client.websocket("/ws") as conn:
        assert await conn.receive() == "from the handler"
    assert seen == ["handle /ws", "dispatch"]
