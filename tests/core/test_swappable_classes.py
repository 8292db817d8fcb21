"""Quart's swappable classes read the classes in use, and overriding one changes what the
app builds: the way Quart extensions (quart-schema) subclass them."""

from __future__ import annotations

from types import new_class
from typing import Any

import erlen
import erlen.templating
import erlen.testing
import pytest
from erlen import Erlen, Request, Response, render_template_string, request, websocket


class Marker:
    """A mixin an extension puts in front of the app's class."""

    marked = True


def test_the_classes_in_use_are_read_on_the_app_and_on_the_class() -> None:
    app = Erlen(__name__, extra_plugins=["websocket", "templating"])
    expected = {
        "test_client_class": erlen.testing.ErlenClient,
        "test_app_class": erlen.testing.TestApp,
        "test_cli_runner_class": erlen.testing.ErlenCliRunner,
        "websocket_class": erlen.Websocket,
        "jinja_environment": erlen.templating.Environment,
        "request_class": Request,
        "response_class": Response,
    }
    for attribute, cls in expected.items():
        assert getattr(app, attribute) is cls, attribute
        assert getattr(Erlen, attribute) is cls, attribute
    assert isinstance(app.test_client(), erlen.testing.ErlenClient)


async def test_a_test_client_mixin_over_the_apps_class_is_used() -> None:
    class AddsHeader:
        async def open(self, path: str, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("headers", {})["X-Mixin"] = "yes"
            return await super().open(path, *args, **kwargs)  # type: ignore[misc]

    app = Erlen(__name__)

    @app.get("/")
    async def index() -> str:
        return request.headers.get("X-Mixin", "no")

    app.test_client_class = new_class("TestClient", (AddsHeader, app.test_client_class))
    client = app.test_client()
    assert type(client).__name__ == "TestClient"
    assert isinstance(client, erlen.testing.ErlenClient)
    response = await client.get("/")
    assert (response.status_code, await response.get_data(as_text=True)) == (200, "yes")


async def test_a_websocket_mixin_over_the_apps_class_serves_the_connection() -> None:
    class Shouting:
        async def send_shout(self, text: str) -> None:
            await self.send(text.upper())  # type: ignore[attr-defined]

    app = Erlen(__name__, extra_plugins=["websocket"])
    app.websocket_class = new_class("Websocket", (Shouting, app.websocket_class))

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send_shout(await websocket.receive())  # type: ignore[attr-defined]

    async with app.test_client().websocket("/ws") as connection:
        await connection.send("hello")
        assert await connection.receive() == "HELLO"


async def test_a_jinja_environment_subclass_renders_the_templates() -> None:
    app = Erlen(__name__, extra_plugins=["templating"])
    app.jinja_environment = new_class("Environment", (Marker, app.jinja_environment))

    @app.get("/")
    async def index() -> str:
        return await render_template_string("{{ 1 + 1 }}")

    response = await app.test_client().get("/")
    assert await response.get_data(as_text=True) == "2"
    assert isinstance(app.jinja_env, Marker)


async def test_request_and_response_classes_set_on_the_app_are_used() -> None:
    class MyRequest(Request):
        @property
        def shout(self) -> str:
            return self.path.upper()

    class MyResponse(Response):
        default_mimetype = "text/plain"

    app = Erlen(__name__)
    app.request_class = MyRequest
    app.response_class = MyResponse

    @app.get("/hi")
    async def hi() -> str:
        return request.shout  # type: ignore[attr-defined, no-any-return]

    response = await app.test_client().get("/hi")
    assert await response.get_data(as_text=True) == "/HI"
    assert response.mimetype == "text/plain"
    async with app.test_request_context("/"):
        assert isinstance(await app.make_response("x"), MyResponse)


async def test_a_subclass_sets_its_classes_as_in_quart() -> None:
    class MyClient(erlen.testing.ErlenClient, Marker):
        pass

    class MyTestApp(erlen.testing.TestApp, Marker):
        pass

    class MyRunner(erlen.testing.ErlenCliRunner, Marker):
        pass

    class MyApp(Erlen):
        test_client_class = MyClient
        test_app_class = MyTestApp
        test_cli_runner_class = MyRunner

    app = MyApp(__name__)
    assert isinstance(app.test_client(), MyClient)
    assert isinstance(app.test_cli_runner(), MyRunner)
    async with app.test_app() as test_app:
        assert isinstance(test_app, MyTestApp)
    assert Erlen(__name__).test_client_class is erlen.testing.ErlenClient


def test_without_the_testing_plugin_there_is_no_test_client_class() -> None:
    app = Erlen(__name__, exclude_plugins=["testing"])
    assert app.test_client_class is None
    with pytest.raises(RuntimeError, match="'testing' plugin"):
        app.test_client()


def test_a_plugin_answering_the_hook_gives_the_class() -> None:
    class OwnClient(erlen.testing.ErlenClient):
        pass

    class ClientPlugin:
        @erlen.hookimpl
        def erlen_test_client_class(self, app: Erlen) -> type:
            return OwnClient

    app = Erlen(__name__, extra_plugins=[ClientPlugin()])
    assert app.test_client_class is OwnClient
    assert isinstance(app.test_client(), OwnClient)
