"""Quart's documented constructors of ``Request``, ``BaseRequestWebsocket`` and ``Body``:
a request built by hand, its body fed by hand, and the server's own construction."""

from __future__ import annotations

import asyncio
from base64 import b64encode
from typing import Any

import pytest
from erlen import Erlen, request
from erlen.wrappers import BaseRequestWebsocket, Body, Request
from werkzeug.datastructures import Headers
from werkzeug.exceptions import RequestEntityTooLarge, RequestTimeout


def scope(**fields: Any) -> dict[str, Any]:
    base = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"x-from-scope", b"1")],
        "client": ("127.0.0.1", 5000),
        "server": None,
    }
    base.update(fields)
    return base


def built(method: str = "GET", headers: Any = None, **kwargs: Any) -> Request:
    return Request(
        method,
        "http",
        "/",
        b"a=b&a=c",
        Headers(headers or {"host": "example.com"}),
        "",
        "1.1",
        scope(),
        **kwargs,
    )


def test_the_fields_come_from_the_arguments_not_the_scope() -> None:
    made = BaseRequestWebsocket(
        "post",
        "https",
        "/branch/leaf",
        b"q=1&q=2&flag",
        Headers({"Host": "example.com"}),
        "/root/",
        "2",
        scope(scheme="http", path="/elsewhere", query_string=b"z=9"),
    )
    assert (made.method, made.scheme, made.http_version) == ("POST", "https", "2")
    assert (made.root_path, made.path, made.full_path) == (
        "/root",
        "/branch/leaf",
        "/branch/leaf?q=1&q=2&flag",
    )
    assert made.url == "https://example.com/root/branch/leaf?q=1&q=2&flag"
    assert made.base_url == "https://example.com/root/branch/leaf"
    assert (made.url_root, made.host_url) == ("https://example.com/root/", "https://example.com/")
    assert made.args.getlist("q") == ["1", "2"] and made.args["flag"] == ""
    assert made.is_secure and made.host == "example.com"
    assert "X-From-Scope" not in made.headers


def test_authorization_is_read_from_the_given_headers() -> None:
    token = b64encode(b"identity:secret").decode()
    made = BaseRequestWebsocket(
        "GET", "http", "/", b"", Headers({"Authorization": f"Basic {token}"}), "", "1.1", scope()
    )
    assert made.authorization is not None
    assert (made.authorization.username, made.authorization.password) == ("identity", "secret")


async def test_a_body_fed_by_hand_is_read_whole_or_streamed() -> None:
    whole = Body(None, None)

    async def feed(body: Body) -> None:
        for chunk in (b"0", b"1", b"2"):
            body.append(chunk)
            await asyncio.sleep(0)
        body.set_complete()

    asyncio.ensure_future(feed(whole))
    assert await asyncio.wait_for(whole, 2) == b"012"
    assert await whole == b"012"  # kept

    streamed = Body(None, None)
    asyncio.ensure_future(feed(streamed))
    chunks = [chunk async for chunk in streamed]
    assert b"".join(chunks) == b"012"
    assert await streamed == b""  # iterated already: nothing is left


async def test_an_empty_body_and_set_result() -> None:
    empty = Body(None, None)
    empty.set_complete()
    assert [chunk async for chunk in empty] == []
    assert await empty == b""
    given = Body(None, None)
    given.set_result(b"data")
    assert [chunk async for chunk in given] == [b"data"]


async def test_a_body_over_its_limit_is_413() -> None:
    body = Body(None, 5)
    body.append(b"x" * 6)
    with pytest.raises(RequestEntityTooLarge):
        await body
    declared = Body(10, 5)
    declared.set_complete()
    with pytest.raises(RequestEntityTooLarge):
        await declared


async def test_a_body_read_from_the_server_cannot_be_appended_to() -> None:
    app = Erlen(__name__)
    seen: dict[str, str] = {}

    @app.post("/")
    async def view() -> bytes:
        try:
            request.body.append(b"more")
        except RuntimeError as error:
            seen["error"] = str(error)
        return await request.get_data()

    response = await app.test_client().post("/", data=b"sent")
    assert await response.get_data() == b"sent"
    assert "append() cannot add" in seen["error"]


async def test_a_request_built_by_hand_parses_its_fed_body() -> None:
    posted = built("POST", {"host": "x", "Content-Type": "application/x-www-form-urlencoded"})
    posted.body.append(b"a=d")
    posted.body.set_complete()
    assert (await posted.values).getlist("a") == ["b", "c", "d"]
    got = built("GET", {"host": "x", "Content-Type": "application/x-www-form-urlencoded"})
    got.body.set_complete()
    assert (await got.values).getlist("a") == ["b", "c"]


async def test_a_request_built_by_hand_keeps_its_limits() -> None:
    too_big = built("POST", {"Content-Length": "6"}, max_content_length=5)
    with pytest.raises(RequestEntityTooLarge):
        await too_big.get_data()
    never_sent = built("POST", body_timeout=0.05)
    with pytest.raises(RequestTimeout):
        await asyncio.wait_for(never_sent.get_data(), 5)


async def test_get_data_without_cache_drops_the_body() -> None:
    made = built("POST")
    made.body.set_result(b"once")
    assert await made.get_data(cache=False) == b"once"
    assert await made.get_data() == b""


async def test_send_push_promise_goes_to_the_given_callable() -> None:
    pushed: list[tuple[str, Headers]] = []

    async def push(path: str, headers: Headers) -> None:
        pushed.append((path, headers))

    made = built(
        headers={
            "host": "x",
            "Accept": "*/*",
            "Accept-Encoding": "gzip",
            "User-Agent": "t",
            "X-Other": "1",
        },
        send_push_promise=push,
    )
    await made.send_push_promise("/style.css")
    [(path, headers)] = pushed
    assert path == "/style.css"
    assert sorted(headers.keys()) == ["Accept", "Accept-Encoding", "User-Agent"]


async def test_cookies_follow_the_headers() -> None:
    app = Erlen(__name__)
    async with app.test_request_context("/", headers={"Cookie": "old=1"}):
        request.headers["Cookie"] = "a=b"
        assert dict(request.cookies) == {"a": "b"}
    async with app.test_request_context("/", headers={"Cookie": "old=1"}):
        request.headers = Headers({"Cookie": "x=y"})
        assert dict(request.cookies) == {"x": "y"}
    made = built(headers={"Cookie": "k=v; j=w"})
    assert dict(made.cookies) == {"k": "v", "j": "w"}


async def test_the_server_calls_a_subclass_constructor_with_quart_arguments() -> None:
    calls: list[tuple[Any, ...]] = []

    class Recording(Request):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            calls.append(args[:7])
            super().__init__(*args, **kwargs)

    app = Erlen(__name__)
    app.request_class = Recording

    @app.post("/in/<name>")
    async def view(name: str) -> str:
        return f"{type(request._get_current_object()).__name__} {name} {await request.get_data()!r}"

    response = await app.test_client().post("/in/x?k=v", data=b"payload", scheme="https")
    assert await response.get_data(as_text=True) == "Recording x b'payload'"
    method, scheme, path, query_string, headers, root_path, http_version = calls[-1]
    assert (method, scheme, path, query_string, root_path, http_version) == (
        "POST",
        "https",
        "/in/x",
        b"k=v",
        "",
        "1.1",
    )
    assert headers["Content-Length"] == "7"


def test_from_scope_derives_the_fields_later() -> None:
    made = Request.from_scope(scope(path="/app/x", root_path="/app", query_string=b"q=1"))
    assert (made.root_path, made.path, made.query_string, made.scheme) == (
        "/app",
        "/x",
        b"q=1",
        "https",
    )
    assert made.headers["X-From-Scope"] == "1"
