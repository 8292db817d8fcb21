"""A request answered from an exception leaves no reference cycle: its request, contexts
and ``g`` are freed when it ends, not when the garbage collector next runs. Each
exception's traceback holds the kernel frames it passed through; a frame's local (the
exception kept as the answer, the error handed to teardown) or the request's
``routing_exception`` closed a cycle through them: 19 to 59 objects per request of an
unhandled ``abort``, a 500, a 404, a 405 or a redirect (bench shapes ``abort_default``,
``error_500``, ``not_found``, ``trailing_slash``)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from erlen import Erlen, abort


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/ok")
    async def ok() -> str:
        return "ok"

    @app.route("/forbidden")
    async def forbidden() -> str:
        abort(403)

    @app.route("/boom")
    async def boom() -> str:
        raise ValueError("boom")

    @app.route("/handled")
    async def handled() -> str:
        abort(418)

    @app.errorhandler(418)
    async def teapot(error: Any) -> tuple[str, int]:
        return "tea", 418

    @app.route("/folder/")
    async def folder() -> str:
        return "folder"

    @app.post("/post-only")
    async def post_only() -> str:
        return "posted"

    return app


async def status_of(app: Erlen, path: str) -> int:
    """One GET of ``path`` over ASGI, the way a server calls the app; its status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"example.test")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    return int(sent[0]["status"])


@pytest.fixture
def collector_off() -> Iterator[None]:
    """The garbage collector off (what it finds is counted by hand), and the 500's log
    line quiet."""
    logging.disable(logging.CRITICAL)
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        logging.disable(logging.NOTSET)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ok", 200),
        ("/forbidden", 403),
        ("/boom", 500),
        ("/handled", 418),
        ("/missing", 404),
        ("/folder", 308),
        ("/post-only", 405),
    ],
)
async def test_a_request_leaves_nothing_for_the_garbage_collector(
    collector_off: None, path: str, status: int
) -> None:
    app = make_app()
    for _ in range(3):  # first requests fill caches (compiled plans, remembered handlers)
        assert await status_of(app, path) == status
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds is kept in gc.garbage
    try:
        for _ in range(50):
            assert await status_of(app, path) == status
        gc.collect()
        left = {type(thing).__name__ for thing in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    # werkzeug's matcher (which answers redirects and 405s) makes a recursive closure per
    # match, a cycle of its own of a function and its cells: nothing of the request's.
    assert left <= {"function", "cell", "tuple", "set"}, left
