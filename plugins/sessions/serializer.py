"""The tagged JSON serializer of session cookies (Flask's format).

JSON that round-trips tuples, bytes, Markup, UUIDs and datetimes, so a cookie written by
Flask or Quart with the same key and salt opens here and the other way round.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from datetime import datetime
from typing import Any
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date

_TAGS = (" t", " b", " m", " u", " d", " di")
#: Values :meth:`TaggedJSONSerializer._tag` returns as they are.
_PLAIN = frozenset((str, int, float, bool, type(None)))
#: ``json.dumps(value, separators=(",", ":"))`` with its encoder built once.
_encode = json.JSONEncoder(separators=(",", ":")).encode


class TaggedJSONSerializer:
    """JSON that round-trips tuples, bytes, Markup, UUIDs and datetimes (Flask's tags).

    Values of those types are stored as one-key objects such as ``{" t": [...]}``; a user
    dict that happens to look like a tag is escaped as ``{" di": {key + "__": value}}``.
    Datetimes are kept with second precision, in UTC (HTTP date format), as in Flask.
    """

    def _tag(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, inner),) = value.items()
                if key in _TAGS:
                    return {" di": {f"{key}__": self._tag(inner)}}
            return {k: self._tag(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return {" t": [self._tag(v) for v in value]}
        if isinstance(value, list):
            return [self._tag(v) for v in value]
        if isinstance(value, bytes):
            return {" b": b64encode(value).decode("ascii")}
        if isinstance(value, Markup) or callable(getattr(value, "__html__", None)):
            return {" m": str(value.__html__())}
        if isinstance(value, UUID):
            return {" u": value.hex}
        if isinstance(value, datetime):
            return {" d": http_date(value)}
        return value

    def _untag(self, value: Any) -> Any:
        # Called bottom-up by json.loads (object_hook): nested values are already untagged.
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key == " t":
                return tuple(inner)
            if key == " b":
                return b64decode(inner)
            if key == " m":
                return Markup(inner)
            if key == " u":
                return UUID(inner)
            if key == " d":
                return parse_date(inner)
            if key == " di":
                ((escaped, item),) = inner.items()
                return {escaped[:-2]: item}
        return value

    def dumps(self, value: Any) -> str:
        """Serialize ``value``."""
        if type(value) is dict and all(type(v) in _PLAIN for v in value.values()):
            # Plain values are tagged as themselves: only a one-key dict may need escaping.
            if len(value) != 1 or next(iter(value)) not in _TAGS:
                return _encode(value)
        return _encode(self._tag(value))

    def loads(self, value: str | bytes) -> Any:
        """Deserialize ``value``."""
        return json.loads(value, object_hook=self._untag)


session_json_serializer = TaggedJSONSerializer()
