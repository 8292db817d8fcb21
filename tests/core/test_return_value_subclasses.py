"""A view returning a subclass of str, bytes, dict or list gets the response its base
type gets, as in Quart and Flask (whose ``make_response`` tests ``isinstance``): HTML for
``Markup`` (what ``markupsafe.escape()`` returns) and a bytes subclass, JSON for an
``OrderedDict``, a ``defaultdict``, werkzeug's ``MultiDict`` or a list subclass. Each was
a 500 ("did not return a valid response").
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from typing import Any

import pytest
from erlen import Erlen
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict


class Rows(list[int]):
    """A list subclass, as ORMs and result sets hand out."""


class Raw(bytes):
    """A bytes subclass."""


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/escaped/<name>")
    async def escaped(name: str) -> Any:
        return escape(name)

    @app.route("/markup")
    async def markup() -> Any:
        return Markup("<b>bold</b>"), 201, {"X-Kind": "markup"}

    @app.route("/raw")
    async def raw() -> Any:
        return Raw(b"\x00raw")

    @app.route("/ordered")
    async def ordered() -> Any:
        return OrderedDict([("b", 1), ("a", 2)])

    @app.route("/default")
    async def default() -> Any:
        grouped: defaultdict[str, list[int]] = defaultdict(list)
        grouped["x"].append(1)
        return grouped, 202

    @app.route("/args")
    async def args() -> Any:
        return MultiDict([("q", "1"), ("q", "2"), ("r", "3")])

    @app.route("/rows")
    async def rows() -> Any:
        return Rows([3, 1])

    return app


@pytest.mark.parametrize(
    ("path", "status", "mimetype", "body"),
    [
        ("/escaped/<i>", 200, "text/html", b"&lt;i&gt;"),
        ("/markup", 201, "text/html", b"<b>bold</b>"),
        ("/raw", 200, "text/html", b"\x00raw"),
        ("/ordered", 200, "application/json", b'{"a":2,"b":1}\n'),
        ("/default", 202, "application/json", b'{"x":[1]}\n'),
        ("/args", 200, "application/json", b'{"q":"1","r":"3"}\n'),
        ("/rows", 200, "application/json", b"[3,1]\n"),
    ],
)
async def test_subclass_answers_as_its_base_type(
    path: str, status: int, mimetype: str, body: bytes
) -> None:
    response = await make_app().test_client().get(path)
    assert response.status_code == status
    assert response.mimetype == mimetype
    assert await response.get_data() == body


async def test_status_and_headers_of_a_tuple_apply_to_a_subclass_body() -> None:
    response = await make_app().test_client().get("/markup")
    assert response.headers["X-Kind"] == "markup"
    assert response.headers["Content-Length"] == str(len(b"<b>bold</b>"))
