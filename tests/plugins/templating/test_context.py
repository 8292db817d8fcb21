"""The template context: defaults, context processors (app and blueprint)."""

from __future__ import annotations

from typing import Any

import pytest
from erlen import Blueprint, Erlen, flash, g, render_template_string, session


async def get_text(app: Erlen, path: str, **kwargs: Any) -> str:
    response = await app.test_client().get(path, **kwargs)
    assert response.status_code == 200
    return await response.get_data(as_text=True)  # type: ignore[no-any-return]


async def test_the_default_context_in_a_request(app: Erlen) -> None:
    app.register_plugin("sessions")  # the context's session and flashes
    app.secret_key = "not-a-secret"
    app.config["GREETING"] = "hi"

    @app.route("/page/<name>", endpoint="page")
    async def page(name: str) -> str:
        g.user = "ada"
        session["visits"] = 3
        flash("saved")
        return await render_template_string(
            "{{ config.GREETING }}|{{ request.path }}|{{ request.args.q }}|{{ session.visits }}"
            "|{{ g.user }}|{{ url_for('page', name='x') }}|{{ get_flashed_messages()|join(',') }}"
        )

    assert (
        await get_text(app, "/page/a", query_string={"q": "1"})
        == "hi|/page/a|1|3|ada|/page/x|saved"
    )


async def test_the_default_context_in_an_app_context_only(app: Erlen) -> None:
    app.config["SERVER_NAME"] = "example.com"
    app.config["GREETING"] = "hi"

    @app.route("/target", endpoint="target")
    async def target() -> str:
        return ""

    async with app.app_context():
        g.user = "ada"
        rendered = await render_template_string(
            "{{ config.GREETING }}|{{ g.user }}|{{ url_for('target') }}"
            "|{{ 'request' if request else 'no request' }}"
            "|{{ 'session' if session else 'no session' }}"
        )
    assert rendered == "hi|ada|http://example.com/target|no request|no session"


async def test_request_attributes_outside_a_request_name_the_problem(app: Erlen) -> None:
    async with app.app_context():
        with pytest.raises(RuntimeError, match="outside of request context"):
            await render_template_string("{{ request.path }}")


async def test_context_processors_add_variables(app: Erlen) -> None:
    @app.context_processor
    def sync_processor() -> dict[str, Any]:
        return {"site": "Erlen", "who": "processor"}

    @app.context_processor
    async def async_processor() -> dict[str, Any]:
        return {"year": 2026}

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ site }} {{ year }} {{ who }}", who="view")

    # A value the view passes wins over a processor's.
    assert await get_text(app, "/") == "Erlen 2026 view"


async def test_context_processors_run_in_an_app_context_too(app: Erlen) -> None:
    @app.context_processor
    def site() -> dict[str, Any]:
        return {"site": "Erlen"}

    async with app.app_context():
        assert await render_template_string("{{ site }}") == "Erlen"


async def test_context_processors_see_the_request(app: Erlen) -> None:
    @app.context_processor
    def user_agent() -> dict[str, Any]:
        from erlen import request

        return {"agent": request.headers.get("User-Agent", "")}

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ agent }}")

    assert await get_text(app, "/", headers={"User-Agent": "probe/1"}) == "probe/1"


async def test_blueprint_context_processors_are_scoped_to_the_blueprint(app: Erlen) -> None:
    bp = Blueprint("bp", __name__)

    @bp.context_processor
    def section() -> dict[str, Any]:
        return {"section": "bp"}

    @bp.app_context_processor
    def everywhere() -> dict[str, Any]:
        return {"everywhere": "yes"}

    source = "{{ section|default('none') }} {{ everywhere }}"

    @bp.route("/inside")
    async def inside() -> str:
        return await render_template_string(source)

    @app.route("/outside")
    async def outside() -> str:
        return await render_template_string(source)

    app.register_blueprint(bp, url_prefix="/bp")
    assert await get_text(app, "/bp/inside") == "bp yes"
    assert await get_text(app, "/outside") == "none yes"


async def test_nested_blueprints_get_their_parents_processors(app: Erlen) -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)

    @parent.context_processor
    def from_parent() -> dict[str, Any]:
        return {"level": "parent", "parent": "p"}

    @child.context_processor
    def from_child() -> dict[str, Any]:
        return {"level": "child"}

    @child.route("/")
    async def index() -> str:
        return await render_template_string("{{ parent }} {{ level }}")

    parent.register_blueprint(child, url_prefix="/child")
    app.register_blueprint(parent, url_prefix="/parent")
    # The innermost blueprint's processor runs last, so its value wins.
    assert await get_text(app, "/parent/child/") == "p child"


async def test_update_template_context(app: Erlen) -> None:
    @app.context_processor
    def extra() -> dict[str, Any]:
        return {"extra": 1, "kept": "processor"}

    context: dict[str, Any] = {"kept": "mine"}
    async with app.app_context():
        await app.update_template_context(context)
    assert context["extra"] == 1
    assert context["kept"] == "mine"
