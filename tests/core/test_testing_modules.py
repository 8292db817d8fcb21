"""``erlen.testing``'s submodules: Quart tests import from ``quart.testing.connections``
(the only home of ``WebsocketDisconnectError``), ``.utils``, ``.app`` and ``.client``; the
same imports with ``erlen`` must work and give the classes the test client uses."""

from __future__ import annotations

import pytest
from erlen import Erlen, websocket
from erlen.testing.app import LifespanError, TestApp
from erlen.testing.client import ErlenClient
from erlen.testing.connections import (
    HTTPDisconnectError,
    TestHTTPConnection,
    TestWebsocketConnection,
    WebsocketDisconnectError,
    WebsocketResponseError,
)
from erlen.testing.utils import make_test_body_with_headers, make_test_scope, sentinel


def _app() -> Erlen:
    app = Erlen(__name__, extra_plugins=["websocket"])

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.close(1003, "text only")

    @app.get("/")
    async def index() -> str:
        return "hi"

    return app


async def test_close_raises_the_error_from_testing_connections() -> None:
    async with _app().test_client().websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError) as closed:
            await ws.receive()
    assert closed.value.args[0] == 1003


async def test_refused_handshake_raises_the_response_error_from_connections() -> None:
    with pytest.raises(WebsocketResponseError) as refused:
        async with _app().test_client().websocket("/nowhere") as ws:
            await ws.receive()
    assert refused.value.response.status_code == 404


async def test_client_and_test_app_classes() -> None:
    app = _app()
    async with app.test_app() as test_app:
        assert isinstance(test_app, TestApp)
        client = test_app.test_client()
        assert isinstance(client, ErlenClient)
        response = await client.get("/")
        assert await response.get_data() == b"hi"


def test_utils_build_a_request_body() -> None:
    body, headers = make_test_body_with_headers(form={"a": "1"})
    assert body == b"a=1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    scope = make_test_scope("http", "/x", "GET", headers, b"q=1", "https", "", "1.1")
    assert (scope["path"], scope["query_string"], scope["scheme"]) == ("/x", b"q=1", "https")
    assert sentinel is not None


def test_the_other_connection_names_exist() -> None:
    for cls in (HTTPDisconnectError, TestHTTPConnection, TestWebsocketConnection, LifespanError):
        assert isinstance(cls, type)
