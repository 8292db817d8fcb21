"""The before_render_template and template_rendered signals (Quart's arguments)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from erlen import (
    Erlen,
    before_render_template,
    render_template,
    render_template_string,
    stream_template,
    template_rendered,
)

WriteTemplates = Callable[..., Path]
Recorded = list[tuple[str, Any, jinja2.Template, dict[str, Any]]]


def recorders(recorded: Recorded) -> tuple[Callable[..., None], Callable[..., Any]]:
    def before(sender: Any, template: jinja2.Template, context: dict[str, Any]) -> None:
        recorded.append(("before", sender, template, dict(context)))
        context["added_by_signal"] = "yes"  # receivers may change the context

    async def after(sender: Any, template: jinja2.Template, context: dict[str, Any]) -> None:
        recorded.append(("after", sender, template, dict(context)))

    return before, after


async def test_render_template_sends_both_signals(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"page.html": "{{ name }} {{ added_by_signal }}"})
    recorded: Recorded = []
    before, after = recorders(recorded)

    @app.route("/")
    async def index() -> str:
        return await render_template("page.html", name="Ada")

    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
    ):
        response = await app.test_client().get("/")
    assert await response.get_data(as_text=True) == "Ada yes"
    assert [event for event, *_ in recorded] == ["before", "after"]
    for _event, sender, template, context in recorded:
        assert sender is app
        assert template.name == "page.html"
        assert context["name"] == "Ada"
        assert context["request"].path == "/"
    assert "added_by_signal" not in recorded[0][3]
    assert recorded[1][3]["added_by_signal"] == "yes"


async def test_render_template_string_sends_both_signals(app: Erlen) -> None:
    recorded: Recorded = []
    before, after = recorders(recorded)
    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
    ):
        async with app.app_context():
            assert await render_template_string("{{ 1 + 1 }}") == "2"
    assert [(event, sender) for event, sender, *_ in recorded] == [("before", app), ("after", app)]
    assert recorded[0][2].name is None


async def test_stream_template_sends_rendered_after_the_last_chunk(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"page.html": "{% for i in range(3) %}{{ i }}{% endfor %}"})
    recorded: Recorded = []
    before, after = recorders(recorded)
    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
    ):
        async with app.app_context():
            chunks = await stream_template("page.html")
            assert [event for event, *_ in recorded] == ["before"]
            body = "".join([chunk async for chunk in chunks])
    assert body == "012"
    assert [event for event, *_ in recorded] == ["before", "after"]


async def test_signals_for_another_app_are_not_received(app: Erlen, tmp_path: Path) -> None:
    other = Erlen("other", root_path=str(tmp_path))
    recorded: Recorded = []
    before, after = recorders(recorded)
    with (
        before_render_template.connected_to(before, other),
        template_rendered.connected_to(after, other),
    ):
        async with app.app_context():
            assert await render_template_string("x") == "x"
    assert recorded == []
