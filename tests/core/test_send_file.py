"""``send_file``: sources, names, MIME types, caching and conditional/range requests."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from erlen import Erlen, send_file, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date

from tests.asgi_helpers import serve_once

CONTENT = b"0123456789abcdefghij"  # 20 bytes


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.txt"
    path.write_bytes(CONTENT)
    return path


@pytest.fixture
def app(data_file: Path) -> Erlen:
    app = Erlen(__name__, root_path=str(data_file.parent), static_folder=None)

    @app.route("/path")
    async def by_path() -> Any:
        return await send_file(str(data_file))

    @app.route("/pathlib")
    async def by_pathlib() -> Any:
        return await send_file(data_file, max_age=10)

    @app.route("/relative")
    async def relative() -> Any:
        return await send_file("data.txt")  # relative to app.root_path

    @app.route("/missing")
    async def missing() -> Any:
        return await send_file(data_file.parent / "nope.txt")

    @app.route("/bytesio")
    async def bytes_io() -> Any:
        return await send_file(io.BytesIO(CONTENT), mimetype="application/x-demo")

    @app.route("/attachment")
    async def attachment() -> Any:
        return await send_file(io.BytesIO(b"a,b"), as_attachment=True, download_name="report.csv")

    @app.route("/unicode")
    async def unicode_name() -> Any:
        return await send_file(data_file, as_attachment=True, download_name="résumé 2024.txt")

    @app.route("/no-name")
    async def no_name() -> Any:
        return await send_file(io.BytesIO(b"x"))

    @app.route("/text-io")
    async def text_io() -> Any:
        return await send_file(io.StringIO("x"), mimetype="text/plain")  # type: ignore[arg-type]

    @app.route("/custom-etag")
    async def custom_etag() -> Any:
        stamp = datetime(2024, 1, 2, tzinfo=UTC)
        return await send_file(
            io.BytesIO(CONTENT), mimetype="text/plain", etag="v1", last_modified=stamp
        )

    @app.route("/unconditional")
    async def unconditional() -> Any:
        return await send_file(data_file, conditional=False, etag=False)

    return app


async def test_send_a_path(app: Erlen, data_file: Path) -> None:
    client = app.test_client()
    for url in ("/path", "/pathlib", "/relative"):
        response = await client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        assert response.headers["Content-Length"] == "20"
        assert response.headers["Content-Disposition"] == "inline; filename=data.txt"
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.headers["ETag"]
        assert response.last_modified is not None
        assert await response.get_data() == CONTENT
    assert (await client.get("/pathlib")).headers["Cache-Control"] == "public, max-age=10"
    assert (await client.get("/path")).headers["Cache-Control"] == "public, max-age=43200"


async def test_missing_file_is_404(app: Erlen) -> None:
    assert (await app.test_client().get("/missing")).status_code == 404


async def test_send_file_like_objects(app: Erlen) -> None:
    client = app.test_client()
    response = await client.get("/bytesio")
    assert response.mimetype == "application/x-demo"
    assert "Content-Disposition" not in response.headers
    assert "ETag" not in response.headers
    assert await response.get_data() == CONTENT
    download = await client.get("/attachment")
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == "attachment; filename=report.csv"


async def test_non_ascii_download_name(app: Erlen) -> None:
    response = await app.test_client().get("/unicode")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"resume 2024.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.txt"
    )


async def test_programming_errors_are_explained(app: Erlen) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    client = app.test_client()
    with pytest.raises(ValueError, match="MIME type"):
        await client.get("/no-name")
    with pytest.raises(ValueError, match="binary mode"):
        await client.get("/text-io")


async def test_etag_and_if_none_match(app: Erlen) -> None:
    client = app.test_client()
    first = await client.get("/path")
    etag = first.headers["ETag"]
    cached = await client.get("/path", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert await cached.get_data() == b""
    assert cached.headers["ETag"] == etag
    assert (await client.get("/path", headers={"If-None-Match": '"other"'})).status_code == 200
    assert (await client.get("/path", headers={"If-None-Match": "*"})).status_code == 304


async def test_if_modified_since(app: Erlen) -> None:
    client = app.test_client()
    last_modified = (await client.get("/path")).headers["Last-Modified"]
    assert (
        await client.get("/path", headers={"If-Modified-Since": last_modified})
    ).status_code == 304
    old = http_date(datetime.now(UTC) - timedelta(days=3650))
    assert (await client.get("/path", headers={"If-Modified-Since": old})).status_code == 200
    garbage = await client.get("/path", headers={"If-Modified-Since": "yesterday-ish"})
    assert garbage.status_code == 200


async def test_custom_etag_and_last_modified(app: Erlen) -> None:
    client = app.test_client()
    response = await client.get("/custom-etag")
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Last-Modified"] == "Tue, 02 Jan 2024 00:00:00 GMT"
    assert (await client.get("/custom-etag", headers={"If-None-Match": '"v1"'})).status_code == 304


@pytest.mark.parametrize(
    ("range_header", "content_range", "body"),
    [
        ("bytes=2-5", "bytes 2-5/20", b"2345"),
        ("bytes=-3", "bytes 17-19/20", b"hij"),
        ("bytes=15-", "bytes 15-19/20", b"fghij"),
        ("bytes=18-100", "bytes 18-19/20", b"ij"),
    ],
)
@pytest.mark.parametrize("url", ["/path", "/bytesio"])
async def test_range_gives_206(
    app: Erlen, url: str, range_header: str, content_range: str, body: bytes
) -> None:
    response = await app.test_client().get(url, headers={"Range": range_header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == content_range
    assert response.headers["Content-Length"] == str(len(body))
    assert await response.get_data() == body


@pytest.mark.parametrize(
    "range_header",
    [
        "bytes=20-30",
        "bytes=20-",
        "bytes=abc",
        "bytes=5-2",
        "bytes=0-1,3-4",
        "items=0-3",
        "bytes=-0",
        "bytes=--1",
        "bytes=",
        "bytes=-",
        "bytes=1-2,",
        "bytes=\x00",
    ],
)
async def test_invalid_or_unsatisfiable_range_gives_416(app: Erlen, range_header: str) -> None:
    response = await app.test_client().get("/path", headers={"Range": range_header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */20"


@pytest.mark.parametrize(
    "headers",
    [
        {"Range": "bytes=-100"},  # a suffix longer than the file: all of it
        {"If-None-Match": ',,,"'},
        {"If-None-Match": "W/"},
        {"If-Modified-Since": "Mon, 99 Foo 99999 99:99:99 GMT"},
        {"If-Unmodified-Since": "soon"},
        {"If-Range": "garbage", "Range": "bytes=0-1"},
    ],
)
async def test_odd_conditional_headers_give_the_whole_file(
    app: Erlen, headers: dict[str, str]
) -> None:
    response = await app.test_client().get("/path", headers=headers)
    assert response.status_code == 200
    assert await response.get_data() == CONTENT


@pytest.mark.parametrize("range_", ["bytes=0-", "bytes=0-99999999999999999999"])
async def test_a_range_of_the_whole_file_is_a_206(app: Erlen, range_: str) -> None:
    # werkzeug's and Quart's answer: the range (clamped to the end) as a 206
    whole = await app.test_client().get("/path", headers={"Range": range_})
    assert whole.status_code == 206
    assert whole.headers["Content-Range"] == "bytes 0-19/20"
    assert await whole.get_data() == CONTENT


async def test_stale_if_range_gives_200(app: Erlen) -> None:
    client = app.test_client()
    whole = await client.get("/path")
    stale = await client.get("/path", headers={"Range": "bytes=0-3", "If-Range": '"stale"'})
    assert stale.status_code == 200
    assert await stale.get_data() == CONTENT
    etag = whole.headers["ETag"]
    fresh = await client.get("/path", headers={"Range": "bytes=0-3", "If-Range": etag})
    assert fresh.status_code == 206


async def test_range_on_head_and_post(app: Erlen) -> None:
    @app.post("/post")
    async def post_view() -> Any:
        return await send_file(io.BytesIO(CONTENT), "text/plain")

    client = app.test_client()
    status, _headers, body = await serve_once(app, "HEAD", "/path", {"Range": "bytes=0-3"})
    assert (status, body) == (206, b"")
    head = await client.head("/path", headers={"Range": "bytes=0-3"})
    assert (head.status_code, await head.get_data()) == (206, CONTENT[:4])
    post = await client.post("/post", headers={"Range": "bytes=0-3"})
    assert post.status_code == 200  # conditional requests apply to GET and HEAD only
    assert await post.get_data() == CONTENT


async def test_conditional_false_ignores_request_headers(app: Erlen) -> None:
    response = await app.test_client().get(
        "/unconditional", headers={"Range": "bytes=0-3", "If-Modified-Since": http_date()}
    )
    assert response.status_code == 200
    assert "ETag" not in response.headers
    assert await response.get_data() == CONTENT


async def test_large_file_streams_in_blocks(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    payload = bytes(range(256)) * 4096  # 1 MiB
    big.write_bytes(payload)
    app = Erlen(__name__, root_path=str(tmp_path), static_folder=None)

    @app.route("/big")
    async def send_big() -> Any:
        return await send_file(big, mimetype="application/octet-stream")

    client = app.test_client()
    response = await client.get("/big")
    assert await response.get_data() == payload
    part = await client.get("/big", headers={"Range": "bytes=500000-500009"})
    assert part.status_code == 206
    assert await part.get_data() == payload[500000:500010]


async def test_a_missing_file_is_a_404_even_outside_an_app_context(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        await send_from_directory(tmp_path, "missing.txt")
    with pytest.raises(NotFound):
        await send_file(tmp_path / "missing.txt")
    with pytest.raises(NotFound):  # a relative folder with no app to resolve it against
        await send_from_directory("no-such-folder", "x.txt")


async def test_if_match_and_unconditional_requests(app: Erlen) -> None:
    client = app.test_client()
    plain = await client.get("/path")
    assert plain.status_code == 200
    etag = plain.headers["ETag"]
    body = await plain.get_data()
    assert body
    matching = await client.get("/path", headers={"If-Match": etag})
    assert matching.status_code == 200
    assert await matching.get_data() == body
    stale = await client.get("/path", headers={"If-Match": '"someone-else"'})
    assert stale.status_code == 412
