"""``request.accept_*``: werkzeug's parse of each ``Accept*`` header, done once per
distinct value and shared between requests, so the shared object must stay immutable."""

from __future__ import annotations

import pytest
from erlen import Erlen, request
from werkzeug.datastructures import CharsetAccept, LanguageAccept, MIMEAccept
from werkzeug.http import parse_accept_header

OFFERED = ["text/html", "application/json", "text/plain"]


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/negotiate")
    async def negotiate() -> dict[str, object]:
        return {
            "mimetypes": list(request.accept_mimetypes),
            "provided": request.accept_mimetypes.provided,
            "best": request.accept_mimetypes.best_match(OFFERED),
            "language": request.accept_languages.best_match(["de", "en-US", "fr"]),
            "encodings": list(request.accept_encodings),
            "charsets": list(request.accept_charsets),
        }

    @app.route("/scribble")
    async def scribble() -> str:
        try:
            request.accept_mimetypes.append(("text/evil", 1))  # type: ignore[arg-type]
        except TypeError:
            return "refused"
        return "changed"

    return app


async def negotiate(app: Erlen, headers: dict[str, str]) -> dict[str, object]:
    response = await app.test_client().get("/negotiate", headers=headers)
    assert response.status_code == 200
    return await response.get_json()  # type: ignore[no-any-return]


def werkzeug_answer(headers: dict[str, str]) -> dict[str, object]:
    """What werkzeug's own parse gives for the same headers."""
    mimetypes = parse_accept_header(headers.get("Accept"), MIMEAccept)
    languages = parse_accept_header(headers.get("Accept-Language"), LanguageAccept)
    return {
        "mimetypes": [list(item) for item in mimetypes],
        "provided": mimetypes.provided,
        "best": mimetypes.best_match(OFFERED),
        "language": languages.best_match(["de", "en-US", "fr"]),
        "encodings": [list(item) for item in parse_accept_header(headers.get("Accept-Encoding"))],
        "charsets": [
            list(item) for item in parse_accept_header(headers.get("Accept-Charset"), CharsetAccept)
        ],
    }


CASES = [
    {},
    {"Accept": "text/html;q=0.9, application/json"},
    {"Accept": "application/json;q=0.5, text/*;q=0.8", "Accept-Language": "fr;q=0.4, en-us"},
    {"Accept": "*/*", "Accept-Encoding": "gzip, br;q=0.9", "Accept-Charset": "utf-8, *;q=0.1"},
    {"Accept": "text/plain, " + ", ".join(f"application/x-{i};q=0.1" for i in range(200))},
]


@pytest.mark.parametrize("headers", CASES, ids=["none", "json", "wildcards", "all", "long"])
async def test_every_request_answers_as_werkzeug_parses(headers: dict[str, str]) -> None:
    app = make_app()
    expected = werkzeug_answer(headers)
    for _ in range(3):  # the first request parses, the next ones reuse the parse
        assert await negotiate(app, headers) == expected


async def test_requests_with_different_accept_headers_are_told_apart() -> None:
    app = make_app()
    json_first = {"Accept": "application/json, text/html;q=0.5"}
    html_first = {"Accept": "text/html, application/json;q=0.5"}
    for _ in range(2):
        assert (await negotiate(app, json_first))["best"] == "application/json"
        assert (await negotiate(app, html_first))["best"] == "text/html"


async def test_a_view_cannot_change_the_shared_parse() -> None:
    app = make_app()
    client = app.test_client()
    headers = {"Accept": "text/html;q=0.9, application/json"}
    for _ in range(2):
        response = await client.get("/scribble", headers=headers)
        assert await response.get_data(as_text=True) == "refused"
    assert (await negotiate(app, headers))["mimetypes"] == [
        ["application/json", 1],
        ["text/html", 0.9],
    ]
