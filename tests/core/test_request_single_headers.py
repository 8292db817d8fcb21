"""``request.host``, ``content_length``, ``mimetype`` and ``get_json()`` give what
werkzeug's ``Headers`` give, whether or not ``request.headers`` was read first: the
first header of a name (any case), ``Transfer-Encoding: chunked`` over a length, an
invalid ``Host`` as ``""``; a request class with its own ``headers`` is read through it."""

from __future__ import annotations

from typing import Any

import pytest
from erlen import Erlen, request
from erlen.wrappers import Request
from werkzeug.datastructures import Headers

from tests.asgi_helpers import call_asgi

FIELDS = "host content_length mimetype json".split()


async def call(app: Erlen, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> Any:
    """One POST through ``app(scope, receive, send)``, as a server calls it."""
    status, answer = await call_asgi(
        app,
        body,
        method="POST",
        scheme="https",
        path="/fields",
        headers=headers,
        server=("10.0.0.1", 8443),
    )
    assert status == 200, (status, answer)
    return answer.decode()


def fields_app(read_headers_first: bool, request_class: type[Request] = Request) -> Erlen:
    app = Erlen(__name__)
    app.request_class = request_class

    @app.route("/fields", methods=["POST"])
    async def fields() -> str:
        if read_headers_first:
            werkzeug_view = (
                request.headers.get("Host"),
                request.headers.get("Content-Length"),
                request.headers.get("Content-Type"),
            )
            assert werkzeug_view is not None
        json = await request.get_json(silent=True)
        return repr((request.host, request.content_length, request.mimetype, json))

    return app


CASES = [
    # (scope headers, body, expected (host, content_length, mimetype, json))
    (
        [
            (b"host", b"example.test:443"),
            (b"content-type", b"application/json"),
            (b"content-length", b"9"),
        ],
        b'{"a": 1}\n',
        ("example.test", 9, "application/json", {"a": 1}),
    ),
    (
        [
            (b"Host", b"Upper.Test:8443"),
            (b"Content-Type", b"Application/JSON; charset=utf-8"),
            (b"Content-Length", b"2"),
            (b"host", b"second.test"),
        ],
        b"[]",
        ("Upper.Test:8443", 2, "application/json", []),
    ),
    (
        [
            (b"host", b"bad host"),
            (b"content-length", b"2"),
            (b"transfer-encoding", b"chunked"),
            (b"content-type", b"text/plain"),
        ],
        b"{}",
        ("", None, "text/plain", None),
    ),
    (
        [(b"content-length", b"nope"), (b"content-type", b"application/json")],
        b"",
        ("10.0.0.1:8443", 0, "application/json", None),
    ),
]


@pytest.mark.parametrize("read_headers_first", [False, True])
@pytest.mark.parametrize(("headers", "body", "expected"), CASES)
async def test_single_headers_read_as_werkzeug_reads_them(
    read_headers_first: bool, headers: list[tuple[bytes, bytes]], body: bytes, expected: Any
) -> None:
    app = fields_app(read_headers_first)
    assert await call(app, headers, body) == repr(expected)


async def test_a_request_class_with_its_own_headers_is_read_through_them() -> None:
    class Rewritten(Request):
        @property
        def headers(self) -> Headers:  # type: ignore[override]
            return Headers({"Host": "rewritten.test", "Content-Type": "text/csv"})

    app = fields_app(False, Rewritten)
    body = await call(app, [(b"host", b"sent.test"), (b"content-type", b"application/json")])
    assert body == repr(("rewritten.test", None, "text/csv", None))
