"""Chunked request bodies whose chunk-size lines end in a bare LF, over real sockets.

h11 looks for CRLF at the end of a chunk-size line; a line ended by LF alone left it
waiting for one, so the request waited ``BODY_TIMEOUT`` (a minute) for its 408. RFC 9112
section 7.1 ends the line with CRLF and no valid chunk line holds an LF: such a body
gets 400 at once and the connection is closed, as from Go's server and Node's (a bare LF
read two ways by a proxy and a server is a request smuggling vector).
"""

from __future__ import annotations

import logging

import pytest
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import _port, _raw_exchange, http_app

HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    "body",
    [
        b"5\nhello\n0\n\n",  # every line ends in LF
        b"5\r\nhello\r\n0\n\n",  # only the last chunk's line
        b"5;ext=1\nhello\r\n",  # a chunk extension, then LF
        b"5\n",  # the line alone, nothing after it yet
    ],
)
async def test_a_bare_lf_after_a_chunk_size_gets_400_at_once(
    body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serve_app(http_app()) as base_url:
        # Read until the server closes (bounded by the test's timeout, well under the
        # BODY_TIMEOUT the request waited before).
        received = await _raw_exchange(_port(base_url), HEAD + body)
    assert received.startswith(b"HTTP/1.1 400 ")
    assert b"\r\nconnection: close\r\n" in received.lower()
    assert [r.getMessage() for r in caplog.records if r.exc_info is not None] == []


async def test_crlf_chunk_lines_and_a_bare_lf_after_the_trailers_are_served() -> None:
    """The strictness is the chunk-size line's: a body of CRLF lines is read as before,
    and an LF ending the (empty) trailer section is a field line's end, which RFC 9112
    section 2.2 lets a server accept (h11 does)."""
    async with serve_app(http_app()) as base_url:
        for ending in (b"\r\n", b"\n"):
            request = HEAD.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
            received = await _raw_exchange(
                _port(base_url), request + b"5\r\nhello\r\n3\r\nabc\r\n0\r\n" + ending
            )
            assert received.startswith(b"HTTP/1.1 200 ")
            assert received.endswith(b"body 8")
