"""stream_template and stream_template_string: the body is sent while the template renders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
from erlen import Erlen, g, request, stream_template, stream_template_string
from erlen.plugins.testing.server import serve_app
from erlen.testing import make_test_scope
from werkzeug.datastructures import Headers

WriteTemplates = Callable[..., Path]

FEED = "<ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>"


class Feed:
    """An async generator of items, each one held back until the client got the last."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.sent = 0
        self.exhausted = False
        self.closed = False
        self.allowed = asyncio.Event()

    def release(self) -> None:
        self.allowed.set()

    async def items(self) -> AsyncIterator[str]:
        try:
            for index in range(self.count):
                if index:  # item 0 goes at once; each later one waits for the client
                    await self.allowed.wait()
                    self.allowed.clear()
                self.sent += 1
                yield f"item-{index}<"
            self.exhausted = True
        finally:
            self.closed = True


async def call_asgi(
    app: Erlen,
    path: str,
    on_body: Callable[[bytes], None],
    disconnect: asyncio.Event | None = None,
) -> tuple[int, dict[bytes, bytes], list[bytes]]:
    """Drive ``app`` with one GET; ``on_body`` sees every body chunk as it is sent. The
    client goes away once ``disconnect`` is set."""
    scope = make_test_scope(
        "http", path, "GET", Headers({"host": "localhost"}), b"", "http", "", "1.1"
    )
    done = disconnect or asyncio.Event()
    start: dict[str, Any] = {}
    chunks: list[bytes] = []
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            if body:
                chunks.append(body)
                on_body(body)
            if not message.get("more_body", False):
                done.set()

    try:
        await asyncio.wait_for(app(scope, receive, send), 5)
    finally:
        done.set()
    return start["status"], dict(start["headers"]), chunks


async def test_stream_template_sends_chunks_before_the_generator_is_exhausted(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"feed.html": FEED})
    feed = Feed(3)
    seen_exhausted: list[bool] = []

    @app.route("/feed")
    async def view() -> Any:
        return await stream_template("feed.html", items=feed.items())

    def on_body(body: bytes) -> None:
        seen_exhausted.append(feed.exhausted)
        if b"item-" in body:
            feed.release()  # only now may the template fetch the next item

    # Had the body been rendered in full before sending, the feed would wait forever
    # for a release and call_asgi would time out.
    status, headers, chunks = await call_asgi(app, "/feed", on_body)
    assert status == 200
    assert headers[b"content-type"] == b"text/html; charset=utf-8"
    assert b"".join(chunks) == b"<ul><li>item-0&lt;</li><li>item-1&lt;</li><li>item-2&lt;</li></ul>"
    assert len(chunks) >= 3
    assert seen_exhausted[0] is False
    assert feed.sent == 3


async def test_stream_template_string_sends_chunks_before_the_generator_is_exhausted(
    app: Erlen,
) -> None:
    feed = Feed(2)
    first_chunk_sent_items: list[int] = []

    @app.route("/feed")
    async def view() -> Any:
        return await stream_template_string(
            "{% for i in items %}[{{ i }}]{% endfor %}", items=feed.items()
        )

    def on_body(body: bytes) -> None:
        if not first_chunk_sent_items:
            first_chunk_sent_items.append(feed.sent)
        if b"item-" in body:
            feed.release()

    status, _headers, chunks = await call_asgi(app, "/feed", on_body)
    assert status == 200
    assert b"".join(chunks) == b"[item-0&lt;][item-1&lt;]"
    assert first_chunk_sent_items == [1]


async def test_a_client_going_away_stops_the_render_and_closes_the_generator(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"feed.html": FEED})
    feed = Feed(3)
    gone = asyncio.Event()

    @app.route("/feed")
    async def view() -> Any:
        return await stream_template("feed.html", items=feed.items())

    def on_body(body: bytes) -> None:
        if b"item-0" in body:
            gone.set()  # the client leaves; the feed is never released again

    status, _headers, chunks = await call_asgi(app, "/feed", on_body, disconnect=gone)
    assert status == 200
    body = b"".join(chunks)
    assert body.startswith(b"<ul><li>item-0&lt;")
    assert b"item-1" not in body and not body.endswith(b"</ul>")
    assert feed.sent == 1
    assert feed.closed
    assert not feed.exhausted


async def test_a_streamed_template_sees_the_request_after_the_view_returned(app: Erlen) -> None:
    @app.before_request
    async def remember() -> None:
        g.user = "ada"

    @app.route("/page", endpoint="page")
    async def view() -> Any:
        return await stream_template_string(
            "{{ request.path }} {{ request.args.q }} {{ g.user }} {{ url_for('page') }}"
        )

    response = await app.test_client().get("/page", query_string={"q": "<x>"})
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "/page &lt;x&gt; ada /page"


async def test_interleaved_streams_each_see_their_own_request(app: Erlen) -> None:
    feeds = {"/one": Feed(3), "/two": Feed(3)}

    @app.route("/one")
    @app.route("/two")
    async def view() -> Any:
        g.name = request.path.strip("/")
        return await stream_template_string(
            "{% for i in items %}{{ request.path }}:{{ g.name }}:{{ i }};{% endfor %}",
            items=feeds[request.path].items(),
        )

    def releaser(path: str) -> Callable[[bytes], None]:
        other = "/two" if path == "/one" else "/one"

        def on_body(body: bytes) -> None:
            if b"item-" in body:  # wake the other stream, then this one: they interleave
                feeds[other].release()
                feeds[path].release()

        return on_body

    (_, _, one), (_, _, two) = await asyncio.gather(
        call_asgi(app, "/one", releaser("/one")), call_asgi(app, "/two", releaser("/two"))
    )
    assert b"".join(one) == b"".join(f"/one:one:item-{i}&lt;;".encode() for i in range(3))
    assert b"".join(two) == b"".join(f"/two:two:item-{i}&lt;;".encode() for i in range(3))


async def test_streamed_chunks_arrive_over_a_real_socket(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"feed.html": FEED})
    feed = Feed(3)

    @app.route("/feed")
    async def view() -> Any:
        return await stream_template("feed.html", items=feed.items())

    async def read() -> str:
        received = ""
        async with serve_app(app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
            async with client.stream("GET", "/feed") as response:
                assert response.status_code == 200
                async for piece in response.aiter_text():
                    if not received:
                        assert not feed.exhausted  # the page started before the feed ended
                    received += piece
                    if "item-" in piece:
                        feed.release()
        return received

    body = await asyncio.wait_for(read(), 10)
    assert body == "<ul><li>item-0&lt;</li><li>item-1&lt;</li><li>item-2&lt;</li></ul>"
