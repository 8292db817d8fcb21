"""``request.cookies``: each distinct Cookie header is parsed once and shared.

The shared mapping must read exactly as a fresh parse, stay immutable, and never mix
one request's cookies into another's.
"""

from __future__ import annotations

import json

import pytest
from erlen import Erlen, request
from erlen.testing import make_test_scope
from werkzeug.datastructures import Headers, MultiDict


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/cookies")
    async def cookies() -> dict[str, list[str]]:
        return {name: request.cookies.getlist(name) for name in request.cookies}

    @app.route("/write")
    async def write() -> str:
        try:
            request.cookies["a"] = "x"  # type: ignore[index]
        except TypeError:
            return "immutable"
        return "mutable"

    return app


async def get_cookies(app: Erlen, header: str | None) -> object:
    client = app.test_client(use_cookies=False)
    headers = {"Cookie": header} if header is not None else {}
    return await (await client.get("/cookies", headers=headers)).get_json()


async def test_the_same_header_reads_the_same_every_time() -> None:
    app = make_app()
    for _ in range(3):
        assert await get_cookies(app, 'a=1; b="two words"; a=3') == {
            "a": ["1", "3"],
            "b": ["two words"],
        }


async def test_different_headers_never_share_cookies() -> None:
    app = make_app()
    assert await get_cookies(app, "a=1") == {"a": ["1"]}
    assert await get_cookies(app, "a=2") == {"a": ["2"]}
    assert await get_cookies(app, None) == {}
    assert await get_cookies(app, "a=1") == {"a": ["1"]}


async def test_shared_cookies_cannot_be_changed_by_a_view() -> None:
    app = make_app()
    client = app.test_client(use_cookies=False)
    response = await client.get("/write", headers={"Cookie": "a=1"})
    assert await response.get_data() == b"immutable"
    assert await get_cookies(app, "a=1") == {"a": ["1"]}


@pytest.mark.parametrize("count", [1500])
async def test_many_distinct_headers_all_read_right(count: int) -> None:
    app = make_app()
    client = app.test_client(use_cookies=False)
    for i in range(count):  # more than the cache holds: old entries are dropped
        response = await client.get("/cookies", headers={"Cookie": f"n={i}"})
        assert await response.get_json() == {"n": [str(i)]}


async def test_a_mutable_storage_class_gets_its_own_parse() -> None:
    app = make_app()
    app.request_class = type("MutableCookies", (app.request_class,), {})
    app.request_class.dict_storage_class = MultiDict  # type: ignore[assignment]

    @app.route("/mutate")
    async def mutate() -> str:
        request.cookies["a"] = "changed"  # type: ignore[index]
        return request.cookies["a"]

    client = app.test_client(use_cookies=False)
    for _ in range(2):
        response = await client.get("/mutate", headers={"Cookie": "a=1"})
        assert await response.get_data() == b"changed"
    assert await get_cookies(app, "a=1") == {"a": ["1"]}


async def cookies_from_scope_headers(headers: list[tuple[bytes, bytes]]) -> object:
    """Drive the ASGI app with raw scope headers (as a server would pass them)."""
    app = make_app()
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = make_test_scope("http", "/cookies", "GET", Headers(), b"", "http", "", "1.1")
    scope["headers"] = [(b"host", b"localhost"), *headers]  # raw pairs
    await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 200
    return json.loads(sent[1]["body"])  # type: ignore[arg-type]


async def test_every_cookie_header_is_read_and_joined() -> None:
    # HTTP/2 servers pass one `cookie` header per cookie.
    headers = [(b"cookie", b"a=1"), (b"accept", b"*/*"), (b"cookie", b"b=2; a=3")]
    assert await cookies_from_scope_headers(headers) == {"a": ["1", "3"], "b": ["2"]}


async def test_a_scope_with_capitalised_cookie_header_names_is_still_read() -> None:
    headers = [(b"Cookie", b"a=1"), (b"COOKIE", b"b=2")]
    assert await cookies_from_scope_headers(headers) == {"a": ["1"], "b": ["2"]}


async def test_cookies_can_be_replaced_and_read_again_after_del() -> None:
    app = make_app()

    @app.route("/swap")
    async def swap() -> str:
        first = request.cookies.get("a")
        request.cookies = MultiDict({"a": "swapped"})  # type: ignore[misc]
        second = request.cookies.get("a")
        del request.cookies
        return f"{first} {second} {request.cookies.get('a')}"

    client = app.test_client(use_cookies=False)
    response = await client.get("/swap", headers={"Cookie": "a=1"})
    assert await response.get_data() == b"1 swapped 1"


async def test_distinct_headers_of_many_cookies_hold_bounded_memory() -> None:
    """A client sending a new Cookie header of 800 tiny cookies with every request: each
    parse (about 140 KB) was kept for the next 1,024 distinct headers, so 1,024 requests
    held 180 MB of the server for good. The kept parses now stay within about 4 MB, and each
    request still reads its own cookies."""
    import gc
    import tracemalloc

    app = make_app()
    client = app.test_client(use_cookies=False)
    await client.get("/cookies", headers={"Cookie": "warm=1"})
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index in range(200):
            header = ";".join(f"{number:x}g{index:x}=" for number in range(800))
            assert len(header) < 8192  # the longest header kept
            response = await client.get("/cookies", headers={"Cookie": header})
            cookies = await response.get_json()
            assert len(cookies) == 800 and f"31fg{index:x}" in cookies
            del response, cookies
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 12 * 1024 * 1024, held  # 200 such parses kept: about 28 MB
