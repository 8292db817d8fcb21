"""``Response.make_conditional`` with ``Range`` as Quart and werkzeug answer it, the body
classes used as ``async with body``, and the headers of an empty response."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from erlen import Erlen, Response, request
from erlen.wrappers.response import DataBody, FileBody, IOBody, IterableBody
from werkzeug.exceptions import RequestedRangeNotSatisfiable


async def conditional(
    app: Erlen, range_: str | None, body: Any = b"abcdef", **kwargs: Any
) -> Response:
    headers = {"Range": range_} if range_ else {}
    async with app.test_request_context("/", headers=headers):
        response = Response(body)
        await response.make_conditional(request._get_current_object(), **kwargs)
        return response


async def test_a_range_is_served_with_the_complete_length_alone() -> None:
    response = await conditional(Erlen(__name__), "bytes=0-3", complete_length=6)
    assert (response.status_code, await response.get_data()) == (206, b"abcd")
    assert response.headers["Content-Range"] == "bytes 0-3/6"
    assert response.headers["Content-Length"] == "4"


async def test_accept_ranges_sets_the_header() -> None:
    response = await conditional(Erlen(__name__), "bytes=2-", accept_ranges=True)
    assert (response.status_code, await response.get_data()) == (206, b"cdef")
    assert response.accept_ranges == "bytes"
    assert response.content_range.start == 2 and response.content_range.stop == 6


async def test_a_range_past_the_end_is_clamped() -> None:
    response = await conditional(Erlen(__name__), "bytes=0-666", complete_length=6)
    assert (response.status_code, await response.get_data()) == (206, b"abcdef")
    assert response.headers["Content-Range"] == "bytes 0-5/6"


@pytest.mark.parametrize("range_", ["second=0-3", "bytes=0-2,3-5", "bytes=8-16"])
async def test_unsatisfiable_ranges_are_416(range_: str) -> None:
    with pytest.raises(RequestedRangeNotSatisfiable):
        await conditional(Erlen(__name__), range_, complete_length=6)


async def test_no_range_or_no_length_is_a_plain_200() -> None:
    app = Erlen(__name__)
    plain = await conditional(app, None, complete_length=6)
    assert (plain.status_code, await plain.get_data()) == (200, b"abcdef")
    unsized = await conditional(app, "bytes=0-3")
    assert (unsized.status_code, await unsized.get_data()) == (200, b"abcdef")


async def test_a_stream_with_a_complete_length_is_cut() -> None:
    async def chunks() -> Any:
        yield b"abc"
        yield b"def"

    response = await conditional(Erlen(__name__), "bytes=2-4", chunks(), complete_length=6)
    assert (response.status_code, await response.get_data()) == (206, b"cde")


async def test_a_range_over_a_file(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"0123456789")
    response = await conditional(Erlen(__name__), "bytes=3-100", FileBody(path), accept_ranges=True)
    assert (response.status_code, await response.get_data()) == (206, b"3456789")
    assert response.headers["Content-Range"] == "bytes 3-9/10"


async def test_a_client_over_http_gets_the_ranges(tmp_path: Path) -> None:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> Response:
        return await Response(b"abcdef").make_conditional(request, complete_length=6)

    client = app.test_client()
    partial = await client.get("/", headers={"Range": "bytes=1-2"})
    assert (partial.status_code, await partial.get_data()) == (206, b"bc")
    refused = await client.get("/", headers={"Range": "bytes=9-"})
    assert refused.status_code == 416


async def read(body: Any) -> list[bytes]:
    async with body as opened:
        return [chunk async for chunk in opened]


async def test_every_body_works_with_async_with(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abcdef")

    async def agen() -> Any:
        yield b"abc"
        yield b"def"

    assert await read(DataBody(b"abcdef")) == [b"abcdef"]
    assert await read(FileBody(path, buffer_size=3)) == [b"abc", b"def"]
    assert await read(IOBody(BytesIO(b"abcdef"), buffer_size=3)) == [b"abc", b"def"]
    for iterable in ([b"abc", b"def"], iter([b"abc", b"def"]), agen()):
        assert await read(IterableBody(iterable)) == [b"abc", b"def"]


async def test_response_response_works_with_async_with() -> None:
    async def agen() -> Any:
        yield b"x"

    assert await read(Response(b"data").response) == [b"data"]
    assert await read(Response().response) == []
    assert await read(Response(agen()).response) == [b"x"]
    assert await read(Response([b"a", b"b"]).response) == [b"a", b"b"]


async def test_an_empty_response_has_no_content_length_until_a_body_is_set() -> None:
    response = Response(status=200)
    assert list(response.headers.items()) == [("Content-Type", "text/html; charset=utf-8")]
    assert await response.get_data() == b""
    response.set_data(b"")
    assert response.headers["Content-Length"] == "0"
    assert Response(b"").headers["Content-Length"] == "0"
