"""Template filters, tests and globals: the app's and the blueprints' app-wide forms."""

from __future__ import annotations

from typing import Any

from erlen import Blueprint, Erlen, render_template_string

SOURCE = "{{ 'ab'|twice }} {{ 4 is even_number }} {{ 3 is even_number }} {{ answer() }}"
EXPECTED = "abab True False 42"


def twice(value: str) -> str:
    return value * 2


def even_number(value: int) -> bool:
    return value % 2 == 0


def answer() -> int:
    return 42


async def render(app: Erlen, source: str = SOURCE, **context: Any) -> str:
    async with app.app_context():
        return await render_template_string(source, **context)


async def test_decorators_with_default_names(app: Erlen) -> None:
    app.template_filter()(twice)
    app.template_test()(even_number)
    app.template_global()(answer)
    assert await render(app) == EXPECTED


async def test_decorators_with_names(app: Erlen) -> None:
    @app.template_filter("twice")
    def repeat(value: str) -> str:
        return value * 2

    @app.template_test("even_number")
    def is_even(value: int) -> bool:
        return value % 2 == 0

    @app.template_global("answer")
    def the_answer() -> int:
        return 42

    assert await render(app) == EXPECTED
    assert "repeat" not in app.jinja_env.filters


async def test_add_methods(app: Erlen) -> None:
    app.add_template_filter(twice)
    app.add_template_test(even_number)
    app.add_template_global(answer)
    app.add_template_filter(str.upper, name="upper_case")
    assert await render(app) == EXPECTED
    assert await render(app, "{{ 'x'|upper_case }}") == "X"


async def test_registrations_after_the_environment_exists_are_seen(app: Erlen) -> None:
    assert await render(app, "{{ 1 }}") == "1"  # builds the environment
    app.add_template_filter(twice)
    app.add_template_test(even_number)
    app.add_template_global(answer)
    assert await render(app) == EXPECTED


async def test_async_filters_and_globals_are_awaited(app: Erlen) -> None:
    @app.template_filter()
    async def shout(value: str) -> str:
        return value.upper()

    @app.template_global()
    async def fetch() -> str:
        return "fetched"

    assert await render(app, "{{ 'a'|shout }} {{ fetch() }}") == "A fetched"


async def test_blueprint_app_template_decorators(app: Erlen) -> None:
    bp = Blueprint("bp", __name__)
    bp.app_template_filter()(twice)
    bp.app_template_test()(even_number)
    bp.app_template_global()(answer)
    app.register_blueprint(bp)
    assert await render(app) == EXPECTED


async def test_blueprint_app_template_decorators_with_names(app: Erlen) -> None:
    bp = Blueprint("bp", __name__)
    bp.app_template_filter("twice")(lambda value: value * 2)
    bp.app_template_test("even_number")(lambda value: value % 2 == 0)
    bp.app_template_global("answer")(lambda: 42)
    app.register_blueprint(bp)
    assert await render(app) == EXPECTED


async def test_blueprint_add_app_template_methods(app: Erlen) -> None:
    bp = Blueprint("bp", __name__)
    bp.add_app_template_filter(twice)
    bp.add_app_template_test(even_number)
    bp.add_app_template_global(answer)
    app.register_blueprint(bp)
    assert await render(app) == EXPECTED


async def test_blueprint_filters_apply_to_every_view(app: Erlen) -> None:
    bp = Blueprint("bp", __name__)
    bp.add_app_template_filter(twice)
    app.register_blueprint(bp)

    @app.route("/")  # a view of the app itself, not of the blueprint
    async def index() -> str:
        return await render_template_string("{{ 'no'|twice }}")

    response = await app.test_client().get("/")
    assert await response.get_data(as_text=True) == "nono"


async def test_a_blueprint_registered_twice_registers_its_filter_once(app: Erlen) -> None:
    bp = Blueprint("bp", __name__)
    bp.add_app_template_filter(twice)
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="bp2", url_prefix="/two")
    assert await render(app, "{{ 'x'|twice }}") == "xx"


async def test_registering_after_the_app_serves_is_used(app: Erlen) -> None:
    app.freeze()
    assert await render(app, "{{ 'x' }}") == "x"  # the environment exists
    app.add_template_filter(twice)  # Quart 0.22 accepts setup after serving started
    assert await render(app, "{{ 'x'|twice }}") == "xx"
