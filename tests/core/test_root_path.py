"""Where a request's path comes from: the ASGI ``root_path`` (the app mounted under a
prefix: the scope's path is the full one, and a path outside the root is a 404, as in
Quart), the test client's ``root_path`` (the path given is the full one), absolute-form
targets and HTTP/1.0 requests without ``Host``."""

from __future__ import annotations

from typing import Any

import pytest
from erlen import Erlen, request, url_for

from tests.asgi_helpers import call_asgi


async def call(app: Erlen, path: str, **scope_fields: Any) -> tuple[int, bytes]:
    """One GET through ``app(scope, receive, send)``, as a server calls it."""
    fields = {"http_version": "1.1", "headers": [(b"host", b"example.test")], **scope_fields}
    return await call_asgi(app, path=path, **fields)


def where_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return f"index {request.root_path} {url_for('page', n=2)}"

    @app.route("/page/<int:n>")
    async def page(n: int) -> str:
        return f"page {n} {request.path}"

    return app


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/app/", (200, b"index /app /app/page/2")),
        ("/app/page/3", (200, b"page 3 /page/3")),
        ("/app", (404, None)),  # the root without its slash, as in Quart
        ("/", (404, None)),  # outside the root
        ("/page/3", (404, None)),
        ("/apple/page/3", (404, None)),  # shares the prefix, not the root
    ],
)
async def test_the_scope_path_is_the_full_path_under_root_path(
    path: str, expected: tuple[int, bytes | None]
) -> None:
    status, body = await call(where_app(), path, root_path="/app")
    assert status == expected[0]
    if expected[1] is not None:
        assert body == expected[1]


async def test_a_root_path_with_a_trailing_slash_is_the_same_root() -> None:
    assert await call(where_app(), "/app/page/1", root_path="/app/") == (200, b"page 1 /page/1")


async def test_the_test_client_takes_the_full_path_with_root_path() -> None:
    client = where_app().test_client()
    response = await client.get("/bob/", root_path="/bob")
    assert response.status_code == 200
    assert await response.get_data() == b"index /bob /bob/page/2"
    assert (await client.get("/", root_path="/bob")).status_code == 404


async def test_a_test_request_context_takes_the_path_under_its_root() -> None:
    app = where_app()
    async with app.test_request_context("/page/4", root_path="/bob"):
        assert (request.path, request.root_path, request.url) == (
            "/page/4",
            "/bob",
            "http://localhost/bob/page/4",
        )


async def test_an_absolute_form_target_is_routed_by_its_path() -> None:
    assert await call(where_app(), "http://example.test/page/5") == (200, b"page 5 /page/5")


async def test_an_http_1_0_request_without_host_gets_an_empty_one() -> None:
    app = Erlen(__name__)

    @app.route("/host")
    async def host() -> str:
        return repr(request.headers.get("Host"))

    assert await call(app, "/host", http_version="1.0", headers=[]) == (200, b"''")
    app.config["SERVER_NAME"] = "served.test"
    assert await call(app, "/host", http_version="1.0", headers=[]) == (200, b"'served.test'")
    # HTTP/1.1 requires Host: nothing is made up (without SERVER_NAME, which would refuse
    # the empty host as foreign: tests/core/test_host_routing.py)
    app.config["SERVER_NAME"] = None
    assert await call(app, "/host", headers=[]) == (200, b"None")
