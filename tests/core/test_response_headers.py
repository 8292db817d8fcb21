"""``response.headers[name] = value`` on the responses the kernel builds from a view's
string: the shorter path must give exactly what werkzeug's ``Headers`` gives."""

from __future__ import annotations

from typing import Any

import pytest
from erlen import Erlen
from werkzeug.datastructures import Headers


def make_app(after: Any, seen: list[list[tuple[str, str]]]) -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "hello"

    @app.after_request
    async def record(response: Any) -> Any:  # registered first: runs last
        seen.append(list(response.headers))
        return response

    app.after_request(after)
    return app


async def headers_of(after: Any) -> list[tuple[str, str]]:
    """The headers after ``after`` ran, as the app holds them (and as sent)."""
    seen: list[list[tuple[str, str]]] = []
    response = await make_app(after, seen).test_client().get("/")
    assert response.status_code == 200
    (held,) = seen
    held = [(k, v) for k, v in held if k.lower() != "content-length"]
    sent = [(k, v) for k, v in response.headers if k != "content-length"]
    assert sent == [(k.lower(), v) for k, v in held]
    return held


async def test_setting_a_new_header_appends_it() -> None:
    async def after(response: Any) -> Any:
        response.headers["X-After"] = "1"
        return response

    assert await headers_of(after) == [
        ("Content-Type", "text/html; charset=utf-8"),
        ("X-After", "1"),
    ]


async def test_setting_an_existing_header_replaces_the_first_and_drops_the_rest() -> None:
    async def after(response: Any) -> Any:
        response.headers.add("X-Tag", "a")
        response.headers.add("X-Other", "o")
        response.headers.add("x-tag", "b")
        response.headers["x-TAG"] = "c"
        response.headers["content-type"] = "text/plain"
        return response

    assert await headers_of(after) == [
        ("content-type", "text/plain"),
        ("x-TAG", "c"),
        ("X-Other", "o"),
    ]


async def test_non_string_values_are_converted_as_werkzeug_does() -> None:
    async def after(response: Any) -> Any:
        response.headers["X-Number"] = 7
        response.headers["X-Tab"] = "a\tb"  # not printable, but allowed
        return response

    headers = await headers_of(after)
    assert ("X-Number", "7") in headers
    assert ("X-Tab", "a\tb") in headers


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "\r\n"])
async def test_a_value_with_a_newline_is_refused_like_werkzeug(value: str) -> None:
    errors: list[str] = []

    async def after(response: Any) -> Any:
        try:
            response.headers["X-Bad"] = value
        except ValueError as exc:
            errors.append(str(exc))
        return response

    headers = await headers_of(after)
    assert all(name != "X-Bad" for name, _ in headers)
    with pytest.raises(ValueError) as werkzeug_error:
        Headers()["X-Bad"] = value
    assert errors == [str(werkzeug_error.value)]


async def test_the_headers_compare_equal_to_plain_headers() -> None:
    seen: list[Any] = []

    async def after(response: Any) -> Any:
        seen.append(response.headers)
        return response

    await headers_of(after)
    (headers,) = seen
    plain = Headers(list(headers))
    assert headers == plain
    assert plain == headers
    assert headers.copy() == plain
    assert isinstance(headers, Headers)
    assert headers != Headers([("X-Other", "1")])
