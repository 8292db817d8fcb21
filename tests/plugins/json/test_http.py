"""The json plugin in requests and responses, and the stdlib fallback without it."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from erlen import Erlen, jsonify, request
from erlen import json as erlen_json
from erlen.json import DefaultJSONProvider


@dataclasses.dataclass
class User:
    name: str
    id: int


class Order(msgspec.Struct):
    total: Decimal
    ref: uuid.UUID


def make_app(**kwargs: Any) -> Erlen:
    app = Erlen(__name__, **kwargs)

    @app.route("/echo", methods=["POST"])
    async def echo() -> Any:
        return jsonify(await request.get_json())

    @app.route("/silent", methods=["POST"])
    async def silent() -> Any:
        return {"got": await request.get_json(silent=True)}

    @app.route("/forced", methods=["POST"])
    async def forced() -> Any:
        return {"got": await request.get_json(force=True)}

    @app.route("/awaitable", methods=["POST"])
    async def awaitable() -> Any:
        return {"json": await request.json}

    @app.route("/types")
    async def types() -> Any:
        return jsonify(
            user=User("ada", 1), day=date(2024, 2, 3), amount=Decimal("9.99"), id=uuid.UUID(int=2)
        )

    @app.route("/dict")
    async def as_dict() -> Any:
        return {"b": [1, 2], "a": None}

    @app.route("/list")
    async def as_list() -> Any:
        return [1, "x", True]

    return app


@pytest.fixture(params=["plugin", "fallback"])
def app(request: pytest.FixtureRequest) -> Erlen:
    if request.param == "plugin":
        return make_app()
    return make_app(exclude_plugins=["json"])


async def test_provider_choice(app: Erlen) -> None:
    fallback = "json" not in app.plugins
    assert isinstance(app.json, DefaultJSONProvider) is fallback


async def test_echo_round_trip(app: Erlen) -> None:
    payload = {"b": [1, 2.5, None, True], "a": {"é": "✓"}}
    response = await app.test_client().post("/echo", json=payload)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert await response.get_json() == payload


@pytest.mark.parametrize("body", [b"{bad", b"", b"[1,", b"\xff", b"[" * 50_000, b"{'a':1}"])
async def test_invalid_json_is_400(app: Erlen, body: bytes) -> None:
    client = app.test_client()
    headers = {"Content-Type": "application/json"}
    response = await client.post("/echo", data=body, headers=headers)
    assert response.status_code == 400
    silent = await client.post("/silent", data=body, headers=headers)
    assert (silent.status_code, await silent.get_json()) == (200, {"got": None})


async def test_non_json_mimetype(app: Erlen) -> None:
    client = app.test_client()
    response = await client.post("/echo", data=b'{"a": 1}', headers={"Content-Type": "text/plain"})
    assert (response.status_code, await response.get_json()) == (200, None)
    forced = await client.post("/forced", data=b'{"a": 1}', headers={"Content-Type": "text/plain"})
    assert await forced.get_json() == {"got": {"a": 1}}
    silent = await client.post("/silent", data=b'{"a": 1}', headers={"Content-Type": "text/plain"})
    assert await silent.get_json() == {"got": None}


async def test_request_json_is_awaitable(app: Erlen) -> None:
    response = await app.test_client().post("/awaitable", json=[1, 2])
    assert await response.get_json() == {"json": [1, 2]}


async def test_dict_and_list_return_values(app: Erlen) -> None:
    client = app.test_client()
    response = await client.get("/dict")
    assert response.mimetype == "application/json"
    assert await response.get_data() == b'{"a":null,"b":[1,2]}\n'
    assert await (await client.get("/list")).get_json() == [1, "x", True]


async def test_supported_types(app: Erlen) -> None:
    data = await (await app.test_client().get("/types")).get_json()
    assert data["user"] == {"id": 1, "name": "ada"}
    assert data["amount"] == "9.99"
    assert data["id"] == "00000000-0000-0000-0000-000000000002"
    # The plugin writes ISO 8601; the stdlib fallback writes Flask's HTTP dates.
    assert data["day"] in ("2024-02-03", "Sat, 03 Feb 2024 00:00:00 GMT")
    if "json" in app.plugins:
        assert data["day"] == "2024-02-03"


async def test_module_helpers_use_the_app_provider(app: Erlen) -> None:
    async with app.app_context():
        assert erlen_json.loads(erlen_json.dumps({"k": [1]})) == {"k": [1]}
        with pytest.raises(ValueError):
            erlen_json.loads("{nope")


async def test_views_may_return_structs_and_dataclasses() -> None:
    app = Erlen(__name__)

    @app.route("/order")
    async def order() -> Any:
        return Order(total=Decimal("3.50"), ref=uuid.UUID(int=3))

    @app.route("/user")
    async def user() -> Any:
        return User("bob", 7), 201

    client = app.test_client()
    response = await client.get("/order")
    assert response.mimetype == "application/json"
    assert await response.get_json() == {
        "ref": "00000000-0000-0000-0000-000000000003",
        "total": "3.50",
    }
    created = await client.get("/user")
    assert (created.status_code, await created.get_json()) == (201, {"id": 7, "name": "bob"})


async def test_fallback_jsonify_matches_flask_format() -> None:
    app = make_app(plugins=["testing"])
    assert "json" not in app.plugins
    response = await app.test_client().get("/dict")
    assert await response.get_data() == b'{"a":null,"b":[1,2]}\n'
    app.json.ensure_ascii = True
    async with app.app_context():
        assert await jsonify("é").get_data() == b'"\\u00e9"\n'
