"""request.url, base_url, root_url and host_url: werkzeug's get_current_url, joined
directly for ordinary URLs (erlen.wrappers.base.current_url)."""

from __future__ import annotations

import itertools

import pytest
from erlen import Erlen, request
from erlen.wrappers.base import current_url
from werkzeug.sansio.utils import get_current_url

SCHEMES = ["http", "https", "ws"]
HOSTS = [
    "localhost",
    "127.0.0.1:8000",
    "example.com",
    "Example.COM",
    "example.com:59999",
    "example.com:65535",
    "example.com:080",
    "xn--n3h.net",
    "[::1]:8000",
    "a-b.c.",
    "",
]
ROOTS = [None, "", "/", "/app", "/app/", "/ä", "/a b", "//x"]
PATHS = [None, "", "/", "/users/42", "//double", "/p%C3%A5th", "/é", "/a b", "/q?x", "/#f"]
PATHS += ["/!$&'()*+,;=:@", "/~user/x-y_z.txt", "/xn--n3h/p"]
QUERIES = [None, b"", b"x=1", b"a=1&b=%20c", b"q=\xc3\xa9", b"?", b"a=b#c", b"t=a+b&u=/x:y@z"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_current_url_is_werkzeugs_get_current_url(scheme: str) -> None:
    """Every combination, ordinary or not, gives werkzeug's string."""
    for host, root, path, query in itertools.product(HOSTS, ROOTS, PATHS, QUERIES):
        expected = get_current_url(scheme, host, root, path, query)
        assert current_url(scheme, host, root, path, query) == expected, (host, root, path)


async def test_request_urls_in_a_view() -> None:
    app = Erlen(__name__)

    @app.route("/users/<path:rest>")
    async def view(rest: str) -> dict[str, str]:
        return {
            "url": request.url,
            "base_url": request.base_url,
            "root_url": request.root_url,
            "host_url": request.host_url,
        }

    client = app.test_client()
    response = await client.get("/users/42/%C3%A9?q=1&r=%20", headers={"Host": "Example.com"})
    assert await response.get_json() == {
        "url": "http://example.com/users/42/é?q=1&r=%20",
        "base_url": "http://example.com/users/42/é",
        "root_url": "http://example.com/",
        "host_url": "http://example.com/",
    }
    response = await client.get("/api/users/7", query_string={"a": "b"}, root_path="/api")
    assert await response.get_json() == {
        "url": "http://localhost/api/users/7?a=b",
        "base_url": "http://localhost/api/users/7",
        "root_url": "http://localhost/api/",
        "host_url": "http://localhost/",
    }
