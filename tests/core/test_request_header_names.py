"""``request.headers`` is built as Quart builds it: names title-cased (``X-Api-Key``), as
werkzeug's WSGI headers are too, although servers send them lowercased, after a first
``Remote-Addr`` with the client's host. Code that copies the headers into a dict or
iterates them sees what it saw on Quart. Lookups ignore case as before, and the order and
repeats of the client's headers are kept."""

from __future__ import annotations

import json

from erlen import Erlen, request

from tests.asgi_helpers import call_asgi


def headers_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/headers")
    async def headers() -> dict[str, object]:
        return {
            "items": [list(item) for item in request.headers.items()],
            "as_dict": dict(request.headers),
            "any_case": [request.headers.get("x-api-key"), request.headers["X-API-KEY"]],
            "repeated": request.headers.getlist("accept"),
        }

    return app


async def test_names_are_title_cased_in_the_servers_order() -> None:
    status, body = await call_asgi(
        headers_app(),
        path="/headers",
        client=("203.0.113.9", 50123),
        headers=[
            (b"host", b"example.test"),
            (b"x-api-key", b"k1"),
            (b"accept", b"text/html"),
            (b"content-md5", b"abc"),
            (b"accept", b"application/json"),
        ],
    )
    assert status == 200
    answer = json.loads(body)
    assert answer["items"] == [
        ["Remote-Addr", "203.0.113.9"],
        ["Host", "example.test"],
        ["X-Api-Key", "k1"],
        ["Accept", "text/html"],
        ["Content-Md5", "abc"],
        ["Accept", "application/json"],
    ]
    assert answer["as_dict"] == {
        "Remote-Addr": "203.0.113.9",
        "Host": "example.test",
        "X-Api-Key": "k1",
        "Accept": "text/html",
        "Content-Md5": "abc",
    }
    assert answer["any_case"] == ["k1", "k1"]
    assert answer["repeated"] == ["text/html", "application/json"]


async def test_the_test_clients_headers_read_back_as_quart_spells_them() -> None:
    app = headers_app()
    response = await app.test_client().get("/headers", headers={"x-API-key": "k2"})
    assert response.status_code == 200
    answer = await response.get_json()
    assert answer["as_dict"]["X-Api-Key"] == "k2"
    assert "x-API-key" not in answer["as_dict"]


async def test_many_distinct_names_are_all_spelled_right() -> None:
    # More distinct names than the spelling cache keeps: each still comes back title-cased.
    names = [f"x-custom-{n}".encode() for n in range(1200)]
    app = Erlen(__name__)

    @app.route("/names")
    async def listed() -> list[str]:
        return list(request.headers.keys())

    status, body = await call_asgi(
        app, path="/names", headers=[(name, b"v") for name in names] + [(b"host", b"h")]
    )
    assert status == 200
    assert json.loads(body) == ["Remote-Addr"] + [f"X-Custom-{n}" for n in range(1200)] + ["Host"]


async def test_remote_addr_is_the_clients_and_wins_over_one_it_sent() -> None:
    app = Erlen(__name__)

    @app.route("/addr")
    async def addr() -> list[str | None]:
        return [request.headers.get("Remote-Addr"), *request.headers.getlist("remote-addr")]

    @app.route("/remote")
    async def remote() -> list[str | None]:
        return [request.remote_addr, *request.access_route]

    sent = [(b"host", b"h"), (b"remote-addr", b"10.9.9.9")]
    status, body = await call_asgi(app, path="/addr", client=("198.51.100.4", 1), headers=sent)
    assert status == 200
    assert json.loads(body) == ["198.51.100.4", "198.51.100.4", "10.9.9.9"]
    status, body = await call_asgi(app, path="/remote", client=("198.51.100.4", 1), headers=sent)
    assert json.loads(body) == ["198.51.100.4", "198.51.100.4"]
    # a server that does not know the client (a unix socket): Quart's placeholder, in the
    # header and in `remote_addr` (it was None there, and `access_route` empty)
    status, body = await call_asgi(app, path="/addr", headers=[(b"host", b"h")])
    assert json.loads(body) == ["<local>", "<local>"]
    status, body = await call_asgi(app, path="/remote", headers=[(b"host", b"h")])
    assert json.loads(body) == ["<local>", "<local>"]
