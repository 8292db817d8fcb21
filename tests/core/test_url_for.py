"""``url_for`` in requests: the URL a werkzeug adapter bound to that very request builds,
whatever the requests before it were (hosts, schemes, root paths, methods), and an app's
own ``create_url_adapter`` when it has one."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from erlen import Erlen, request, url_for
from erlen.globals import request_ctx
from werkzeug.routing import MapAdapter

OPTIONS: list[dict[str, Any]] = [
    {},
    {"_external": True},
    {"_external": True, "_scheme": "https"},
    {"_method": "POST"},
    {"_anchor": "a b"},
    {"q": "x y", "page": 2},
]


def expected(app: Erlen, endpoint: str, values: dict[str, Any]) -> str:
    """What an adapter bound to the current request alone builds (Flask's way)."""
    values = dict(values)
    anchor = values.pop("_anchor", None)
    external = values.pop("_external", None)
    scheme = values.pop("_scheme", None)
    method = values.pop("_method", None)
    req: Any = request._get_current_object()
    adapter = MapAdapter(
        app.url_map,
        req.host.lower(),
        req.root_path or "/",
        app.url_map.default_subdomain or "",
        req.scheme,
        req.path,
        req.method,
    )
    url = adapter.build(
        endpoint, values, method=method, url_scheme=scheme, force_external=bool(external)
    )
    return url + ("#a%20b" if anchor else "")


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/item/<int:n>", methods=["GET", "POST"])
    async def item(n: int) -> str:
        return str(n)

    async def multi() -> str:
        return "multi"

    app.add_url_rule("/m-get", "multi", multi, methods=["GET"])
    app.add_url_rule("/m-post", "multi", multi, methods=["POST"])

    @app.route("/build", methods=["GET", "POST", "PUT"])
    async def build() -> Any:
        results = []
        for options in OPTIONS:
            values = {"n": 7, **options}
            got = url_for("item", **values)
            results.append([got, expected(app, "item", values)])
        results.append([url_for("multi"), request.method])
        return results

    return app


HOSTS = ["localhost", "example.test:8080", "Example.Test", "other.test:443"]
SCHEMES = ["http", "https"]
ROOTS = ["", "/app"]
METHODS = ["GET", "POST"]


async def test_url_for_matches_a_freshly_bound_adapter_on_every_request() -> None:
    app = make_app()
    client = app.test_client()
    # Every combination, twice, in an order where each request follows different ones:
    # nothing one request's binding left behind may show in another's URLs.
    combos = list(itertools.product(HOSTS, SCHEMES, ROOTS, METHODS)) * 2
    for host, scheme, root, method in combos:
        response = await client.open(
            f"{root}/build", method=method, headers={"Host": host}, scheme=scheme, root_path=root
        )
        assert response.status_code == 200, (host, scheme, root, method)
        results = await response.get_json()
        for got, want in results[:-1]:
            assert got == want, (host, scheme, root, method)
        got_multi, seen_method = results[-1]
        assert seen_method == method
        # The request's method picks among an endpoint's rules.
        assert got_multi == (f"{root}/m-post" if method == "POST" else f"{root}/m-get")


async def test_url_for_external_follows_each_request_host() -> None:
    app = Erlen(__name__)

    @app.route("/here")
    async def here() -> str:
        return url_for("here", _external=True)

    client = app.test_client()
    for host in ["a.test", "b.test:8000", "a.test"]:
        response = await client.get("/here", headers={"Host": host})
        assert await response.get_data(as_text=True) == f"http://{host}/here"
    response = await client.get("/here", headers={"Host": "b.test"}, scheme="https")
    assert await response.get_data(as_text=True) == "https://b.test/here"


async def test_url_for_uses_an_overridden_create_url_adapter() -> None:
    class App(Erlen):
        def create_url_adapter(self, request: Any) -> MapAdapter | None:
            if request is None:
                return super().create_url_adapter(request)
            # Used to match the request too (as in Quart): bound to the request's path.
            return self.url_map.bind("fixed.test", script_name="/mounted", path_info=request.path)

    app = App(__name__)

    @app.route("/x")
    async def x() -> str:
        return f"{url_for('x')} {url_for('x', _external=True)}"

    response = await app.test_client().get("/x", headers={"Host": "client.test"})
    assert await response.get_data(as_text=True) == "/mounted/x http://fixed.test/mounted/x"


async def test_url_for_with_an_invalid_host_builds_relative_urls() -> None:
    app = Erlen(__name__)

    @app.route("/x")
    async def x() -> str:
        return f"{request.host!r} {url_for('x')} {url_for('x', _external=True)}"

    response = await app.test_client().get("/x", headers={"Host": "bad host!"})
    assert await response.get_data(as_text=True) == "'' /x http:///x"


@pytest.mark.parametrize("trusted", [["good.test"], [".good.test"]])
async def test_url_for_and_host_with_trusted_hosts(trusted: list[str]) -> None:
    app = Erlen(__name__)
    app.config["TRUSTED_HOSTS"] = trusted

    @app.route("/x")
    async def x() -> str:
        return url_for("x", _external=True)

    client = app.test_client()
    response = await client.get("/x", headers={"Host": "api.good.test"})
    if trusted[0].startswith("."):
        assert await response.get_data(as_text=True) == "http://api.good.test/x"
    else:
        assert response.status_code == 400
    response = await client.get("/x", headers={"Host": "good.test"})
    assert (response.status_code, await response.get_data(as_text=True)) == (
        200,
        "http://good.test/x",
    )
    response = await client.get("/x", headers={"Host": "evil.test"})
    assert response.status_code == 400


async def test_the_request_context_has_a_bound_url_adapter() -> None:
    # Quart's and Flask's request_ctx.url_adapter: the adapter bound to this request,
    # which extensions match and build with; assigning one changes what url_for builds.
    # (websocket_ctx.url_adapter: tests/plugins/websocket/test_websocket_url_adapter.py)
    app = Erlen(__name__)

    @app.route("/items/<int:n>")
    async def item(n: int) -> Any:
        adapter = request_ctx.url_adapter
        matched = adapter.match()
        request_ctx.url_adapter = app.url_map.bind("other.example", url_scheme="https")
        return {
            "matched": [matched[0], matched[1]["n"]],
            "server": adapter.server_name,
            "external": url_for("item", n=n + 1, _external=True),
        }

    client = app.test_client()
    response = await client.get("/items/7", headers={"Host": "shop.example"})
    assert response.status_code == 200
    assert await response.get_json() == {
        "matched": ["item", 7],
        "server": "shop.example",
        "external": "https://other.example/items/8",
    }
