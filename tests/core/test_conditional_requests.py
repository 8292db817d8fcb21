"""``make_conditional``: 200, 304 or 412 exactly as werkzeug's ``is_resource_modified``
decides for the request's validators and the response's ``ETag``/``Last-Modified``, on
the first request and on the repeats (whose answer is remembered per combination)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from erlen import Erlen, make_response, request
from werkzeug.http import http_date, parse_etags
from werkzeug.sansio.http import is_resource_modified

MODIFIED = datetime(2025, 1, 1, tzinfo=UTC)
BODY = "<p>report</p>"


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/report")
    async def report() -> object:
        response = await make_response(BODY)
        if "etag" in request.args:
            response.set_etag(request.args["etag"])
        if "modified" in request.args:
            response.last_modified = MODIFIED
        return await response.make_conditional(request)

    return app


IF_MODIFIED_SINCE = [
    None,
    http_date(MODIFIED),
    http_date(datetime(2024, 12, 31, tzinfo=UTC)),
    "not a date",
]
IF_NONE_MATCH = [None, '"v1"', 'W/"v1"', '"v2"', "*"]
IF_MATCH = [None, '"v1"', '"v2"']
RESPONSE = [{}, {"etag": "v1"}, {"modified": "1"}, {"etag": "v1", "modified": "1"}]
CASES = list(itertools.product(IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_MATCH, RESPONSE))


def expected_status(
    if_modified_since: str | None,
    if_none_match: str | None,
    if_match: str | None,
    response: dict[str, str],
) -> int:
    """The status werkzeug's own rule gives (Quart's make_conditional)."""
    if not (if_modified_since or if_none_match or if_match):
        return 200
    modified = is_resource_modified(
        http_if_modified_since=if_modified_since,
        http_if_none_match=if_none_match,
        http_if_match=if_match,
        etag=response.get("etag"),
        last_modified=http_date(MODIFIED) if "modified" in response else None,
    )
    if modified:
        return 200
    return 412 if if_match and parse_etags(if_match) else 304


@pytest.mark.parametrize("chunk", range(4))
async def test_statuses_follow_werkzeug_on_first_and_repeated_requests(chunk: int) -> None:
    app = make_app()
    client = app.test_client()
    for if_modified_since, if_none_match, if_match, response_headers in CASES[chunk::4]:
        headers = {
            name: value
            for name, value in (
                ("If-Modified-Since", if_modified_since),
                ("If-None-Match", if_none_match),
                ("If-Match", if_match),
            )
            if value is not None
        }
        status = expected_status(if_modified_since, if_none_match, if_match, response_headers)
        for _ in range(2):
            response = await client.get("/report", headers=headers, query_string=response_headers)
            case = (headers, response_headers)
            assert response.status_code == status, case
            body = await response.get_data(as_text=True)
            assert body == ("" if status == 304 else BODY), case


async def test_a_304_keeps_the_validators_and_drops_the_body() -> None:
    client = make_app().test_client()
    headers = {"If-Modified-Since": http_date(MODIFIED)}
    for _ in range(2):
        response = await client.get("/report", headers=headers, query_string={"modified": "1"})
        assert response.status_code == 304
        assert response.headers["Last-Modified"] == http_date(MODIFIED)
        assert await response.get_data() == b""
    newer = {"If-Modified-Since": http_date(datetime(2024, 6, 1, tzinfo=UTC))}
    response = await client.get("/report", headers=newer, query_string={"modified": "1"})
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == BODY
