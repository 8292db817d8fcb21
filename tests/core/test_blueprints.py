"""Blueprints: prefixes, subdomains, static folders, nesting, app-wide and scoped handlers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from erlen import Blueprint, Erlen, abort, g, request, url_for


def make_app(**kwargs: Any) -> Erlen:
    return Erlen(__name__, static_folder=None, **kwargs)


async def test_url_prefix_from_constructor_and_from_register() -> None:
    app = make_app()
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/items")
    async def items() -> str:
        return url_for("shop.items")

    @bp.route("")
    async def index() -> str:
        return "index"

    other = Blueprint("admin", __name__)

    @other.get("/panel")
    async def panel() -> str:
        return request.blueprint or "none"

    app.register_blueprint(bp)
    app.register_blueprint(other, url_prefix="/admin/")
    client = app.test_client()
    response = await client.get("/shop/items")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "/shop/items"
    assert await (await client.get("/shop")).get_data() == b"index"
    assert await (await client.get("/admin/panel")).get_data() == b"admin"
    assert (await client.get("/items")).status_code == 404


async def test_subdomain() -> None:
    app = make_app(subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    api = Blueprint("api", __name__, subdomain="api")

    @api.route("/")
    async def root() -> str:
        return url_for("api.root", _external=True)

    app.register_blueprint(api)
    client = app.test_client()
    response = await client.get("/", subdomain="api")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "http://api.example.test/"
    assert (await client.get("/")).status_code == 404


async def test_blueprint_static_folder_and_template_folder(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.css").write_text("body {}")
    app = make_app()
    bp = Blueprint(
        "ui",
        __name__,
        root_path=str(tmp_path),
        static_folder="assets",
        static_url_path="/ui-static",
        template_folder="tpl",
        url_prefix="/ui",
    )

    @bp.route("/link")
    async def link() -> str:
        return url_for("ui.static", filename="app.css")

    app.register_blueprint(bp)
    assert bp.template_folder == "tpl"
    assert bp.static_folder == str(tmp_path / "assets")
    assert bp.has_static_folder
    client = app.test_client()
    assert await (await client.get("/ui/link")).get_data() == b"/ui/ui-static/app.css"
    response = await client.get("/ui/ui-static/app.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert await response.get_data() == b"body {}"
    assert (await client.get("/ui/ui-static/missing.css")).status_code == 404
    assert (await client.get("/ui/ui-static/../link")).status_code == 404


async def test_nested_blueprints_have_dotted_endpoints_and_joined_prefixes() -> None:
    app = make_app()
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    grandchild = Blueprint("grandchild", __name__)
    calls: list[str] = []

    @grandchild.route("/leaf")
    async def leaf() -> dict[str, Any]:
        return {
            "endpoint": request.endpoint,
            "blueprint": request.blueprint,
            "blueprints": request.blueprints,
            "self": url_for(".leaf"),
            "sibling": url_for("parent.child.page"),
        }

    @child.route("/page")
    async def page() -> str:
        return "page"

    @parent.before_request
    async def parent_before() -> None:
        calls.append("parent")

    @child.before_request
    async def child_before() -> None:
        calls.append("child")

    child.register_blueprint(grandchild, url_prefix="/gc")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    response = await app.test_client().get("/parent/child/gc/leaf")
    assert response.status_code == 200
    assert await response.get_json() == {
        "endpoint": "parent.child.grandchild.leaf",
        "blueprint": "parent.child.grandchild",
        "blueprints": ["parent.child.grandchild", "parent.child", "parent"],
        "self": "/parent/child/gc/leaf",
        "sibling": "/parent/child/page",
    }
    assert calls == ["parent", "child"]
    assert "parent.child.grandchild" in app.blueprints


async def test_app_wide_handlers_registered_by_a_blueprint() -> None:
    app = make_app()
    bp = Blueprint("hooks", __name__)
    seen: list[str] = []

    @bp.before_app_request
    async def before() -> None:
        seen.append(f"before {request.path}")

    @bp.after_app_request
    async def after(response: Any) -> Any:
        response.headers["X-After"] = "yes"
        return response

    @bp.app_errorhandler(404)
    async def not_found(error: Exception) -> tuple[str, int]:
        return "custom 404", 404

    @bp.app_url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = (values or {}).pop("lang", "en")

    @app.route("/<lang>/hello")
    async def hello() -> str:  # `lang` was removed by the preprocessor
        return f"hello in {g.lang}"

    app.register_blueprint(bp)
    client = app.test_client()
    response = await client.get("/fr/hello")
    assert await response.get_data() == b"hello in fr"
    assert response.headers["X-After"] == "yes"
    missing = await client.get("/nowhere")
    assert missing.status_code == 404
    assert await missing.get_data() == b"custom 404"
    assert missing.headers["X-After"] == "yes"
    assert seen == ["before /fr/hello", "before /nowhere"]


async def test_blueprint_scoped_handlers_only_apply_to_its_routes() -> None:
    app = make_app()
    bp = Blueprint("scoped", __name__, url_prefix="/bp")
    seen: list[str] = []

    @bp.before_request
    async def before() -> None:
        seen.append("bp before")

    @bp.after_request
    async def after(response: Any) -> Any:
        response.headers["X-Bp"] = "1"
        return response

    @bp.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        seen.append("bp teardown")

    @bp.errorhandler(ValueError)
    async def value_error(error: ValueError) -> tuple[str, int]:
        return f"bp handled {error}", 400

    @bp.url_value_preprocessor
    def pop_id(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.item_id = (values or {}).pop("item_id", None)

    @bp.url_defaults
    def add_id(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("item_id", g.item_id)

    @bp.route("/<item_id>/show")
    async def show() -> str:
        return url_for(".show")

    @bp.route("/fail")
    async def fail() -> str:
        raise ValueError("bad")

    @app.route("/fail")
    async def app_fail() -> str:
        raise ValueError("bad")

    app.register_blueprint(bp)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    response = await client.get("/bp/7/show")
    assert await response.get_data() == b"/bp/7/show"
    assert response.headers["X-Bp"] == "1"
    handled = await client.get("/bp/fail")
    assert handled.status_code == 400
    assert await handled.get_data() == b"bp handled bad"
    assert seen == ["bp before", "bp teardown", "bp before", "bp teardown"]
    unhandled = await client.get("/fail")
    assert unhandled.status_code == 500
    assert "X-Bp" not in unhandled.headers
    assert seen == ["bp before", "bp teardown", "bp before", "bp teardown"]


async def test_blueprint_error_handler_for_http_codes_raised_in_its_views() -> None:
    app = make_app()
    bp = Blueprint("guarded", __name__)

    @bp.errorhandler(403)
    async def forbidden(error: Exception) -> tuple[str, int]:
        return "bp says no", 403

    @bp.route("/secret")
    async def secret() -> str:
        abort(403)

    @app.route("/other")
    async def other() -> str:
        abort(403)

    app.register_blueprint(bp)
    client = app.test_client()
    assert await (await client.get("/secret")).get_data() == b"bp says no"
    plain = await client.get("/other")
    assert plain.status_code == 403
    assert b"bp says no" not in await plain.get_data()


async def test_register_the_same_blueprint_twice_with_name() -> None:
    app = make_app()
    bp = Blueprint("pages", __name__)
    hits: list[str | None] = []

    @bp.before_request
    async def count() -> None:
        hits.append(request.blueprint)

    @bp.route("/about")
    async def about() -> str:
        return url_for(".about")

    app.register_blueprint(bp, url_prefix="/en")
    app.register_blueprint(bp, name="pages_de", url_prefix="/de")
    client = app.test_client()
    assert await (await client.get("/en/about")).get_data() == b"/en/about"
    assert await (await client.get("/de/about")).get_data() == b"/de/about"
    assert hits == ["pages", "pages_de"]
    assert set(app.blueprints) == {"pages", "pages_de"}


def test_name_clashes_raise_like_flask() -> None:
    app = make_app()
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(ValueError, match="already registered for this blueprint"):
        app.register_blueprint(bp)
    with pytest.raises(ValueError, match="already registered for a different blueprint"):
        app.register_blueprint(Blueprint("bp", __name__))
    with pytest.raises(ValueError, match="may not contain a dot"):
        Blueprint("a.b", __name__)
    with pytest.raises(ValueError, match="may not be empty"):
        Blueprint("", __name__)
    with pytest.raises(ValueError, match="may not contain a dot"):
        bp2 = Blueprint("bp2", __name__)
        bp2.add_url_rule("/x", "a.b", lambda: "x")
    with pytest.raises(ValueError, match="on itself"):
        bp3 = Blueprint("bp3", __name__)
        bp3.register_blueprint(bp3)


async def test_setup_after_registration_is_refused_and_after_serving_accepted() -> None:
    app = make_app()
    bp = Blueprint("late", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered"):
        bp.route("/late")(lambda: "late")
    app.freeze()
    later = Blueprint("later", __name__, url_prefix="/later")
    later.route("/")(lambda: "later")
    app.register_blueprint(later)  # Quart 0.22 accepts it: the app compiles again
    assert await (await app.test_client().get("/later/")).get_data() == b"later"


async def test_same_view_name_in_two_blueprints_does_not_clash() -> None:
    app = make_app()
    first = Blueprint("first", __name__, url_prefix="/1")
    second = Blueprint("second", __name__, url_prefix="/2")

    @first.route("/")
    async def index() -> str:
        return "first"

    @second.route("/", endpoint="index")
    async def index2() -> str:
        return "second"

    app.register_blueprint(first)
    app.register_blueprint(second)
    client = app.test_client()
    assert await (await client.get("/1/")).get_data() == b"first"
    assert await (await client.get("/2/")).get_data() == b"second"


async def test_nested_blueprint_registered_twice_through_its_parent() -> None:
    app = make_app()
    parent = Blueprint("v1", __name__, url_prefix="/v1")
    child = Blueprint("users", __name__, url_prefix="/users")

    @child.route("/me")
    async def me() -> str:
        return f"{request.endpoint} {url_for('.me')}"

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    app.register_blueprint(parent, name="v2", url_prefix="/v2")
    client = app.test_client()
    assert await (await client.get("/v1/users/me")).get_data() == b"v1.users.me /v1/users/me"
    assert await (await client.get("/v2/users/me")).get_data() == b"v2.users.me /v2/users/me"


async def test_blueprint_url_defaults() -> None:
    app = make_app()
    docs = Blueprint("docs", __name__, url_prefix="/docs", url_defaults={"lang": "en"})

    @docs.route("/")
    async def index(lang: str) -> str:  # `lang` comes from the defaults, not the URL
        return f"{lang} {url_for('.index')}"

    app.register_blueprint(docs)
    app.register_blueprint(docs, name="docs_fr", url_prefix="/fr", url_defaults={"lang": "fr"})
    client = app.test_client()
    assert await (await client.get("/docs/")).get_data() == b"en /docs/"
    assert await (await client.get("/fr/")).get_data() == b"fr /fr/"


def test_record_and_record_once() -> None:
    app = make_app()
    bp = Blueprint("rec", __name__)
    states: list[tuple[str, bool]] = []
    bp.record(lambda state: states.append((state.name, state.first_registration)))
    bp.record_once(lambda state: states.append(("once", state.first_registration)))
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="rec2")
    assert states == [("rec", True), ("once", True), ("rec2", False)]
