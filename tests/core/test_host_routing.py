"""Hosts and subdomains as Quart routes them: with SERVER_NAME, the subdomain is what the
Host has before it (subdomain routes and blueprints match without ``subdomain_matching``),
and a Host outside SERVER_NAME is a 404 with a UserWarning. Also the rule and map classes
(``erlen.routing``) an app uses."""

from __future__ import annotations

import pytest
from erlen import Blueprint, Erlen, request, url_for
from erlen.routing import ErlenMap, ErlenRule
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule


def foreign() -> pytest.WarningsRecorder:
    """Expect the warning of a request for a host outside SERVER_NAME."""
    return pytest.warns(UserWarning, match="doesn't match configured server name")


def make_app(**kwargs: bool) -> Erlen:
    """An app served as ``example.test`` with a root, an ``api`` blueprint and a route
    for every ``<user>`` subdomain."""
    app = Erlen(__name__, **kwargs)
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/p/<int:n>")
    async def page(n: int) -> str:
        return f"page {n}"

    @app.route("/links")
    async def links() -> str:
        return " ".join((url_for("index"), url_for("api.home"), url_for("user", user="bob")))

    @app.route("/", subdomain="<user>", endpoint="user")
    async def user(user: str) -> str:
        return f"user {user}"

    api = Blueprint("api", __name__, subdomain="api")

    @api.route("/home")
    async def home() -> str:
        return f"api on {request.host}"

    app.register_blueprint(api)
    return app


async def body(response: object) -> str:
    return await response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("subdomain_matching", [False, True])
async def test_subdomain_routes_match_under_server_name(subdomain_matching: bool) -> None:
    client = make_app(subdomain_matching=subdomain_matching).test_client()
    assert await body(await client.get("/")) == "index"
    assert await body(await client.get("/p/3")) == "page 3"
    assert await body(await client.get("/home", subdomain="api")) == "api on api.example.test"
    assert await body(await client.get("/", subdomain="ada")) == "user ada"
    assert await body(await client.get("/", subdomain="a.b")) == "user a.b"
    # A route without a subdomain is on SERVER_NAME alone, a blueprint's on its subdomain.
    assert (await client.get("/p/3", subdomain="api")).status_code == 404
    assert (await client.get("/home")).status_code == 404


@pytest.mark.parametrize(
    "host", ["EXAMPLE.test", "example.test:80", "api.example.test:80", "Api.Example.Test"]
)
async def test_host_case_and_default_port_do_not_count(host: str) -> None:
    client = make_app().test_client()
    path = "/home" if host.lower().startswith("api.") else "/"
    assert (await client.get(path, headers={"Host": host})).status_code == 200


async def test_default_port_of_https() -> None:
    client = make_app().test_client()
    response = await client.get("/", headers={"Host": "example.test:443"}, scheme="https")
    assert await body(response) == "index"
    with foreign():
        response = await client.get("/", headers={"Host": "example.test:443"})
    assert response.status_code == 404  # 443 is not http's default port


@pytest.mark.parametrize(
    "host", ["other.test", "example.test:8000", "notexample.test", "127.0.0.1:5000", "[::1]", ""]
)
async def test_host_outside_server_name_is_404_with_a_warning(host: str) -> None:
    client = make_app().test_client()
    with foreign() as record:
        response = await client.get("/", headers={"Host": host})
    assert response.status_code == 404
    assert f"{host!r}" in str(record[0].message)
    assert "'example.test'" in str(record[0].message)


async def test_wildcard_subdomain_does_not_match_a_foreign_host() -> None:
    # Quart serves the "<user>" rule with user="<invalid>"; Erlen answers 404.
    client = make_app().test_client()
    with foreign():
        assert (await client.get("/", headers={"Host": "other.test"})).status_code == 404


async def test_server_name_with_a_port() -> None:
    app = make_app()
    app.config["SERVER_NAME"] = "example.test:8000"
    client = app.test_client()
    assert await body(await client.get("/", headers={"Host": "example.test:8000"})) == "index"
    response = await client.get("/home", headers={"Host": "api.example.test:8000"})
    assert await body(response) == "api on api.example.test:8000"
    with foreign():
        assert (await client.get("/", headers={"Host": "example.test"})).status_code == 404


async def test_server_name_set_after_the_first_request_applies() -> None:
    app = make_app()
    app.config["SERVER_NAME"] = None
    client = app.test_client()
    assert await body(await client.get("/", headers={"Host": "other.test"})) == "index"
    app.config["SERVER_NAME"] = "example.test"
    with foreign():
        assert (await client.get("/", headers={"Host": "other.test"})).status_code == 404
    assert await body(await client.get("/")) == "index"
    app.config["TRUSTED_HOSTS"] = ["example.test"]
    assert await body(await client.get("/")) == "index"
    assert (await client.get("/", headers={"Host": "api.example.test"})).status_code == 400
    app.config.update(SERVER_NAME=None, TRUSTED_HOSTS=None)
    assert await body(await client.get("/", headers={"Host": "other.test"})) == "index"


async def test_host_verdicts_follow_each_host() -> None:
    # The matcher remembers per (scheme, Host, SERVER_NAME) whether a host is served:
    # each host keeps its own answer, asked again in any order, past the memo's bound,
    # with another SERVER_NAME, and under a request class with a trusted-host list.
    app = make_app()
    client = app.test_client()
    for _ in range(2):
        assert await body(await client.get("/", headers={"Host": "example.test"})) == "index"
        with foreign():
            assert (await client.get("/", headers={"Host": "other.test"})).status_code == 404
        response = await client.get("/home", headers={"Host": "API.example.test"})
        assert await body(response) == "api on API.example.test"
        response = await client.get("/", headers={"Host": "example.test"}, scheme="https")
        assert await body(response) == "index"
    for n in range(300):  # more hosts than the memo keeps
        response = await client.get("/", headers={"Host": f"u{n}.example.test"})
        assert await body(response) == f"user u{n}"
    assert await body(await client.get("/", headers={"Host": "example.test"})) == "index"
    app.config["SERVER_NAME"] = "other.test"
    assert await body(await client.get("/", headers={"Host": "other.test"})) == "index"
    with foreign():
        assert (await client.get("/", headers={"Host": "example.test"})).status_code == 404


@pytest.mark.parametrize("server_name", [None, "example.test"])
async def test_request_class_trusted_hosts_are_checked(server_name: str | None) -> None:
    # werkzeug's Request.trusted_hosts, set on the app's request class: an untrusted Host
    # is a 400, as in Quart and Flask (binding the URL adapter reads request.host).
    app = make_app()
    app.config["SERVER_NAME"] = server_name

    class TrustingRequest(app.request_class):  # type: ignore[name-defined,misc]
        trusted_hosts = ["example.test", ".example.test"]

    app.request_class = TrustingRequest
    client = app.test_client()
    for _ in range(2):
        assert await body(await client.get("/", headers={"Host": "example.test"})) == "index"
        response = await client.get("/", headers={"Host": "evil.test"})
        assert response.status_code == 400


async def test_without_server_name_any_host_is_served_and_has_no_subdomain() -> None:
    app = make_app()
    app.config["SERVER_NAME"] = None
    client = app.test_client()
    for host in ("other.test", "api.example.test", "127.0.0.1:8000"):
        assert await body(await client.get("/", headers={"Host": host})) == "index"
        assert (await client.get("/home", headers={"Host": host})).status_code == 404


async def test_url_for_across_subdomains() -> None:
    client = make_app().test_client()
    assert await body(await client.get("/links")) == (
        "/ http://api.example.test/home http://bob.example.test/"
    )
    app = make_app()

    @app.route("/links", subdomain="api", endpoint="api_links")
    async def api_links() -> str:
        return " ".join((url_for("index"), url_for("api.home")))

    response = await app.test_client().get("/links", subdomain="api")
    assert await body(response) == "http://example.test/ /home"


async def test_nested_blueprint_subdomains_join() -> None:
    app = Erlen(__name__)
    app.config["SERVER_NAME"] = "example.test"
    outer = Blueprint("outer", __name__, subdomain="eu")
    inner = Blueprint("inner", __name__, subdomain="shop")

    @inner.route("/")
    async def shop() -> str:
        return "eu shop"

    outer.register_blueprint(inner)
    app.register_blueprint(outer)
    client = app.test_client()
    assert await body(await client.get("/", subdomain="shop.eu")) == "eu shop"
    assert (await client.get("/", subdomain="shop")).status_code == 404


@pytest.mark.parametrize("subdomain_matching", [False, True])
async def test_default_subdomain(subdomain_matching: bool) -> None:
    app = Erlen(__name__, subdomain_matching=subdomain_matching)
    app.url_map.default_subdomain = "www"
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/")
    async def index() -> str:
        return "www"

    client = app.test_client()
    assert await body(await client.get("/", subdomain="www")) == "www"
    if subdomain_matching:  # the Host decides: only www.example.test has the rules
        assert (await client.get("/")).status_code == 404
        assert (await client.get("/", subdomain="shop")).status_code == 404
    else:  # every request is bound to the default subdomain, whatever its Host
        assert await body(await client.get("/")) == "www"
        assert await body(await client.get("/", headers={"Host": "other.test"})) == "www"


async def test_host_matching_matches_the_request_host_even_with_server_name() -> None:
    # Quart binds to SERVER_NAME under host_matching, so no host rule but SERVER_NAME's
    # could match; Erlen matches the request's Host (as Flask 3.1 does).
    app = Erlen(__name__, host_matching=True, static_host="static.test")
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/", host="example.test")
    async def main() -> str:
        return "main"

    @app.route("/", host="<tenant>.tenants.test", endpoint="tenant")
    async def tenant(tenant: str) -> str:
        return f"tenant {tenant}"

    client = app.test_client()
    assert await body(await client.get("/")) == "main"
    assert await body(await client.get("/", headers={"Host": "acme.tenants.test"})) == (
        "tenant acme"
    )
    assert (await client.get("/", headers={"Host": "other.test"})).status_code == 404
    async with app.app_context():
        assert url_for("tenant", tenant="x") == "http://x.tenants.test/"


async def test_test_request_context_for_a_foreign_host() -> None:
    app = make_app()
    with foreign():
        async with app.test_request_context("/", headers={"Host": "other.test"}):
            assert isinstance(request.routing_exception, NotFound)
            # URLs are built for SERVER_NAME, so they are external.
            assert url_for("index") == "http://example.test/"


# The rule and map classes.


def test_app_uses_erlen_rule_and_map() -> None:
    app = make_app()

    @app.route("/opts", methods=["GET", "OPTIONS"])
    async def opts() -> str:
        return ""

    assert isinstance(app.url_map, ErlenMap)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert isinstance(rules["index"], ErlenRule)
    assert rules["index"].provide_automatic_options is True
    assert rules["opts"].provide_automatic_options is False
    assert rules["index"].websocket is False
    assert rules["user"].subdomain == "<user>"


def test_rule_takes_quart_arguments_and_copies_them() -> None:
    rule = ErlenRule(
        "/ws", websocket=True, provide_automatic_options=True, merge_slashes=False, endpoint="ws"
    )
    assert rule.websocket is True
    assert rule.provide_automatic_options is True
    copy = rule.empty()
    assert isinstance(copy, ErlenRule)
    assert (copy.websocket, copy.provide_automatic_options, copy.merge_slashes) == (
        True,
        True,
        False,
    )
    # werkzeug's keyword arguments are kept.
    assert ErlenRule("/old", redirect_to="/new", build_only=True).redirect_to == "/new"


async def test_app_subclass_rule_and_map_classes_are_used() -> None:
    class TaggedRule(ErlenRule):
        tag = "tagged"

    class PlainMap(Map):
        pass

    class App(Erlen):
        url_rule_class = TaggedRule
        url_map_class = PlainMap

    app = App(__name__)

    @app.route("/")
    async def index() -> str:
        return getattr(request.url_rule, "tag", "")

    assert type(app.url_map) is PlainMap
    assert await body(await app.test_client().get("/")) == "tagged"


async def test_a_werkzeug_rule_class_gets_provide_automatic_options() -> None:
    class App(Erlen):
        url_rule_class = Rule

    app = App(__name__)

    @app.route("/")
    async def index() -> str:
        return "plain"

    response = await app.test_client().options("/")
    assert response.status_code == 200
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    "server_name, host, warns, subdomain",
    [
        ("localhost", "Localhost", False, ""),
        ("quart.test", "Localhost", True, "<invalid>"),
        ("example.test", "api.example.test", False, "api"),
        (None, "anything.test", False, ""),
    ],
)
async def test_map_binds_to_request(
    server_name: str | None, host: str, warns: bool, subdomain: str
) -> None:
    app = Erlen(__name__)
    async with app.test_request_context("/", headers={"Host": host}):
        if warns:
            with foreign():
                adapter = app.url_map.bind_to_request(request, None, server_name)  # type: ignore[attr-defined]
        else:
            adapter = app.url_map.bind_to_request(request, None, server_name)  # type: ignore[attr-defined]
    assert adapter.subdomain == subdomain
    assert adapter.server_name == (server_name or host).lower()
    assert adapter.path_info == "/"


async def test_map_binds_to_request_with_a_given_subdomain() -> None:
    app = Erlen(__name__)
    async with app.test_request_context("/x", headers={"Host": "other.test"}):
        adapter = app.url_map.bind_to_request(request, "www", "example.test")  # type: ignore[attr-defined]
    assert (adapter.subdomain, adapter.server_name, adapter.path_info) == (
        "www",
        "example.test",
        "/x",
    )
