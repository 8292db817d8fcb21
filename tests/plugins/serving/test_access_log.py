"""The access log against hostile request lines, over real sockets: what a client puts in
its request line cannot write lines of its own (log forging, CWE-117) or terminal escapes
into the log, and a query string that is not UTF-8 still gets its access line instead of
a traceback. The server logs to a logger of the test's, in ``kernel run``'s format."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from erlen import Erlen
from erlen.plugins.serving.config import ACCESS_LOG_FORMAT
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import _port, _raw_exchange
from tests.plugins.serving.test_hostile_streams import H2Client, _ended, _outcome

ACCESS = "tests.access"


def _app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "hi"

    return app


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == ACCESS]


async def test_a_request_line_cannot_write_lines_of_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A path with a percent-encoded newline and escape: one access line, with them
    escaped. Before, ``GET /x%0A[...] ERROR in erlen: forged`` wrote a second line that
    reads as the app's own error, and ``%1B[31m`` reached the terminal."""
    caplog.set_level(logging.INFO, logger=ACCESS)
    forged = b"/x%0A[2026-12-07%2007:00:00,000]%20ERROR%20in%20erlen:%20forged%1B[31m"
    async with serve_app(
        _app(), accesslog=logging.getLogger(ACCESS), access_log_format=ACCESS_LOG_FORMAT
    ) as base_url:
        received = await _raw_exchange(
            _port(base_url), b"GET " + forged + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    assert received.startswith(b"HTTP/1.1 404 ")
    (line,) = _access_lines(caplog)
    assert "\n" not in line and "\x1b" not in line
    assert '"GET /x\\n[2026-12-07 07:00:00,000] ERROR in erlen: forged\\x1b[31m 1.1" 404' in line


async def test_a_query_string_that_is_not_utf8_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """An HTTP/2 request whose query string is not UTF-8 (HPACK carries any bytes): its
    access line is written and nothing else. Before, hypercorn's ``decode()`` raised in
    the access log and each such request logged "Error in ASGI Framework" with a
    traceback instead of its line."""
    caplog.set_level(logging.INFO, logger=ACCESS)

    def attack(port: int) -> list[Any]:
        client = H2Client(port)
        try:
            client.request(1, b"/?q=\xff")
            return client.read_until(_ended(1))
        finally:
            client.close()

    async with serve_app(
        _app(), accesslog=logging.getLogger(ACCESS), access_log_format=ACCESS_LOG_FORMAT
    ) as base_url:
        events = await asyncio.to_thread(attack, _port(base_url))
    assert _outcome(events, 1) == 200
    (line,) = _access_lines(caplog)
    assert '"GET /?q=\\xff 2" 200 2 ' in line
    assert [r.getMessage() for r in caplog.records if r.exc_info is not None] == []
