"""Porting details checked against Quart: class-level customisation points of a Quart app
subclass keep working."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from erlen import Erlen, jsonify
from erlen.json import DefaultJSONProvider


class MoneyProvider(DefaultJSONProvider):
    """A provider subclass as Flask's docs show: a custom ``default`` and no key sorting."""

    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return f"{o:.2f} EUR"
        return DefaultJSONProvider.default(o)


class ShopApp(Erlen):
    json_provider_class = MoneyProvider


async def test_json_provider_class_on_an_app_subclass() -> None:
    app = ShopApp(__name__, static_folder=None)
    assert isinstance(app.json, MoneyProvider)

    @app.route("/price")
    async def price() -> Any:
        return jsonify(zeta=1, price=Decimal("9.5"))

    @app.route("/dict")
    async def as_dict() -> Any:
        return {"price": Decimal("1")}

    client = app.test_client()
    assert await (await client.get("/price")).get_data() == b'{"zeta":1,"price":"9.50 EUR"}\n'
    assert await (await client.get("/dict")).get_json() == {"price": "1.00 EUR"}


def test_default_app_uses_the_plugin_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERLEN_PLUGINS", raising=False)  # Erlen's own plugins: json among them
    assert Erlen.json_provider_class is None
    app = Erlen(__name__, static_folder=None)
    assert app.json is not None
    assert app.json.dumps({"b": 1, "a": 2}) == '{"a":2,"b":1}'
