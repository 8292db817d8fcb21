"""Invalid JSON raises the standard library's ``json.JSONDecodeError`` (as Flask and Quart
do), from the msgspec provider and from the kernel's stdlib fallback."""

from __future__ import annotations

import json

import pytest
from erlen import Erlen, current_app, request


@pytest.mark.parametrize("exclude", [[], ["json"]], ids=["msgspec", "stdlib"])
async def test_quart_style_except_json_decode_error(exclude: list[str]) -> None:
    app = Erlen(__name__, exclude_plugins=exclude)

    @app.post("/parse")
    async def parse() -> tuple[dict, int]:
        try:
            return {"value": current_app.json.loads(await request.get_data())}, 200
        except json.JSONDecodeError as error:
            return {"error": "invalid", "doc": error.doc}, 400

    client = app.test_client()
    response = await client.post("/parse", data=b'{"a": 1}')
    assert await response.get_json() == {"value": {"a": 1}}
    response = await client.post("/parse", data=b'{"a": ')
    assert response.status_code == 400
    assert await response.get_json() == {"error": "invalid", "doc": '{"a": '}


async def test_request_get_json_on_invalid_json_is_still_a_400() -> None:
    app = Erlen(__name__)

    @app.post("/")
    async def index() -> dict:
        return {"got": await request.get_json()}

    response = await app.test_client().post(
        "/", data=b"[1,", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("exclude", [[], ["json"]], ids=["msgspec", "stdlib"])
async def test_json_in_utf16_or_behind_a_bom_is_accepted_as_flask_does(exclude: list[str]) -> None:
    """RFC 8259 8.1: a parser may accept UTF-16/32 and a UTF-8 BOM; Flask does (the msgspec
    provider answered 400)."""
    app = Erlen(__name__, exclude_plugins=exclude)

    @app.post("/")
    async def echo() -> dict[str, str]:
        return await request.get_json()  # type: ignore[no-any-return]

    client = app.test_client()
    text = '{"name": "Zoë"}'
    for body in (
        b"\xef\xbb\xbf" + text.encode(),
        text.encode("utf-16"),
        text.encode("utf-16-le"),
        text.encode("utf-32"),
    ):
        response = await client.post("/", data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 200, body
        assert await response.get_json() == {"name": "Zoë"}
    bad = await client.post(
        "/", data="{nope".encode("utf-16"), headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400
