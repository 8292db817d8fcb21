"""User input reaches the page escaped, whichever render function produced it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from erlen import (
    Erlen,
    render_template,
    render_template_string,
    request,
    stream_template,
    stream_template_string,
)

WriteTemplates = Callable[..., Path]

ATTACK = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
SOURCE = "<p>You searched for {{ q }}</p><p>{{ request.args.q }}</p>"


@pytest.mark.parametrize(
    "render",
    [
        lambda q: render_template("search.html", q=q),
        lambda q: render_template_string(SOURCE, q=q),
        lambda q: stream_template("search.html", q=q),
        lambda q: stream_template_string(SOURCE, q=q),
    ],
    ids=["render_template", "render_template_string", "stream_template", "stream_string"],
)
async def test_a_script_from_the_query_string_is_escaped(
    app: Erlen, write_templates: WriteTemplates, render: Callable[[str], Any]
) -> None:
    write_templates({"search.html": SOURCE})

    @app.route("/search")
    async def search() -> Any:
        return await render(request.args["q"])

    response = await app.test_client().get("/search", query_string={"q": ATTACK})
    assert response.status_code == 200
    body = await response.get_data(as_text=True)
    assert body == f"<p>You searched for {ESCAPED}</p><p>{ESCAPED}</p>"
    assert "<script>" not in body


async def test_a_text_template_is_left_alone(app: Erlen, write_templates: WriteTemplates) -> None:
    write_templates({"mail.txt": "Hello {{ name }}"})

    @app.route("/mail")
    async def mail() -> Any:
        return await render_template("mail.txt", name=request.args["name"]), {
            "Content-Type": "text/plain"
        }

    response = await app.test_client().get("/mail", query_string={"name": "A & B"})
    assert await response.get_data(as_text=True) == "Hello A & B"
