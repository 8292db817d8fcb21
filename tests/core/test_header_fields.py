"""Response headers HTTP cannot carry are answered by the app's error handling, inside
the app, instead of being refused by the server after it (erlen.headerfields)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from erlen import Erlen, request
from erlen.headerfields import InvalidHeaderError, encode_header
from erlen.utils import encode_headers
from werkzeug.datastructures import Headers


def app_setting(name: str) -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> Any:
        return "body", {name: request.args.get("v", "1")}

    return app


@pytest.mark.parametrize("name", ["X Bad", "X:Bad", "X-Bad\t", "Zoé", ""])
async def test_a_header_name_that_is_not_a_token_is_a_500(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await app_setting(name).test_client().get("/")
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.getMessage() == "Exception on request GET /"
    assert isinstance(record.exc_info[1], (InvalidHeaderError, UnicodeEncodeError))  # type: ignore[index]


@pytest.mark.parametrize("value", ["a\x00b", "a\x0bb", "a\x0cb", "a\x1bb", "a\x7fb"])
async def test_a_value_with_a_control_character_is_a_500(value: str) -> None:
    response = await app_setting("X-Value").test_client().get("/", query_string={"v": value})
    assert response.status_code == 500


async def test_values_lose_surrounding_spaces_and_keep_inner_tabs_and_latin1() -> None:
    client = app_setting("X-Value").test_client()
    for sent, received in ((" padded\t", "padded"), ("a\tb", "a\tb"), ("Zoë", "Zoë")):
        response = await client.get("/", query_string={"v": sent})
        assert response.status_code == 200
        assert response.headers["X-Value"] == received


def test_one_encoding_for_every_sender() -> None:
    # the websocket handshake and Quart's ASGI classes encode with erlen.utils
    assert encode_headers(Headers({"X-A": " 1 "})) == [encode_header("X-A", "1")]
    assert encode_header("Content-Type", "text/plain") == (b"content-type", b"text/plain")
    with pytest.raises(InvalidHeaderError, match="control character"):
        encode_headers(Headers([("X-A", "a\x00")]))
