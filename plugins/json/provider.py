"""A Flask-API JSON provider on msgspec, with one long-lived encoder and decoder."""

from __future__ import annotations

import json as _stdlib_json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from erlen.json import JSONDecodeError, JSONProvider


def _enc_hook(obj: Any) -> Any:
    # Types msgspec does not know natively: objects with __html__ (Markup-like),
    # sets and anything that offers a JSON form.
    if hasattr(obj, "__html__"):
        return str(obj.__html__())
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if hasattr(obj, "__json__"):
        return obj.__json__()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _stdlib_default(obj: Any) -> Any:
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, (Decimal, UUID)):
        return str(obj)
    return msgspec.to_builtins(obj, enc_hook=_enc_hook)


class MsgspecJSONProvider(JSONProvider):
    """JSON with msgspec: dicts, lists, str, numbers, bool, None, dataclasses,
    date/datetime (ISO 8601), UUID, Decimal (as strings) and msgspec Structs.

    Keys are sorted, as Flask's default provider does. Invalid input to :meth:`loads`
    raises :class:`erlen.json.JSONDecodeError` (a ``ValueError``), which request parsing
    turns into a 400.
    """

    sort_keys = True

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._encoder = msgspec.json.Encoder(
            enc_hook=_enc_hook, order="sorted" if self.sort_keys else None
        )
        self._decoder = msgspec.json.Decoder()

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj``; stdlib-json keyword arguments (``indent``...) are honoured."""
        if kwargs:
            kwargs.setdefault("default", _stdlib_default)
            kwargs.setdefault("sort_keys", self.sort_keys)
            return _stdlib_json.dumps(obj, **kwargs)
        return self._encoder.encode(obj).decode()

    def dumps_bytes(self, obj: Any) -> bytes:
        """Serialize ``obj`` to bytes (the fast path used for responses)."""
        return self._encoder.encode(obj)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; raises :class:`~erlen.json.JSONDecodeError` on invalid input."""
        if kwargs:
            return _stdlib_json.loads(s, **kwargs)
        try:
            return self._decoder.decode(s)
        except msgspec.DecodeError as exc:
            raise JSONDecodeError(str(exc)) from None

    def response(self, *args: Any, **kwargs: Any) -> Any:
        """A JSON response (``application/json``), newline-terminated as Flask's."""
        obj = self._prepare_response_obj(args, kwargs)
        body = self._encoder.encode(obj) + b"\n"
        return self._app.response_class._of_bytes(body, self.mimetype)
