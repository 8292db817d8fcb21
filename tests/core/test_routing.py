"""Routing on werkzeug: converters, methods, HEAD/OPTIONS, 404/405, slashes, hosts, url_for."""

from __future__ import annotations

import uuid

import pytest
from erlen import Erlen, hookimpl, redirect, request, url_for
from werkzeug.routing import BaseConverter, BuildError

from tests.asgi_helpers import serve_once


class ListConverter(BaseConverter):
    """``/a,b,c`` <-> ``["a", "b", "c"]``."""

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: list[str]) -> str:
        return ",".join(value)


@pytest.fixture
def app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/user/<name>")
    async def user(name: str) -> str:
        return f"user {name}"

    @app.route("/int/<int:n>")
    async def integer(n: int) -> str:
        return f"int {n * 2}"

    @app.route("/float/<float:x>")
    async def floating(x: float) -> str:
        return f"float {x * 2}"

    @app.route("/path/<path:rest>")
    async def path(rest: str) -> str:
        return f"path {rest}"

    @app.route("/uuid/<uuid:u>")
    async def uid(u: uuid.UUID) -> str:
        return f"uuid {type(u).__name__} {u}"

    @app.route("/any/<any(red, blue):colour>")
    async def colour(colour: str) -> str:
        return f"colour {colour}"

    @app.route("/items", methods=["GET", "POST"])
    async def items() -> str:
        return f"items {request.method}"

    @app.route("/only-post", methods=["POST"])
    async def only_post() -> str:
        return "posted"

    @app.route("/slash/")
    async def slash() -> str:
        return "slash"

    @app.route("/noslash")
    async def noslash() -> str:
        return "noslash"

    return app


async def text(response: object) -> str:
    return await response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


async def test_default_converter(app: Erlen) -> None:
    response = await app.test_client().get("/user/ada")
    assert response.status_code == 200
    assert await text(response) == "user ada"
    assert (await app.test_client().get("/user/a/b")).status_code == 404


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/int/21", 200, "int 42"),
        ("/int/x", 404, None),
        ("/int/-1", 404, None),
        ("/float/1.5", 200, "float 3.0"),
        ("/float/1", 404, None),
        ("/path/a/b/c.txt", 200, "path a/b/c.txt"),
        (
            "/uuid/12345678-1234-5678-1234-567812345678",
            200,
            "uuid UUID 12345678-1234-5678-1234-567812345678",
        ),
        ("/uuid/not-a-uuid", 404, None),
        ("/any/red", 200, "colour red"),
        ("/any/green", 404, None),
    ],
)
async def test_builtin_converters(app: Erlen, path: str, status: int, body: str | None) -> None:
    response = await app.test_client().get(path)
    assert response.status_code == status
    if body is not None:
        assert await text(response) == body


async def test_custom_converter_via_url_map() -> None:
    app = Erlen(__name__)
    app.url_map.converters["list"] = ListConverter

    @app.route("/sum/<list:names>")
    async def names(names: list[str]) -> str:
        return "|".join(names)

    response = await app.test_client().get("/sum/a,b,c")
    assert await text(response) == "a|b|c"
    async with app.test_request_context("/"):
        assert url_for("names", names=["x", "y"]) == "/sum/x,y"


class ConverterPlugin:
    @hookimpl
    def erlen_url_converters(self, app: Erlen) -> dict[str, type]:
        return {"list": ListConverter}


async def test_custom_converter_via_hook() -> None:
    app = Erlen(__name__, plugins=["testing", ConverterPlugin()])
    assert app.url_map.converters["list"] is ListConverter

    @app.route("/l/<list:parts>")
    async def parts(parts: list[str]) -> str:
        return str(len(parts))

    assert await text(await app.test_client().get("/l/1,2,3,4")) == "4"


async def test_methods(app: Erlen) -> None:
    client = app.test_client()
    assert await text(await client.get("/items")) == "items GET"
    assert await text(await client.post("/items")) == "items POST"
    assert (await client.post("/only-post")).status_code == 200


async def test_405_with_allow(app: Erlen) -> None:
    client = app.test_client()
    response = await client.get("/only-post")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    response = await client.delete("/items")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


async def test_unknown_method_is_405(app: Erlen) -> None:
    response = await app.test_client().open("/items", method="BREW")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


async def test_404(app: Erlen) -> None:
    response = await app.test_client().get("/missing")
    assert response.status_code == 404
    assert "Not Found" in await text(response)


async def test_automatic_head(app: Erlen) -> None:
    status, headers, body = await serve_once(app, "HEAD", "/user/ada")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len("user ada"))
    response = await app.test_client().head("/user/ada")  # keeps the body, as Quart's
    assert (response.status_code, await response.get_data()) == (200, b"user ada")


async def test_automatic_options(app: Erlen) -> None:
    response = await app.test_client().options("/items")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert await response.get_data() == b""


async def test_automatic_options_can_be_disabled() -> None:
    app = Erlen(__name__)

    @app.route("/x", methods=["GET", "OPTIONS"], provide_automatic_options=False)
    async def x() -> str:
        return f"custom {request.method}"

    assert await text(await app.test_client().options("/x")) == "custom OPTIONS"


async def test_strict_slashes_redirect(app: Erlen) -> None:
    client = app.test_client()
    response = await client.get("/slash")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/slash/")
    followed = await client.get("/slash", follow_redirects=True)
    assert await text(followed) == "slash"
    assert (await client.get("/noslash/")).status_code == 404


async def test_strict_slashes_redirect_keeps_query(app: Erlen) -> None:
    response = await app.test_client().get("/slash?a=1")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/slash/?a=1")


async def test_host_matching() -> None:
    app = Erlen(__name__, host_matching=True, static_host="static.test")

    @app.route("/", host="a.test")
    async def a() -> str:
        return "host a"

    @app.route("/", host="<sub>.b.test", endpoint="b")
    async def b(sub: str) -> str:
        return f"host b {sub}"

    client = app.test_client()
    assert await text(await client.get("/", headers={"Host": "a.test"})) == "host a"
    assert await text(await client.get("/", headers={"Host": "x.b.test"})) == "host b x"
    assert (await client.get("/", headers={"Host": "c.test"})).status_code == 404
    async with app.test_request_context("/", headers={"Host": "a.test"}):
        assert url_for("b", sub="y") == "http://y.b.test/"


async def test_subdomain_matching() -> None:
    app = Erlen(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/")
    async def root() -> str:
        return "root"

    @app.route("/", subdomain="<user>", endpoint="user_home")
    async def user_home(user: str) -> str:
        return f"home of {user}"

    @app.route("/api", subdomain="api")
    async def api() -> str:
        return "api"

    client = app.test_client()
    assert await text(await client.get("/")) == "root"
    assert await text(await client.get("/", subdomain="ada")) == "home of ada"
    assert await text(await client.get("/api", subdomain="api")) == "api"
    assert (await client.get("/api")).status_code == 404
    async with app.app_context():
        assert url_for("user_home", user="bob") == "http://bob.example.test/"
    # A Host outside SERVER_NAME (another name, a bare IP) matches nothing, not even the
    # "<user>" wildcard, and warns.
    for host in ("other.test", "127.0.0.1:8000", "[::1]:80"):
        with pytest.warns(UserWarning, match="server name"):
            assert (await client.get("/", headers={"Host": host})).status_code == 404, host
    assert (await client.get("/", headers={"Host": "example.test:80"})).status_code == 200


async def test_without_subdomain_matching_subdomains_still_count() -> None:
    # Quart's rule (Flask 3.1 ignores the subdomain here): tests/core/test_host_routing.py.
    app = Erlen(__name__)
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/")
    async def root() -> str:
        return "root"

    client = app.test_client()
    assert await text(await client.get("/")) == "root"
    assert (await client.get("/", subdomain="other")).status_code == 404


async def test_url_for_in_request(app: Erlen) -> None:
    async with app.test_request_context("/"):
        assert url_for("user", name="ada") == "/user/ada"
        assert url_for("user", name="ada", page=2, q="x y") == "/user/ada?page=2&q=x+y"
        assert url_for("user", name="ada", _anchor="top section") == "/user/ada#top%20section"
        assert url_for("user", name="ada", _external=True) == "http://localhost/user/ada"
        assert url_for("user", name="ada", _scheme="https", _external=True) == (
            "https://localhost/user/ada"
        )
        assert url_for("items", _method="POST") == "/items"
        with pytest.raises(ValueError, match="_external"):
            url_for("user", name="ada", _scheme="https", _external=False)
        with pytest.raises(BuildError):
            url_for("only_post", _method="GET")
        with pytest.raises(BuildError):
            url_for("nope")


async def test_url_for_in_view_and_root_path(app: Erlen) -> None:
    @app.route("/link")
    async def link() -> str:
        return url_for("user", name="x", _external=True)

    response = await app.test_client().get("/prefix/link", root_path="/prefix")
    assert await text(response) == "http://localhost/prefix/user/x"


async def test_url_for_outside_request_needs_server_name(app: Erlen) -> None:
    async with app.app_context():
        with pytest.raises(RuntimeError, match="SERVER_NAME"):
            url_for("index")
    app.config["SERVER_NAME"] = "example.test"
    async with app.app_context():
        assert url_for("index") == "http://example.test/"
        assert url_for("index", _external=False) == "/"


async def test_url_defaults_and_build_with_method(app: Erlen) -> None:
    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, object]) -> None:
        if endpoint == "user":
            values.setdefault("name", "default")

    async with app.test_request_context("/"):
        assert url_for("user") == "/user/default"


async def test_redirect_helper(app: Erlen) -> None:
    @app.route("/go")
    async def go() -> object:
        return redirect(url_for("user", name="ada"))

    @app.route("/go301")
    async def go301() -> object:
        return redirect("/user/b", 301)

    client = app.test_client()
    response = await client.get("/go")
    assert response.status_code == 302
    assert response.headers["Location"] == "/user/ada"
    assert "/user/ada" in await text(response)
    assert (await client.get("/go301")).status_code == 301
    followed = await client.get("/go", follow_redirects=True)
    assert await text(followed) == "user ada"


async def test_redirect_escapes_location_in_body() -> None:
    response = redirect('/x?"><script>')
    body = await response.get_data(as_text=True)
    assert "<script>" not in body


async def test_options_and_head_on_unknown_paths_are_404(app: Erlen) -> None:
    client = app.test_client()
    assert (await client.options("/missing")).status_code == 404
    status, _headers, body = await serve_once(app, "HEAD", "/missing")
    assert (status, body) == (404, b"")
    assert (await client.head("/missing")).status_code == 404


async def test_head_on_a_post_only_route_is_405(app: Erlen) -> None:
    response = await app.test_client().head("/only-post")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


async def test_url_for_with_server_name_application_root_and_secure_urls() -> None:
    app = Erlen(__name__)
    app.config.update(
        SERVER_NAME="example.test:8080", APPLICATION_ROOT="/app", PREFER_SECURE_URLS=True
    )

    @app.route("/x/<int:n>")
    async def x(n: int) -> str:
        return f"{url_for('x', n=n + 1)} {url_for('x', n=1, _external=True)}"

    async with app.app_context():
        assert url_for("x", n=1) == "https://example.test:8080/app/x/1"
        assert url_for("x", n=1, _external=False) == "/app/x/1"
        assert url_for("x", n=1, _scheme="http", _external=True) == (
            "http://example.test:8080/app/x/1"
        )
    response = await app.test_client().get(
        "/app/x/1", headers={"Host": "example.test:8080"}, root_path="/app"
    )
    assert await text(response) == "/app/x/2 http://example.test:8080/app/x/1"


async def test_url_for_query_args_lists_and_anchor(app: Erlen) -> None:
    async with app.test_request_context("/"):
        assert url_for("items", q=["1", "2"], _anchor="a b") == "/items?q=1&q=2#a%20b"
        assert url_for("path", rest="a/b c") == "/path/a/b%20c"


async def test_url_value_preprocessor_pulls_values_before_the_view() -> None:
    app = Erlen(__name__)

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, object] | None) -> None:
        if values is not None:
            request.lang = values.pop("lang", "en")  # type: ignore[attr-defined]

    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, object]) -> None:
        values.setdefault("lang", "fr")

    @app.route("/<lang>/page")
    async def page() -> str:
        return f"{request.lang} {url_for('page')}"  # type: ignore[attr-defined]

    assert await text(await app.test_client().get("/de/page")) == "de /fr/page"
