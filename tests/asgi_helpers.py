"""A request made as an ASGI server makes it: ``app(scope, receive, send)`` with no test
client in between, for tests of what goes on the wire (the test client keeps a HEAD
answer's body, as Quart's does; a server gets none)."""

from __future__ import annotations

import asyncio
from typing import Any

from werkzeug.datastructures import Headers


def http_scope(
    method: str = "GET", path: str = "/", headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    """The scope an HTTP/1.1 server gives a request for ``path`` (``headers``: all of
    them, ``Host`` included)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": headers if headers is not None else [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }


async def serve_once(
    app: Any, method: str = "GET", path: str = "/", headers: dict[str, str] | None = None
) -> tuple[int, Headers, bytes]:
    """The status, headers and body bytes ``app`` sends for one request."""
    sent: dict[str, Any] = {"status": None, "headers": Headers(), "body": b""}
    raw_headers = [(b"host", b"localhost")] + [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in (headers or {}).items()
    ]
    scope = http_scope(method, path, raw_headers)
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # the client stays until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
            for name, value in message.get("headers", ()):
                sent["headers"].add(name.decode("latin-1"), value.decode("latin-1"))
        elif message["type"] == "http.response.body":
            sent["body"] += message.get("body", b"")

    await asyncio.wait_for(app(scope, receive, send), 10)
    return sent["status"], sent["headers"], sent["body"]


async def call_asgi(app: Any, body: bytes = b"", **scope_fields: Any) -> tuple[int, bytes]:
    """The status and body ``app`` sends for one request made as a server makes it:
    ``scope_fields`` over a GET of ``/`` from ``localhost``, ``body`` its one body chunk."""
    out: dict[str, Any] = {"body": b""}
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # the client stays until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        else:
            out["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "method": "GET",
        "path": "/",
        "headers": [(b"host", b"localhost")],
        **scope_fields,
    }
    await asyncio.wait_for(app(scope, receive, send), 10)
    return out["status"], out["body"]
