"""``client.post(data=...)`` takes text, bytes, or a mapping of form fields as Flask's
client does (Quart's sends no body for a mapping); anything else is a clear ``TypeError``
naming ``form=`` and ``json=``."""

from __future__ import annotations

import pytest
from erlen import Erlen, request
from werkzeug.datastructures import MultiDict


def _app() -> Erlen:
    app = Erlen(__name__)

    @app.post("/")
    async def echo() -> str:
        return await request.get_data(as_text=True)

    @app.post("/form")
    async def form() -> dict[str, list[str]]:
        fields = await request.form
        return {"type": [request.mimetype], **fields.to_dict(flat=False)}

    return app


@pytest.mark.parametrize("data", ["héllo", "héllo".encode(), bytearray("héllo".encode())])
async def test_text_and_bytes_are_the_body(data: str | bytes) -> None:
    response = await _app().test_client().post("/", data=data)
    assert await response.get_data(as_text=True) == "héllo"


async def test_a_dict_is_form_fields() -> None:
    response = await _app().test_client().post("/form", data={"name": "ada", "lang": "py"})
    assert await response.get_json() == {
        "type": ["application/x-www-form-urlencoded"],
        "name": ["ada"],
        "lang": ["py"],
    }


async def test_a_multidict_sends_every_value() -> None:
    data = MultiDict([("tag", "a"), ("tag", "b")])
    response = await _app().test_client().post("/form", data=data)
    assert (await response.get_json())["tag"] == ["a", "b"]


async def test_a_request_context_takes_a_dict_as_form_fields() -> None:
    app = _app()
    async with app.test_request_context("/form", method="POST", data={"name": "ada"}):
        assert (await request.form)["name"] == "ada"


async def test_anything_else_points_to_form_and_json() -> None:
    with pytest.raises(TypeError, match=r"data must be str, bytes or a mapping .*, not list"):
        await _app().test_client().post("/", data=[1, 2])
