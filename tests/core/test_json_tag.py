"""``erlen.json.tag``: Flask's tagged JSON (the session cookie format) and its tag API.

Flask's own serializer (installed with Quart by the ``test`` extra) is the reference: the
same value gives the same JSON text, and each reads what the other wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from erlen.json.tag import JSONTag, PassDict, TaggedJSONSerializer, TagTuple
from flask.json.tag import TaggedJSONSerializer as FlaskSerializer
from markupsafe import Markup

VALUES: list[Any] = [
    {"user": "ada", "visits": 3, "ok": True, "none": None, "ratio": 0.5},
    {"cart": (1, 2, (3, "x"))},
    {"blob": b"\x00\xffbytes"},
    {"html": Markup("<b>bold</b>")},
    {"id": UUID("12345678-1234-5678-1234-567812345678")},
    {"when": datetime(2026, 12, 6, 20, 0, 5, tzinfo=UTC)},
    {" t": "a user key that looks like a tag"},
    {"nested": [{" di": {"x": 1}}, [b"a", ("b",)]]},
    [1, "two", (3,)],
    ("top", "level"),
    "plain",
]


@pytest.mark.parametrize("value", VALUES)
def test_round_trip(value: Any) -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.loads(serializer.dumps(value)) == value


@pytest.mark.parametrize("value", VALUES)
def test_same_text_as_flask_and_each_reads_the_other(value: Any) -> None:
    ours, flasks = TaggedJSONSerializer(), FlaskSerializer()
    assert ours.dumps(value) == flasks.dumps(value)
    assert ours.loads(flasks.dumps(value)) == value
    assert flasks.loads(ours.dumps(value)) == value


def test_markup_and_html_objects_come_back_as_markup() -> None:
    class Html:
        def __html__(self) -> str:
            return "<i>x</i>"

    value = TaggedJSONSerializer().loads(TaggedJSONSerializer().dumps({"h": Html()}))
    assert value == {"h": Markup("<i>x</i>")}
    assert isinstance(value["h"], Markup)


class TagDecimal(JSONTag):
    __slots__ = ()
    key = " dec"

    def check(self, value: Any) -> bool:
        return isinstance(value, Decimal)

    def to_json(self, value: Any) -> Any:
        return str(value)

    def to_python(self, value: Any) -> Any:
        return Decimal(value)


def test_a_registered_tag_round_trips_its_type() -> None:
    serializer = TaggedJSONSerializer()
    serializer.register(TagDecimal)
    text = serializer.dumps({"price": Decimal("9.99")})
    assert text == '{"price":{" dec":"9.99"}}'
    assert serializer.loads(text) == {"price": Decimal("9.99")}
    # A user dict shaped like the new tag is escaped, not read as one.
    assert serializer.loads(serializer.dumps({" dec": "1"})) == {" dec": "1"}


def test_registering_a_key_twice_needs_force() -> None:
    serializer = TaggedJSONSerializer()
    with pytest.raises(KeyError, match="already registered"):
        serializer.register(TagTuple)

    class ListTuple(TagTuple):
        __slots__ = ()

        def to_python(self, value: Any) -> Any:
            return list(value)

    serializer.register(ListTuple, force=True, index=0)
    assert serializer.loads('{"t":{" t":[1,2]}}') == {"t": [1, 2]}
    assert isinstance(serializer.order[0], ListTuple)


def test_index_decides_which_tag_is_tried_first() -> None:
    class TagUpper(JSONTag):
        __slots__ = ()
        key = " up"

        def check(self, value: Any) -> bool:
            return isinstance(value, str) and value.isupper()

        def to_json(self, value: Any) -> Any:
            return value.lower()

        def to_python(self, value: Any) -> Any:
            return value.upper()

    serializer = TaggedJSONSerializer()
    serializer.register(TagUpper, index=0)
    assert serializer.dumps("ABC") == '{" up":"abc"}'
    assert serializer.loads(serializer.dumps({"k": ["ABC", "def"]})) == {"k": ["ABC", "def"]}


def test_untag_leaves_other_dicts_alone() -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.untag({"a": 1, "b": 2}) == {"a": 1, "b": 2}
    assert serializer.untag({"unknown": 1}) == {"unknown": 1}
    assert serializer.untag({" t": [1]}) == (1,)


def test_pass_tags_have_no_key_and_do_not_wrap() -> None:
    serializer = TaggedJSONSerializer()
    assert PassDict.key == ""
    assert PassDict(serializer).tag({"a": (1,)}) == {"a": {" t": [1]}}
    assert "" not in serializer.tags
