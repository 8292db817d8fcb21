"""``headers.get(name)`` and ``name in headers`` on request and response headers: what
werkzeug's ``Headers`` give, for present and missing names, in any case; a missing
``request.headers[name]`` is still a 400."""

from __future__ import annotations

from typing import Any

from erlen import Erlen, request
from werkzeug.datastructures import Headers

from tests.asgi_helpers import call_asgi

SCOPE_HEADERS = [
    (b"host", b"localhost"),
    (b"x-token", b"abc"),
    (b"x-count", b"7"),
    (b"x-count", b"8"),
    (b"x-word", b"seven"),
]


def lookups(headers: Any) -> list[Any]:
    """The same lookups on any headers object."""
    return [
        headers.get("X-Token"),
        headers.get("x-TOKEN"),
        headers.get("X-Missing"),
        headers.get("X-Missing", "fallback"),
        headers.get("X-Count", type=int),
        headers.get("X-Word", -1, type=int),
        headers.get("X-Missing", -1, type=int),
        "X-Token" in headers,
        "x-token" in headers,
        "X-Missing" in headers,
    ]


EXPECTED = ["abc", "abc", None, "fallback", 7, -1, -1, True, True, False]


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return repr(lookups(request.headers))

    @app.route("/required")
    async def required() -> str:
        return request.headers["X-Missing"]

    @app.route("/copy")
    async def copy() -> str:
        copied = request.headers.copy()
        # Quart's request headers: the client's address first, then the scope's headers.
        first = ("Remote-Addr", request.headers["Remote-Addr"])
        plain = Headers([first, *((k.decode(), v.decode()) for k, v in SCOPE_HEADERS)])
        return repr([copied == request.headers, request.headers == plain, lookups(copied)])

    @app.after_request
    async def check_response(response: Any) -> Any:
        response.headers["X-Response"] = repr(lookups(response.headers))
        return response

    return app


async def test_request_headers_get_and_in_match_werkzeug() -> None:
    plain = Headers([(k.decode(), v.decode()) for k, v in SCOPE_HEADERS])
    assert lookups(plain) == EXPECTED
    status, body = await call_asgi(make_app(), headers=SCOPE_HEADERS)
    assert status == 200
    assert body.decode() == repr(EXPECTED)


async def test_a_missing_request_header_read_by_index_is_a_400() -> None:
    status, body = await call_asgi(make_app(), path="/required", headers=SCOPE_HEADERS)
    assert status == 400
    assert b"Bad Request" in body


async def test_request_headers_compare_and_copy_like_headers() -> None:
    status, body = await call_asgi(make_app(), path="/copy", headers=SCOPE_HEADERS)
    assert status == 200
    assert body.decode() == repr([True, True, EXPECTED])


async def test_response_headers_get_and_in_for_missing_names() -> None:
    app = make_app()
    response = await app.test_client().get("/", headers={"X-Token": "abc"})
    assert response.status_code == 200
    # The response has none of the looked-up headers: every lookup gives its default.
    assert response.headers["X-Response"] == repr(
        [None, None, None, "fallback", None, -1, -1, False, False, False]
    )


def pops(headers: Any) -> list[Any]:
    """The same pops on any headers object, and what is left after them."""
    results: list[Any] = [
        headers.pop("x-COUNT"),  # the first of two, both removed
        headers.pop("X-Missing", "fallback"),
        headers.pop("X-Missing", None),
        headers.pop("X-Token", None),
        headers.pop(0),
        headers.pop(),
    ]
    try:
        headers.pop("X-Missing")
    except KeyError as error:
        results.append(type(error).__name__)
    return [*results, list(headers.items())]


async def test_response_headers_pop_matches_werkzeug() -> None:
    """``response.headers.pop`` (``make_conditional`` drops ``Content-Length`` with it):
    werkzeug's results, whatever the case of the name, for present and missing names."""
    app = Erlen(__name__)
    items = [
        ("Host", "localhost"),
        ("X-Count", "7"),
        ("X-Token", "abc"),
        ("x-count", "8"),
        ("X-Word", "seven"),
        ("X-Last", "1"),
        ("X-Final", "2"),
    ]

    @app.route("/pop")
    async def pop() -> Any:
        response = await app.make_response("popped")
        response.headers.clear()
        response.headers.extend(items)
        response.headers["X-Result"] = repr(pops(response.headers))
        return response

    expected = pops(Headers(items))
    assert expected[:3] == ["7", "fallback", None]
    assert expected[-2:] == ["BadRequestKeyError", [("X-Word", "seven"), ("X-Last", "1")]]
    response = await app.test_client().get("/pop")
    assert response.status_code == 200
    assert response.headers["X-Result"] == repr(expected)
