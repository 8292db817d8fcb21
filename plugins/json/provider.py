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


def _is_dict_subclass(value: Any) -> bool:
    """Whether msgspec and the stdlib may write ``value`` differently: msgspec writes a
    dict subclass from its storage, the stdlib (so Flask and Quart) from its ``items()``.
    They differ for werkzeug's ``MultiDict`` (``request.args``, ``form`` and ``cookies``
    store a list of values per key; Flask writes the first)."""
    return value.__class__ is not dict and isinstance(value, dict)


class MsgspecJSONProvider(JSONProvider):
    """JSON with msgspec: dicts, lists, str, numbers, bool, None, dataclasses,
    date/datetime (ISO 8601), UUID, Decimal (as strings) and msgspec Structs.

    Flask's provider attributes are honoured, also when changed on ``app.json`` at run
    time: ``sort_keys`` (default ``True``), ``ensure_ascii`` (default ``False``: msgspec
    writes UTF-8; ``True`` escapes non-ASCII as Flask does, on a slower path), ``compact``
    (``None``: responses are indented in debug mode only), ``mimetype`` and ``default``
    (the hook for types msgspec does not know). Invalid input to :meth:`loads` raises
    :class:`erlen.json.JSONDecodeError` (a ``ValueError``), which request parsing turns
    into a 400.
    """

    #: Hook called for objects msgspec cannot encode; return something it can.
    default = staticmethod(_enc_hook)
    #: ``True``: ``\\uXXXX`` escapes for non-ASCII characters (stdlib path).
    ensure_ascii = False
    #: ``None``: compact responses unless the app is in debug mode; ``False``: indented.
    compact: bool | None = None

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._sort_keys = True
        self._encoder = self._make_encoder()
        self._decoder = msgspec.json.Decoder()

    def _make_encoder(self) -> msgspec.json.Encoder:
        return msgspec.json.Encoder(
            enc_hook=self.default, order="sorted" if self._sort_keys else None
        )

    @property
    def sort_keys(self) -> bool:
        """Whether object keys (and dataclass/Struct fields) are written sorted."""
        return self._sort_keys

    @sort_keys.setter
    def sort_keys(self, value: bool) -> None:
        self._sort_keys = bool(value)
        self._encoder = self._make_encoder()

    def _stdlib_default(self, obj: Any) -> Any:
        if isinstance(obj, (datetime, date)):
            return obj.isoformat()
        if isinstance(obj, (Decimal, UUID)):
            return str(obj)
        return msgspec.to_builtins(obj, enc_hook=self.default)

    def _stdlib_dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self._stdlib_default)
        kwargs.setdefault("sort_keys", self._sort_keys)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        return _stdlib_json.dumps(obj, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj``; stdlib-json keyword arguments (``indent``...) are honoured."""
        if kwargs:
            return self._stdlib_dumps(obj, **kwargs)
        return self.dumps_bytes(obj).decode()

    def _stdlib_bytes(self, obj: Any) -> bytes:
        return self._stdlib_dumps(obj, separators=(",", ":")).encode()

    def dumps_bytes(self, obj: Any) -> bytes:
        """Serialize ``obj`` to bytes (the fast path used for responses)."""
        if self.ensure_ascii:
            return self._stdlib_bytes(obj)
        # A dict subclass goes the stdlib way when it is ``obj`` itself (and, in
        # response(), one of jsonify's arguments): looking inside every response would
        # cost each one a walk, so one inside a dict or list is written from its storage,
        # as the porting guide says (tests/plugins/json/test_provider.py pins both). An
        # exact dict or list is never a subclass: the common responses skip the test.
        kind = obj.__class__
        if kind is not dict and kind is not list and _is_dict_subclass(obj):
            return self._stdlib_bytes(obj)
        try:
            return self._encoder.encode(obj)
        except TypeError:
            # msgspec refuses what the stdlib writes: keys that are not strings (int,
            # float, bool, None) in sorted order. The stdlib path writes them as Flask
            # does (sorted by their own value, then as strings), and raises the same
            # TypeError for an object no path can write.
            return self._stdlib_bytes(obj)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; raises :class:`~erlen.json.JSONDecodeError` on invalid input."""
        try:
            if kwargs:
                return _stdlib_json.loads(s, **kwargs)
            try:
                return self._decoder.decode(s)
            except msgspec.DecodeError:
                # msgspec reads UTF-8 only; JSON in UTF-16/32 or behind a UTF-8 BOM is
                # valid for Flask (RFC 8259 section 8.1 lets a parser accept it): decode
                # it as the stdlib's detect_encoding says and parse again.
                if isinstance(s, str) or _stdlib_json.detect_encoding(s) == "utf-8":
                    raise
                return self._decoder.decode(bytes(s).decode(_stdlib_json.detect_encoding(s)))
        except (msgspec.DecodeError, ValueError, RecursionError) as exc:
            # RecursionError: absurdly deep nesting is bad input too, not a server error.
            raise JSONDecodeError(str(exc) or "JSON nested too deeply", s) from None

    def response(self, *args: Any, **kwargs: Any) -> Any:
        """A JSON response (``application/json``), newline-terminated as Flask's."""
        if len(args) == 1 and not kwargs:  # jsonify(obj), the common call
            body = self.dumps_bytes(args[0])
        else:
            obj = self._prepare_response_obj(args, kwargs)
            # jsonify(args=request.args), jsonify(a, b): each argument is looked at as
            # dumps_bytes looks at the one of jsonify(obj).
            if any(map(_is_dict_subclass, kwargs.values() if kwargs else args)):
                body = self._stdlib_bytes(obj)
            else:
                body = self.dumps_bytes(obj)
        compact = self.compact
        if compact is False or (compact is None and self._app.config["DEBUG"]):
            body = msgspec.json.format(body, indent=2)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)
