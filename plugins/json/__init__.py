"""The ``json`` plugin: JSON encoding and decoding with msgspec.

Implements ``erlen_json_provider`` (``app.json`` becomes a :class:`MsgspecJSONProvider`)
and ``erlen_convert_return_value`` (a view may return a msgspec ``Struct`` or a
dataclass and get a JSON response).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
from erlen import hookimpl

from .provider import MsgspecJSONProvider

__all__ = ["MsgspecJSONProvider"]


@hookimpl
def erlen_json_provider(app: Any) -> MsgspecJSONProvider:
    """Use msgspec for ``app.json``."""
    return MsgspecJSONProvider(app)


@hookimpl
def erlen_convert_return_value(app: Any, value: Any) -> Any:
    """Views may return msgspec Structs and dataclass instances: JSON responses."""
    if isinstance(value, msgspec.Struct) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    ):
        return app.json.response(value)
    return None
