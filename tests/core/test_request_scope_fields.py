"""Request fields the server-built request derives from the scope on first read
(``scheme``, ``http_version``, ``query_string``, ``root_path``): the same values as a
request built by the constructor, and assignable like plain attributes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from erlen import Erlen, request, websocket
from erlen.wrappers import Request

from tests.asgi_helpers import call_asgi


async def call(app: Erlen, **scope_fields: Any) -> tuple[int, bytes]:
    """One GET of ``/fields`` through ``app(scope, receive, send)``, as a server calls it."""
    return await call_asgi(app, **{"path": "/fields", **scope_fields})


def fields_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/fields")
    async def fields() -> str:
        return repr((request.scheme, request.http_version, request.query_string, request.root_path))

    return app


async def test_fields_from_a_full_scope() -> None:
    status, body = await call(
        fields_app(),
        scheme="https",
        http_version="2",
        query_string=b"a=1&b=%C3%A9",
        root_path="",
    )
    assert status == 200
    assert body.decode() == repr(("https", "2", b"a=1&b=%C3%A9", ""))


async def test_defaults_when_the_scope_leaves_fields_out() -> None:
    status, body = await call(fields_app())
    assert status == 200
    assert body.decode() == repr(("http", "1.1", b"", ""))


async def test_non_ascii_query_string_is_percent_encoded() -> None:
    app = fields_app()

    @app.route("/args")
    async def args() -> str:
        return f"{request.query_string!r} {request.args['q']}"

    status, body = await call(app, path="/args", query_string="q=é".encode())
    assert status == 200
    assert body.decode() == "b'q=%C3%A9' é"


async def test_root_path_is_taken_off_the_path() -> None:
    status, body = await call(fields_app(), path="/app/fields", root_path="/app/")
    assert status == 200
    assert body.decode() == repr(("http", "1.1", b"", "/app"))


async def test_fields_are_assignable_and_match_the_constructor() -> None:
    app = fields_app()
    seen: dict[str, Any] = {}

    @app.route("/assign")
    async def assign() -> str:
        built = Request.from_scope(request.scope)
        seen["same"] = [
            (getattr(request, name), getattr(built, name))
            for name in ("scheme", "http_version", "query_string", "root_path", "path")
        ]
        request.scheme = "https"
        request.query_string = b"x=1"
        return f"{request.scheme} {request.args['x']} {request.url}"

    status, body = await call(app, path="/assign", query_string=b"x=2", scheme="http")
    assert status == 200
    assert body.decode() == "https 1 https://localhost/assign?x=1"
    assert all(ours == theirs for ours, theirs in seen["same"])


async def test_a_request_class_redefining_a_field_still_gets_the_scope_values() -> None:
    class FixedRequest(Request):
        scheme = "https"  # a class default the constructor overrides with the scope's
        root_path = "/fixed"

    app = fields_app()
    app.request_class = FixedRequest
    status, body = await call(app, scheme="http", http_version="1.0")
    assert status == 200
    assert body.decode() == repr(("http", "1.0", b"", ""))


@pytest.mark.parametrize(
    "fields",
    [
        {"path": "/x"},
        {"path": "x", "method": "POST"},
        {"path": "/app/x", "root_path": "/app/"},
        {"path": "/other", "root_path": "/app"},
        {"path": "/", "root_path": ""},
        {"path": "//double", "scheme": "https", "query_string": b"q=1", "http_version": "2"},
    ],
)
def test_from_scope_sets_what_set_scope_sets(fields: dict[str, Any]) -> None:
    # Request.from_scope inlines set_scope for the stock class: the same fields, always.
    scope = {"type": "http", "headers": [(b"host", b"h")], **fields}
    fast = Request.from_scope(scope)
    slow = object.__new__(Request)
    slow.set_scope(scope)
    names = ("scope", "method", "root_path", "path", "scheme", "http_version", "query_string")
    assert [getattr(fast, n) for n in names] == [getattr(slow, n) for n in names]
    assert vars(fast).keys() >= vars(slow).keys()


async def test_granian_scope_shapes_read_as_asgi_says() -> None:
    # granian reports HTTP/1.0 as "1" and the server's port as a string.
    app = fields_app()

    @app.route("/server")
    async def server() -> str:
        return repr((request.http_version, request.server))

    status, body = await call(app, path="/server", http_version="1", server=("10.0.0.1", "8000"))
    assert (status, body.decode()) == (200, repr(("1.0", ("10.0.0.1", 8000))))
    status, body = await call(app, path="/server", server=("/run/app.sock", None))
    assert body.decode() == repr(("1.1", ("/run/app.sock", None)))


@pytest.mark.parametrize("version", ["1.0", "1"])
async def test_http10_with_an_empty_host_gets_server_name(version: str) -> None:
    # granian adds "Host:" with no value to an HTTP/1.0 request without one.
    app = fields_app()
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/host")
    async def host() -> str:
        return request.host

    status, body = await call(
        app, path="/host", http_version=version, headers=[(b"host", b""), (b"accept", b"*/*")]
    )
    assert (status, body) == (200, b"example.test")


async def test_a_websocket_scope_without_scheme_is_ws() -> None:
    # The key is optional in ASGI (default "ws"); daphne leaves it out.
    app = Erlen(__name__, extra_plugins=["websocket"])

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(f"{websocket.scheme} {websocket.url}")

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": "/ws",
        "headers": [(b"host", b"localhost")],
        "subprotocols": [],
    }
    incoming = [{"type": "websocket.connect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop()
        await asyncio.sleep(3600)
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), 10)
    assert [m.get("text") for m in sent if m["type"] == "websocket.send"] == [
        "ws ws://localhost/ws"
    ]
