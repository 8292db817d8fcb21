"""A tag registered on the session interface's serializer (``erlen.json.tag``, Flask's
extension API) stores its type in the session cookie and reads it back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erlen import Erlen, session
from erlen.json.tag import JSONTag, TaggedJSONSerializer


class TagDecimal(JSONTag):
    __slots__ = ()
    key = " dec"

    def check(self, value: Any) -> bool:
        return isinstance(value, Decimal)

    def to_json(self, value: Any) -> Any:
        return str(value)

    def to_python(self, value: Any) -> Any:
        return Decimal(value)


async def test_a_registered_tag_survives_the_cookie() -> None:
    app = Erlen(__name__, static_folder=None)
    app.secret_key = "test-secret"
    serializer = TaggedJSONSerializer()  # not the shared default: keep other tests apart
    serializer.register(TagDecimal, index=0)
    app.session_interface.serializer = serializer  # type: ignore[attr-defined]

    @app.route("/set")
    async def set_price() -> str:
        session["price"] = Decimal("19.99")
        session["pair"] = (1, 2)
        return "set"

    @app.route("/get")
    async def get_price() -> dict[str, str]:
        price, pair = session["price"], session["pair"]
        return {"price": f"{type(price).__name__} {price}", "pair": type(pair).__name__}

    client = app.test_client()
    assert (await client.get("/set")).status_code == 200
    response = await client.get("/get")
    assert await response.get_json() == {"price": "Decimal 19.99", "pair": "tuple"}
