"""View return values and the response object: bodies, status, headers, cookies, ranges."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from erlen import (
    Erlen,
    Response,
    abort,
    after_this_request,
    jsonify,
    make_response,
    request,
)
from werkzeug.datastructures import Headers

from tests.asgi_helpers import serve_once


@pytest.fixture
def app() -> Erlen:
    return Erlen(__name__)


async def get(app: Erlen, path: str, **kwargs: Any) -> Any:
    return await app.test_client().get(path, **kwargs)


@pytest.mark.parametrize(
    ("value", "status", "mimetype", "body"),
    [
        ("text", 200, "text/html", b"text"),
        ("héllo", 200, "text/html", "héllo".encode()),
        (b"bytes", 200, "text/html", b"bytes"),
        ({"a": 1}, 200, "application/json", None),
        ([1, 2], 200, "application/json", None),
        (("created", 201), 201, "text/html", b"created"),
        (("teapot", "418 I'M A TEAPOT"), 418, "text/html", b"teapot"),
        (("hdr", {"X-A": "1"}), 200, "text/html", b"hdr"),
        (("hdr", [("X-A", "1")]), 200, "text/html", b"hdr"),
        (("all", 202, {"X-A": "1"}), 202, "text/html", b"all"),
        (({"k": "v"}, 201, Headers({"X-A": "1"})), 201, "application/json", None),
    ],
)
async def test_return_values(
    app: Erlen, value: Any, status: int, mimetype: str, body: bytes | None
) -> None:
    @app.route("/")
    async def view() -> Any:
        return value

    response = await get(app, "/")
    assert response.status_code == status
    assert response.mimetype == mimetype
    raw = value[0] if isinstance(value, tuple) else value
    if body is None:
        assert await response.get_json() == raw
    else:
        assert await response.get_data() == body
        assert response.headers["Content-Length"] == str(len(body))
    if isinstance(value, tuple) and len(value) > 1 and not isinstance(value[-1], (int, str)):
        assert response.headers["X-A"] == "1"


async def test_text_response_charset(app: Erlen) -> None:
    @app.route("/")
    async def view() -> str:
        return "x"

    assert (await get(app, "/")).headers["Content-Type"] == "text/html; charset=utf-8"


async def test_response_object(app: Erlen) -> None:
    @app.route("/")
    async def view() -> Response:
        return Response("made", status=203, headers={"X-B": "2"}, mimetype="text/plain")

    response = await get(app, "/")
    assert response.status_code == 203
    assert response.headers["X-B"] == "2"
    assert response.mimetype == "text/plain"
    assert await response.get_data() == b"made"


async def test_response_tuple_overrides_status(app: Erlen) -> None:
    @app.route("/")
    async def view() -> Any:
        return Response("r"), 404, {"X-C": "3"}

    response = await get(app, "/")
    assert (response.status_code, response.headers["X-C"]) == (404, "3")


async def test_async_generator_is_streamed(app: Erlen) -> None:
    @app.route("/")
    async def view() -> Any:
        async def gen() -> Any:
            for i in range(3):
                yield f"chunk{i};"
                await asyncio.sleep(0)

        return gen(), 200, {"Content-Type": "text/plain"}

    response = await get(app, "/")
    assert "Content-Length" not in response.headers
    assert await response.get_data() == b"chunk0;chunk1;chunk2;"


async def test_sync_generator_is_streamed_in_a_thread(app: Erlen) -> None:
    threads: set[int] = set()

    @app.route("/")
    async def view() -> Any:
        def gen() -> Any:
            for i in range(3):
                threads.add(threading.get_ident())
                yield f"{i}".encode()

        return gen()

    response = await get(app, "/")
    assert await response.get_data() == b"012"
    assert threading.get_ident() not in threads


async def test_sync_view_returning_generator(app: Erlen) -> None:
    @app.route("/")
    def view() -> Any:
        def gen() -> Any:
            yield "a"
            yield "b"

        return gen()

    assert await (await get(app, "/")).get_data() == b"ab"


async def test_streamed_chunks_arrive_separately(app: Erlen) -> None:
    @app.route("/")
    async def view() -> Any:
        async def gen() -> Any:
            yield b"one"
            yield b""
            yield b"two"

        return gen()

    messages: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    await asyncio.wait_for(app(scope, receive, send), 5)
    bodies = [m["body"] for m in messages if m["type"] == "http.response.body"]
    assert bodies[:2] == [b"one", b"two"]
    assert bodies[-1] == b""


async def test_invalid_return_values_are_500(app: Erlen) -> None:
    @app.route("/none")
    async def none() -> Any:
        return None

    @app.route("/tuple")
    async def tuple4() -> Any:
        return ("a", 200, {}, "extra")

    @app.route("/object")
    async def obj() -> Any:
        return object()

    for path in ("/none", "/tuple", "/object"):
        response = await get(app, path)
        assert response.status_code == 500


async def test_invalid_return_value_propagates_when_asked(app: Erlen) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.route("/")
    async def none() -> Any:
        return None

    with pytest.raises(TypeError, match="did not return a valid response"):
        await get(app, "/")


async def test_make_response(app: Erlen) -> None:
    @app.route("/")
    async def view() -> Response:
        response = await make_response("body", 201, {"X-M": "1"})
        response.headers["X-N"] = "2"
        return response

    @app.route("/empty")
    async def empty() -> Response:
        return await make_response()

    @app.route("/dict")
    async def from_dict() -> Response:
        return await make_response({"d": 1})

    response = await get(app, "/")
    assert response.status_code == 201
    assert (response.headers["X-M"], response.headers["X-N"]) == ("1", "2")
    assert await response.get_data() == b"body"
    empty_response = await get(app, "/empty")
    assert (empty_response.status_code, await empty_response.get_data()) == (200, b"")
    assert await (await get(app, "/dict")).get_json() == {"d": 1}


async def test_jsonify(app: Erlen) -> None:
    @app.route("/one")
    async def one() -> Response:
        return jsonify({"a": 1})

    @app.route("/many")
    async def many() -> Response:
        return jsonify(1, 2, 3)

    @app.route("/kw")
    async def kw() -> Response:
        return jsonify(x=1, y="z")

    @app.route("/status")
    async def status() -> Any:
        return jsonify(error="nope"), 400

    assert await (await get(app, "/one")).get_json() == {"a": 1}
    assert await (await get(app, "/many")).get_json() == [1, 2, 3]
    assert await (await get(app, "/kw")).get_json() == {"x": 1, "y": "z"}
    response = await get(app, "/status")
    assert response.status_code == 400
    assert response.mimetype == "application/json"


def test_jsonify_needs_app_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        jsonify(1)


async def test_abort(app: Erlen) -> None:
    @app.route("/<int:code>")
    async def view(code: int) -> str:
        abort(code)

    @app.route("/described")
    async def described() -> str:
        abort(403, description="Private area")

    @app.route("/response")
    async def with_response() -> str:
        abort(Response("custom body", status=402))

    for code in (400, 401, 403, 404, 409, 418, 429, 500, 503):
        assert (await get(app, f"/{code}")).status_code == code
    response = await get(app, "/described")
    assert response.status_code == 403
    assert "Private area" in await response.get_data(as_text=True)
    response = await get(app, "/response")
    assert (response.status_code, await response.get_data()) == (402, b"custom body")


async def test_after_this_request(app: Erlen) -> None:
    order: list[str] = []

    @app.after_request
    async def after(response: Response) -> Response:
        order.append("after_request")
        return response

    @app.route("/")
    async def view() -> str:
        @after_this_request
        async def add_header(response: Response) -> Response:
            order.append("after_this_request")
            response.headers["X-After"] = "yes"
            return response

        @after_this_request
        def sync_header(response: Response) -> Response:
            response.headers["X-Sync"] = "yes"
            return response

        return "ok"

    response = await get(app, "/")
    assert (response.headers["X-After"], response.headers["X-Sync"]) == ("yes", "yes")
    assert order == ["after_this_request", "after_request"]


def test_after_this_request_outside_request() -> None:
    with pytest.raises(RuntimeError):
        after_this_request(lambda r: r)


async def test_set_and_delete_cookie(app: Erlen) -> None:
    @app.route("/set")
    async def set_cookie() -> Response:
        response = Response("set")
        response.set_cookie("flavour", "oat", max_age=60, httponly=True, samesite="Lax")
        return response

    @app.route("/del")
    async def del_cookie() -> Response:
        response = Response("deleted")
        response.delete_cookie("flavour")
        return response

    @app.route("/read")
    async def read() -> str:
        return request.cookies.get("flavour", "none")

    client = app.test_client()
    response = await client.get("/set")
    header = response.headers["Set-Cookie"]
    assert "flavour=oat" in header
    assert "Max-Age=60" in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert await (await client.get("/read")).get_data() == b"oat"
    response = await client.get("/del")
    assert "flavour=;" in response.headers["Set-Cookie"]
    assert "Max-Age=0" in response.headers["Set-Cookie"]
    assert await (await client.get("/read")).get_data() == b"none"


async def test_max_cookie_size_comes_from_config(app: Erlen) -> None:
    app.config["MAX_COOKIE_SIZE"] = 50
    async with app.app_context():
        assert Response().max_cookie_size == 50
        with pytest.warns(UserWarning, match="cookie is too large"):
            Response().set_cookie("big", "x" * 100)
    assert Response().max_cookie_size == 4093


@pytest.fixture
def conditional_app(app: Erlen) -> Erlen:
    modified = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    @app.route("/doc")
    async def doc() -> Response:
        response = Response(b"0123456789", mimetype="text/plain")
        response.set_etag("v1")
        response.last_modified = modified
        return await response.make_conditional(request, accept_ranges=True)

    @app.route("/auto-etag")
    async def auto_etag() -> Response:
        response = Response(b"hash me")
        await response.add_etag()
        return await response.make_conditional(request)

    return app


async def test_conditional_etag(conditional_app: Erlen) -> None:
    client = conditional_app.test_client()
    response = await client.get("/doc")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Accept-Ranges"] == "bytes"
    not_modified = await client.get("/doc", headers={"If-None-Match": '"v1"'})
    assert not_modified.status_code == 304
    assert await not_modified.get_data() == b""
    changed = await client.get("/doc", headers={"If-None-Match": '"v0"'})
    assert changed.status_code == 200
    etag = (await client.get("/auto-etag")).headers["ETag"]
    assert (await client.get("/auto-etag", headers={"If-None-Match": etag})).status_code == 304


async def test_conditional_last_modified(conditional_app: Erlen) -> None:
    client = conditional_app.test_client()
    same = {"If-Modified-Since": "Tue, 02 Jan 2024 03:04:05 GMT"}
    older = {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
    response = await client.get("/doc", headers=same)
    assert response.status_code == 304
    response = await client.get("/doc", headers=older)
    assert response.status_code == 200


async def test_conditional_if_match_fails_412(conditional_app: Erlen) -> None:
    response = await conditional_app.test_client().get(
        "/doc", headers={"If-Match": '"other"', "If-None-Match": '"v1"'}
    )
    assert response.status_code == 412


async def test_range(conditional_app: Erlen) -> None:
    client = conditional_app.test_client()
    response = await client.get("/doc", headers={"Range": "bytes=2-5"})
    assert response.status_code == 206
    assert await response.get_data() == b"2345"
    assert response.headers["Content-Range"] == "bytes 2-5/10"
    assert response.headers["Content-Length"] == "4"
    response = await client.get("/doc", headers={"Range": "bytes=-3"})
    assert (response.status_code, await response.get_data()) == (206, b"789")


async def test_range_not_satisfiable(conditional_app: Erlen) -> None:
    client = conditional_app.test_client()
    response = await client.get("/doc", headers={"Range": "bytes=50-60"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */10"
    response = await client.get("/doc", headers={"Range": "bytes=0-1,4-5"})
    assert response.status_code == 416


async def test_range_garbage_header_is_not_500(conditional_app: Erlen) -> None:
    response = await conditional_app.test_client().get("/doc", headers={"Range": "lines=a-b"})
    assert response.status_code in (200, 416)


async def test_if_range_stale_sends_everything(conditional_app: Erlen) -> None:
    client = conditional_app.test_client()
    response = await client.get("/doc", headers={"Range": "bytes=0-1", "If-Range": '"v0"'})
    assert (response.status_code, await response.get_data()) == (200, b"0123456789")
    response = await client.get("/doc", headers={"Range": "bytes=0-1", "If-Range": '"v1"'})
    assert (response.status_code, await response.get_data()) == (206, b"01")


async def test_response_get_data_and_json_helpers() -> None:
    response = Response('{"a": 1}', mimetype="application/json")
    assert await response.get_data() == b'{"a": 1}'
    assert await response.get_data(as_text=True) == '{"a": 1}'
    assert await response.data == b'{"a": 1}'
    assert await response.get_json() == {"a": 1}
    assert await response.json == {"a": 1}
    response.set_data("new")
    assert response.headers["Content-Length"] == "3"
    assert await Response("x").get_json() is None


async def test_status_as_bare_string_and_unknown_code(app: Erlen) -> None:
    @app.route("/s")
    async def s() -> Any:
        return "x", "201"

    @app.route("/odd")
    async def odd() -> Any:
        return "x", 299

    created = await get(app, "/s")
    assert (created.status_code, created.status) == (201, "201 CREATED")
    assert (await get(app, "/odd")).status_code == 299


async def test_head_of_a_streamed_response_sends_headers_only(app: Erlen) -> None:
    started: list[str] = []

    @app.route("/stream")
    async def stream() -> Any:
        async def body() -> Any:
            started.append("body")
            yield b"chunk"

        return body(), 200, {"X-Stream": "yes"}

    status, headers, body = await serve_once(app, "HEAD", "/stream")
    assert (status, headers["X-Stream"], body) == (200, "yes", b"")
    assert started == []  # the generator is never run for HEAD
    response = await app.test_client().head("/stream")  # keeps the body, as Quart's
    assert await response.get_data() == b"chunk"
    assert await (await get(app, "/stream")).get_data() == b"chunk"


async def test_abort_with_a_response_and_a_description(app: Erlen) -> None:
    @app.route("/teapot")
    async def teapot() -> Any:
        abort(Response("short and stout", 418))

    @app.route("/gone")
    async def gone() -> Any:
        abort(410, description="it left")

    response = await get(app, "/teapot")
    assert (response.status_code, await response.get_data()) == (418, b"short and stout")
    response = await get(app, "/gone")
    assert response.status_code == 410
    assert "it left" in await response.get_data(as_text=True)


async def test_conditional_on_a_stream_answers_304_and_ignores_range(app: Erlen) -> None:
    @app.route("/feed")
    async def feed() -> Response:
        async def body() -> Any:
            yield b"0123456789"

        response = Response(body())
        response.set_etag("feed-1")
        return await response.make_conditional(request, accept_ranges=True)

    client = app.test_client()
    cached = await client.get("/feed", headers={"If-None-Match": '"feed-1"'})
    assert (cached.status_code, await cached.get_data()) == (304, b"")
    ranged = await client.get("/feed", headers={"Range": "bytes=2-4"})
    assert (ranged.status_code, await ranged.get_data()) == (200, b"0123456789")


async def test_a_text_view_gets_what_the_constructor_sets_whatever_the_class_defaults() -> None:
    from erlen import Erlen, Response

    class SlowResponse(Response):
        timeout = 5  # a class default: Response.__init__ still sets timeout = ...

    app = Erlen(__name__)
    app.response_class = SlowResponse
    seen: list[Any] = []

    @app.after_request
    async def record(response: Any) -> Any:
        seen.append((type(response), response.timeout, response.status_code))
        return response

    @app.route("/")
    async def index() -> str:
        return "hi"

    response = await app.test_client().get("/")
    assert await response.get_data() == b"hi"
    assert seen == [(SlowResponse, SlowResponse("x").timeout, 200)]
    assert SlowResponse("x").timeout is ...


async def test_a_response_class_with_its_own_new_makes_the_text_responses() -> None:
    from erlen import Erlen, Response

    made: list[str] = []

    class CountedResponse(Response):
        def __new__(cls, *args: Any, **kwargs: Any) -> CountedResponse:
            made.append(cls.__name__)
            return super().__new__(cls)

    app = Erlen(__name__)
    app.response_class = CountedResponse

    @app.after_request
    async def mark(response: Any) -> Any:
        response.headers["X-Class"] = type(response).__name__
        return response

    @app.route("/")
    async def index() -> str:
        return "counted"

    response = await app.test_client().get("/")
    assert await response.get_data() == b"counted"
    assert response.headers["X-Class"] == "CountedResponse"
    assert response.headers["Content-Length"] == "7"
    assert made[0] == "CountedResponse"  # __new__ ran for the view's response


async def test_content_length_is_right_for_every_body_size(app: Erlen) -> None:
    from erlen.wrappers.headers import _MAX_LENGTH_ITEMS

    @app.after_request
    async def hooked(response: Any) -> Any:  # the response is built, not only sent
        return response

    @app.route("/size/<int:size>")
    async def sized(size: int) -> str:
        return "x" * size

    client = app.test_client()
    # Past the remembered sizes too: more distinct sizes than are kept.
    for size in [0, 1, 9, 10, 4095, 70_000, *range(20, 20 + _MAX_LENGTH_ITEMS + 5, 997)]:
        response = await client.get(f"/size/{size}")
        assert response.headers["Content-Length"] == str(size)
        assert len(await response.get_data()) == size


async def test_make_response_helper_needs_an_app_context(app: Erlen) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        await make_response("outside")
    async with app.app_context():
        response = await make_response("inside", 201)
    assert response.status_code == 201
    assert await response.get_data() == b"inside"


async def test_add_etag_is_the_md5_of_the_body_as_in_quart(conditional_app: Erlen) -> None:
    # The same ETag a Quart app gives the same body: a client's cached ETag survives a port.
    client = conditional_app.test_client()
    response = await client.get("/auto-etag")
    assert response.headers["ETag"] == f'"{hashlib.md5(b"hash me").hexdigest()}"'
    again = await client.get("/auto-etag", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
