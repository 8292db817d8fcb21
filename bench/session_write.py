"""Instructions per request of a view that writes the session, counted by callgrind.

No scenario of ``bench/run.py`` writes the session, so this script drives one in
process, as ``bench/instructions.py --in-process`` drives a scenario::

    python bench/session_write.py [erlen|starlette]   # instructions per request
    python bench/session_write.py --drive N [erlen|starlette]   # what valgrind runs

Each request sends the cookie the previous response set (a browser's round trip), and
the view changes a counter: the session is opened, verified, modified, signed and
written on every request. The count is the difference of two runs (1,000 and 6,000
requests) divided by 5,000, so start-up cancels out.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SMALL, LARGE = 1000, 6000


def make_app(framework: str = "erlen") -> object:
    if framework == "starlette":
        return make_starlette_app()
    from erlen import Erlen, session

    app = Erlen(__name__)
    app.config["SECRET_KEY"] = "bench-secret"

    @app.route("/write")
    async def write() -> str:
        session["n"] = session.get("n", 0) + 1
        return "ok"

    return app


def make_starlette_app() -> object:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def write(request: Request) -> PlainTextResponse:
        request.session["n"] = request.session.get("n", 0) + 1
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/write", write)],
        middleware=[Middleware(SessionMiddleware, secret_key="bench-secret")],
    )


async def serve(app: object, requests: int) -> None:
    cookie = b""
    for _ in range(requests):
        headers = [(b"host", b"localhost")]
        if cookie:
            headers.append((b"cookie", cookie))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/write",
            "raw_path": b"/write",
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 1234),
            "server": ("127.0.0.1", 80),
        }
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict, sent: list[dict] = sent) -> None:
            sent.append(message)

        await app(scope, receive, send)  # type: ignore[operator]
        start = sent[0]
        assert start["status"] == 200, start
        for name, value in start["headers"]:
            if name.lower() == b"set-cookie":
                cookie = value.split(b";", 1)[0]
                break
        else:
            raise AssertionError("no Set-Cookie")


def drive(requests: int, framework: str) -> None:
    app = make_app(framework)
    asyncio.run(serve(app, 200 + requests))


def count(requests: int, framework: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--drive",
                str(requests),
                framework,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=True,
            timeout=600,
        )
        report = subprocess.run(
            ["callgrind_annotate", str(out)], capture_output=True, text=True, check=True
        ).stdout
    match = re.search(r"([\d,]+)\s+\(100.0%\)\s+PROGRAM TOTALS", report) or re.search(
        r"([\d,]+)\s+PROGRAM TOTALS", report
    )
    assert match is not None
    return int(match.group(1).replace(",", ""))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--drive"]:
        drive(int(sys.argv[2]), sys.argv[3])
    else:
        framework = sys.argv[1] if len(sys.argv) > 1 else "erlen"
        small, large = count(SMALL, framework), count(LARGE, framework)
        per_request = (large - small) / (LARGE - SMALL)
        print(f"{framework} session write: {per_request:,.0f} instructions per request")
