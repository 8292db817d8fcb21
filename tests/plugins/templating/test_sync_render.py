"""Templates that await nothing render without async generators; the others as before.

A template renders through a synchronous compilation of itself unless it turns out to
need the async one (``plugins/templating/sync.py``). Both kinds are rendered here
through the test client: the output must be what Quart's always-async rendering gives,
and a plain template must not run in an async generator.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from erlen import Erlen, render_template, render_template_string, stream_template
from jinja2.sandbox import SandboxedEnvironment

from .conftest import WriteTemplates


def in_async_template() -> bool:
    """Whether the template calling this runs as an async generator (a template
    global: call it as ``{{ in_async() }}``)."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "root" and code.co_filename.endswith((".html", "<template>")):
            return bool(code.co_flags & inspect.CO_ASYNC_GENERATOR)
        frame = frame.f_back  # type: ignore[assignment]
    raise AssertionError("not called from a template")


async def fetch_title() -> str:
    return "Fetched"


async def rows() -> AsyncIterator[str]:
    for name in ("a", "b"):
        yield name


class Record:
    """An object with an async attribute (a coroutine, awaited by async templates)."""

    def __init__(self) -> None:
        self.name = "plain"

    @property
    def loaded(self) -> Any:
        return fetch_title()


@pytest.fixture
def client_app(app: Erlen, write_templates: WriteTemplates) -> Erlen:
    write_templates(
        {
            "plain.html": "<h1>{{ title }}</h1>{% for i in items %}<li>{{ i }}</li>{% endfor %}"
            " {{ in_async() }}",
            "calls_async.html": "<h1>{{ fetch_title() }}</h1> {{ in_async() }}",
            "layout.html": "[{% block body %}{% endblock %}]",
            "child.html": '{% extends "layout.html" %}{% block body %}{{ fetch_title() }}'
            "{% endblock %}",
            "includes.html": '<{% include "calls_async.html" %}>',
            "loops.html": "{% for row in rows %}{{ row }}{% endfor %} {{ in_async() }}",
            "attribute.html": "{{ record.name }} {{ record.loaded }}",
        }
    )
    app.add_template_global(in_async_template, "in_async")
    app.add_template_global(fetch_title)

    @app.route("/plain")
    async def plain() -> str:
        return await render_template("plain.html", title="Items", items=[1, 2])

    @app.route("/plain-string")
    async def plain_string() -> str:
        return await render_template_string("{{ word|upper }} {{ in_async() }}", word="hi")

    @app.route("/file/<name>")
    async def file(name: str) -> str:
        return await render_template(name, record=Record())

    @app.route("/loop")
    async def loop() -> str:
        return await render_template("loops.html", rows=rows())

    @app.route("/loop-attribute")
    async def loop_attribute() -> str:
        class Page:
            def __init__(self) -> None:
                self.rows = rows()

        source = "{% for row in page.rows %}{{ row }}{% endfor %} {{ in_async() }}"
        return await render_template_string(source, page=Page())

    @app.route("/stream")
    async def stream() -> Any:
        return await stream_template("calls_async.html")

    return app


async def test_a_plain_template_renders_without_async_generators(client_app: Erlen) -> None:
    client = client_app.test_client()
    for _ in range(2):
        response = await client.get("/plain")
        assert await response.get_data(as_text=True) == "<h1>Items</h1><li>1</li><li>2</li> False"
    response = await client.get("/plain-string")
    assert await response.get_data(as_text=True) == "HI False"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("calls_async.html", "<h1>Fetched</h1> True"),
        ("child.html", "[Fetched]"),
        ("includes.html", "<<h1>Fetched</h1> True>"),
        ("attribute.html", "plain Fetched"),
    ],
)
async def test_a_template_calling_async_code_renders_asynchronously(
    client_app: Erlen, name: str, expected: str
) -> None:
    client = client_app.test_client()
    for _ in range(2):  # the first render finds out, the second knows
        response = await client.get(f"/file/{name}")
        assert response.status_code == 200
        assert await response.get_data(as_text=True) == expected


async def test_a_loop_over_an_async_iterable(client_app: Erlen) -> None:
    client = client_app.test_client()
    response = await client.get("/loop")
    assert await response.get_data(as_text=True) == "ab True"
    response = await client.get("/loop-attribute")
    assert await response.get_data(as_text=True) == "ab True"


async def test_stream_template_streams_a_template_calling_async_code(client_app: Erlen) -> None:
    response = await client_app.test_client().get("/stream")
    assert await response.get_data(as_text=True) == "<h1>Fetched</h1> True"


async def render(app: Erlen, source: str, **context: Any) -> str:
    async with app.app_context():
        return await render_template_string(source, **context)


async def test_async_filters_tests_and_sync_functions_returning_awaitables(app: Erlen) -> None:
    @app.template_filter()
    async def shout(value: str) -> str:
        return value.upper()

    @app.template_test()
    async def long(value: str) -> bool:
        return len(value) > 3

    def later(value: str) -> Any:  # sync, but returns an awaitable
        return fetch_title()

    app.add_template_filter(later)
    assert await render(app, "{{ 'a'|shout }} {{ word|shout }}", word="b") == "A B"
    assert await render(app, "{{ 'word' is long }} {{ w is long }}", w="ab") == "True False"
    assert await render(app, "{{ x|later }}", x=1) == "Fetched"
    assert await render(app, "{{ ['a', 'b']|map('shout')|join(',') }}") == "A,B"


async def test_async_values_passed_in_the_context(app: Erlen) -> None:
    async def load() -> str:
        return "loaded"

    assert await render(app, "{{ load() }}", load=load) == "loaded"
    assert await render(app, "{{ load() }}", load=lambda: fetch_title()) == "Fetched"
    assert await render(app, "{{ d.key }}", d={"key": fetch_title()}) == "Fetched"


async def test_a_template_found_to_need_async_keeps_rendering_asynchronously(app: Erlen) -> None:
    """Once a template is known to need the async render, it always takes it."""
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return len(calls)

    app.add_template_global(count)
    source = "{{ count() }}{{ fetch_title() }}"
    app.add_template_global(fetch_title)
    await render(app, source)
    calls.clear()
    assert await render(app, source) == "1Fetched"
    assert calls == [1]


async def test_context_processors_and_macros(app: Erlen) -> None:
    @app.context_processor
    async def inject() -> dict[str, Any]:
        return {"site": "Erlen", "title_of": fetch_title}

    source = (
        "{% macro item(x) %}<{{ x }}>{% endmacro %}"
        "{{ site }} {{ item(1) }}{% for i in range(2) %}{{ item(i) }}{% endfor %}"
    )
    assert await render(app, source) == "Erlen <1><0><1>"
    assert await render(app, "{{ title_of() }}") == "Fetched"


async def test_errors_are_the_async_renders_errors(app: Erlen) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(TypeError):
        await render(app, "{% for x in n %}{% endfor %}", n=5)
    with pytest.raises(ZeroDivisionError):
        await render(app, "{{ n / 0 }}", n=1)


async def test_a_sandboxed_environment_renders_asynchronously(app: Erlen) -> None:
    class Sandboxed(SandboxedEnvironment):
        def __init__(self, app: Erlen, **options: Any) -> None:
            options["enable_async"] = True
            options.setdefault("loader", app.create_global_jinja_loader())
            super().__init__(**options)

    app.jinja_environment = Sandboxed  # type: ignore[assignment]
    app.add_template_global(in_async_template, "in_async")
    assert await render(app, "{{ 1 + 1 }} {{ in_async() }}") == "2 True"


async def test_an_environment_changed_after_a_render_is_followed(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"page.html": "one"})
    other = write_templates({"page.html": "two"}, folder="other")
    async with app.app_context():
        assert await render_template("page.html") == "one"
        from jinja2 import FileSystemLoader

        app.jinja_env.loader = FileSystemLoader(str(other))
        app.jinja_env.cache.clear()  # type: ignore[union-attr]
        assert await render_template("page.html") == "two"


async def test_globals_given_to_a_loaded_template_are_seen(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"page.html": "{{ site }} {{ in_async() }}"})
    app.add_template_global(in_async_template, "in_async")
    async with app.app_context():
        app.jinja_env.get_template("page.html", globals={"site": "Erlen"})
        assert await render_template("page.html") == "Erlen False"
        assert await render_template("page.html", site="given") == "given False"
