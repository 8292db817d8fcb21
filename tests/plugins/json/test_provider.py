"""``app.json`` from the json plugin: msgspec codec with Flask's provider API."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from erlen import Erlen, jsonify, request
from erlen.json import JSONDecodeError
from erlen.plugins.json import MsgspecJSONProvider
from werkzeug.datastructures import MultiDict


@dataclasses.dataclass
class Point:
    y: int
    x: int


class Item(msgspec.Struct):
    name: str
    price: Decimal


class Html:
    def __html__(self) -> str:
        return "<b>safe</b>"


@pytest.fixture
def app() -> Erlen:
    return Erlen(__name__)


def test_app_json_is_the_msgspec_provider(app: Erlen) -> None:
    assert "json" in app.plugins
    assert isinstance(app.json, MsgspecJSONProvider)
    assert app.json.mimetype == "application/json"
    assert (app.json.sort_keys, app.json.ensure_ascii, app.json.compact) == (True, False, None)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ({"b": 1, "a": 2}, '{"a":2,"b":1}'),
        ([1, "two", 3.5], '[1,"two",3.5]'),
        ("text", '"text"'),
        (42, "42"),
        (-1.25, "-1.25"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (Point(y=2, x=1), '{"x":1,"y":2}'),
        (date(2024, 1, 2), '"2024-01-02"'),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), '"2024-01-02T03:04:05Z"'),
        (uuid.UUID(int=1), '"00000000-0000-0000-0000-000000000001"'),
        (Decimal("1.10"), '"1.10"'),
        (Item("pen", Decimal("2.5")), '{"name":"pen","price":"2.5"}'),
        (
            {"nested": [{"z": None, "a": [Point(0, 1)]}]},
            '{"nested":[{"a":[{"x":1,"y":0}],"z":null}]}',
        ),
        (Html(), '"<b>safe</b>"'),
        ("é✓", '"é✓"'),
    ],
)
def test_dumps(app: Erlen, value: Any, encoded: str) -> None:
    assert app.json.dumps(value) == encoded


def test_unknown_type_is_a_type_error(app: Erlen) -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        app.json.dumps({"x": object()})


def test_dumps_kwargs_follow_the_stdlib(app: Erlen) -> None:
    assert app.json.dumps({"b": 1, "a": date(2024, 1, 2)}, indent=1) == (
        '{\n "a": "2024-01-02",\n "b": 1\n}'
    )


def test_loads_round_trip(app: Erlen) -> None:
    text = '{"a": [1, 2.5, "x", true, false, null], "b": {"c": "é"}}'
    expected = {"a": [1, 2.5, "x", True, False, None], "b": {"c": "é"}}
    assert app.json.loads(text) == expected
    assert app.json.loads(text.encode()) == expected


@pytest.mark.parametrize(
    "bad", [b"", b"{bad", b"[1,", b"\xff\xfe", b"{'a': 1}", b"[" * 100_000, b"1e999999"]
)
def test_invalid_json_raises_json_decode_error(app: Erlen, bad: bytes) -> None:
    with pytest.raises(JSONDecodeError) as info:
        app.json.loads(bad)
    assert isinstance(info.value, ValueError)


async def test_response(app: Erlen) -> None:
    response = app.json.response({"b": 1, "a": [1, 2]})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert await response.get_data() == b'{"a":[1,2],"b":1}\n'
    assert await app.json.response(1, 2).get_data() == b"[1,2]\n"
    assert await app.json.response(a=1).get_data() == b'{"a":1}\n'
    assert await app.json.response().get_data() == b"null\n"
    with pytest.raises(TypeError):
        app.json.response(1, a=2)


async def test_keys_that_are_not_strings_are_written_as_flask_writes_them(app: Erlen) -> None:
    # An OpenAPI document read from YAML has int status codes as keys; Flask's provider
    # (the stdlib) sorts such keys by value and writes them as strings.
    spec = {"paths": {"/": {"get": {"responses": {404: "no", 200: "ok"}}}}}
    expected = '{"paths":{"/":{"get":{"responses":{"200":"ok","404":"no"}}}}}'
    assert app.json.dumps(spec) == expected
    assert app.json.dumps({2.5: "x", 1: "y"}) == '{"1":"y","2.5":"x"}'
    assert app.json.dumps({True: 1}) == '{"true":1}'
    assert app.json.dumps({None: 1}) == '{"null":1}'
    assert await app.json.response(spec).get_data() == expected.encode() + b"\n"

    @app.route("/spec")
    async def view() -> Any:
        return spec

    response = await app.test_client().get("/spec")
    assert response.status_code == 200
    assert await response.get_json() == {
        "paths": {"/": {"get": {"responses": {"200": "ok", "404": "no"}}}}
    }
    with pytest.raises(TypeError):  # unsortable keys fail as in Flask
        app.json.dumps({1: "a", "b": 2})


def test_sort_keys_can_be_turned_off(app: Erlen) -> None:
    app.json.sort_keys = False
    assert app.json.dumps({"b": 1, "a": 2}) == '{"b":1,"a":2}'
    assert app.json.dumps(Point(y=2, x=1)) == '{"y":2,"x":1}'
    app.json.sort_keys = True
    assert app.json.dumps({"b": 1, "a": 2}) == '{"a":2,"b":1}'


async def test_ensure_ascii_escapes_non_ascii(app: Erlen) -> None:
    app.json.ensure_ascii = True
    assert app.json.dumps({"k": "é"}) == '{"k":"\\u00e9"}'
    assert await app.json.response(["é", Point(1, 2)]).get_data() == (
        b'["\\u00e9",{"x":2,"y":1}]\n'
    )


async def test_compact_and_debug_indentation(app: Erlen) -> None:
    assert await app.json.response({"a": 1}).get_data() == b'{"a":1}\n'
    app.debug = True
    assert await app.json.response({"a": 1}).get_data() == b'{\n  "a": 1\n}\n'
    app.json.compact = True
    assert await app.json.response({"a": 1}).get_data() == b'{"a":1}\n'
    app.debug = False
    app.json.compact = False
    assert await app.json.response({"a": 1}).get_data() == b'{\n  "a": 1\n}\n'


def test_mimetype_and_default_can_be_customised() -> None:
    class Custom(MsgspecJSONProvider):
        mimetype = "application/vnd.api+json"

        @staticmethod
        def default(obj: Any) -> Any:
            if isinstance(obj, complex):
                return [obj.real, obj.imag]
            raise TypeError("nope")

    app = Erlen(__name__)
    app.json = Custom(app)
    assert app.json.dumps({"c": 1 + 2j}) == '{"c":[1.0,2.0]}'
    assert app.json.response([]).mimetype == "application/vnd.api+json"


def test_no_json_sort_keys_config_key(app: Erlen) -> None:
    # Flask 2.3 / Quart moved JSON options to provider attributes: no config keys.
    assert not [key for key in app.config if key.startswith("JSON")]


def test_multidict_is_written_from_its_first_values_as_flask_does(app: Erlen) -> None:
    # msgspec alone writes a dict subclass from its storage: a MultiDict's lists.
    args = MultiDict([("q", "1"), ("q", "2"), ("r", "3")])
    assert app.json.dumps(args) == '{"q":"1","r":"3"}'


def test_multidict_inside_a_dict_or_list_is_written_from_its_storage(app: Erlen) -> None:
    # The documented limit (porting guide, "JSON"): responses are not walked.
    assert app.json.dumps({"args": MultiDict([("q", "1"), ("q", "2")])}) == (
        '{"args":{"q":["1","2"]}}'
    )
    assert app.json.dumps([MultiDict([("q", "1")])]) == '[{"q":["1"]}]'


async def test_jsonify_of_request_args_and_cookies_gives_one_value_each(app: Erlen) -> None:
    @app.route("/keywords")
    async def keywords() -> Any:
        return jsonify(args=request.args, cookies=request.cookies)

    @app.route("/positional")
    async def positional() -> Any:
        return jsonify(request.args)

    @app.route("/several")
    async def several() -> Any:
        return jsonify(request.args, request.cookies)

    client = app.test_client()
    headers = {"Cookie": "a=x; b=y"}
    response = await client.get("/keywords?q=1&q=2", headers=headers)
    assert await response.get_json() == {"args": {"q": "1"}, "cookies": {"a": "x", "b": "y"}}
    response = await client.get("/positional?q=1&q=2")
    assert await response.get_json() == {"q": "1"}
    response = await client.get("/several?q=1&q=2", headers=headers)
    assert await response.get_json() == [{"q": "1"}, {"a": "x", "b": "y"}]


class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (float("nan"), "null"),  # Flask: NaN, which is not JSON
        (float("-inf"), "null"),  # Flask: -Infinity
        (b"ab", '"YWI="'),  # Flask: TypeError
        (Colour.RED, '"red"'),  # Flask: TypeError
    ],
)
def test_values_written_unlike_flask_as_the_porting_guide_says(
    app: Erlen, value: Any, written: str
) -> None:
    assert app.json.dumps({"x": value}) == '{"x":' + written + "}"
