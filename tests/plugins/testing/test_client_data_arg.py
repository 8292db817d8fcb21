"""``client.post(data=...)`` takes text or bytes; a dict (Flask's form spelling) is a clear
``TypeError`` naming ``form=``, not an obscure one (Quart silently sends an empty body)."""

from __future__ import annotations

import pytest
from erlen import Erlen, request


def _app() -> Erlen:
    app = Erlen(__name__)

    @app.post("/")
    async def echo() -> str:
        return await request.get_data(as_text=True)

    return app


@pytest.mark.parametrize("data", ["héllo", "héllo".encode(), bytearray("héllo".encode())])
async def test_text_and_bytes_are_the_body(data: str | bytes) -> None:
    response = await _app().test_client().post("/", data=data)
    assert await response.get_data(as_text=True) == "héllo"


async def test_a_dict_points_to_form() -> None:
    with pytest.raises(TypeError, match=r"data must be str or bytes, not dict: pass form="):
        await _app().test_client().post("/", data={"a": "b"})
