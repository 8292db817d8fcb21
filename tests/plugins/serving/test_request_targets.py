"""Absolute-form request targets (``GET http://host/path HTTP/1.1``) over a real socket.

RFC 9112 section 3.2.2: a client sends a ``Host`` identical to the target's authority,
and a server uses the authority. hypercorn passed the path on and the app read
``Host``: a front end keying a cache or a route on one name and the app building its
URLs (and checking ``TRUSTED_HOSTS``) from the other disagreed. The two disagreeing is
refused with 400 and a close; agreeing, the request is served.
"""

from __future__ import annotations

import pytest
from erlen import Erlen, request
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import _port, _raw_exchange


def host_app() -> Erlen:
    app = Erlen(__name__)
    app.config["TRUSTED_HOSTS"] = ["good", "good:443"]

    @app.route("/where")
    async def where() -> str:
        return f"{request.host} {request.path}"

    return app


@pytest.mark.parametrize(
    "target, host",
    [
        (b"http://evil/where", b"good"),
        (b"http://good.evil/where", b"good"),
        (b"HTTP://EVIL/where", b"good"),
        (b"http://good:8080/where", b"good"),
        (b"http://good@evil/where", b"good"),
    ],
    ids=["other-host", "longer-host", "capitals", "other-port", "userinfo"],
)
async def test_a_target_naming_another_host_than_host_is_400(target: bytes, host: bytes) -> None:
    async with serve_app(host_app()) as base_url:
        received = await _raw_exchange(
            _port(base_url), b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, host)
        )
    # _raw_exchange reads until the server closes: the connection is closed after the 400.
    assert received.startswith(b"HTTP/1.1 400 ")


@pytest.mark.parametrize(
    "target, host, answer",
    [
        (b"http://good/where", b"good", b"good /where"),
        (b"http://GOOD/where?x=http://evil/", b"good", b"good /where"),
        (b"http://good:80/where", b"good", b"good /where"),
        (b"https://good/where", b"good:443", b"good:443 /where"),
        (b"http://user:pw@good/where", b"good", b"good /where"),
        (b"/where?next=http://evil/", b"good", b"good /where"),
    ],
    ids=["same", "case-and-query", "default-port", "https-port", "userinfo", "origin-form"],
)
async def test_a_target_agreeing_with_host_is_served(
    target: bytes, host: bytes, answer: bytes
) -> None:
    async with serve_app(host_app()) as base_url:
        received = await _raw_exchange(
            _port(base_url),
            b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (target, host),
        )
    assert received.startswith(b"HTTP/1.1 200 ")
    assert received.endswith(answer)
