"""The app's JSON providers: Flask's provider protocol and the kernel's stdlib fallback.

``app.json`` is the provider chosen through the ``erlen_json_provider`` hook (the ``json``
plugin answers with msgspec); :class:`DefaultJSONProvider` is the kernel's fallback.
Quart's ``quart.json.provider`` module path; :mod:`erlen.json` exports the same names.
"""

from __future__ import annotations

import dataclasses
import decimal
import json as _json
import uuid
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from werkzeug.http import http_date

if TYPE_CHECKING:
    from ..app import Erlen
    from ..wrappers.response import Response

__all__ = ["DefaultJSONProvider", "JSONDecodeError", "JSONProvider"]


class JSONDecodeError(_json.JSONDecodeError):
    """Invalid JSON, whatever the backend.

    A subclass of the standard library's ``json.JSONDecodeError`` (so a ``ValueError``):
    Flask and Quart code catches that around ``app.json.loads`` or
    ``websocket.receive_json()``. ``str()`` is the backend's message as is; ``doc`` and
    ``pos`` are the document and offset when the backend reports them.
    """

    def __init__(self, msg: str = "", doc: str | bytes = "", pos: int = 0) -> None:
        # Not the stdlib __init__: it appends "line 1 column 1 (char 0)" to the message,
        # which the msgspec backend already words its own way.
        ValueError.__init__(self, msg)
        if isinstance(doc, (bytes, bytearray)):
            doc = bytes(doc).decode("utf-8", "replace")
        self.msg = msg
        self.doc = doc
        self.pos = pos
        self.lineno = doc.count("\n", 0, pos) + 1
        self.colno = pos - doc.rfind("\n", 0, pos)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.msg, self.doc, self.pos)


class JSONProvider:
    """Flask's JSON provider API. Subclass and set ``app.json`` to customise."""

    mimetype = "application/json"

    def __init__(self, app: Erlen) -> None:
        self._app = app

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj`` to a JSON string."""
        raise NotImplementedError

    def dumps_bytes(self, obj: Any) -> bytes:
        """Serialize ``obj`` to UTF-8 JSON bytes."""
        return self.dumps(obj).encode()

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Serialize ``obj`` to a file."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; raises ``ValueError`` on invalid input."""
        raise NotImplementedError

    def load(self, fp: IO[Any], **kwargs: Any) -> Any:
        """Parse JSON from a file."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response: one argument as is, several as a list, kwargs as a dict."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps_bytes(obj), mimetype=self.mimetype)


def _default(o: Any) -> Any:
    """The stdlib encoder's ``default``: dates, Decimals, UUIDs, dataclasses, ``__html__``."""
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses and dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


class DefaultJSONProvider(JSONProvider):
    """JSON with the standard library (Flask's default provider's behaviour)."""

    default = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    compact: bool | None = None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize with ``json.dumps`` (dates, UUIDs, Decimals and dataclasses handled)."""
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return _json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse with ``json.loads``; invalid input raises :class:`JSONDecodeError`."""
        try:
            return _json.loads(s, **kwargs)
        except (ValueError, RecursionError) as exc:
            # RecursionError: absurdly deep nesting is bad input too, not a server error.
            pos = getattr(exc, "pos", 0)
            raise JSONDecodeError(str(exc) or "JSON nested too deeply", s, pos) from None

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response (indented in debug mode, as Flask does)."""
        obj = self._prepare_response_obj(args, kwargs)
        dump_args: dict[str, Any] = {}
        if (self.compact is None and self._app.debug) or self.compact is False:
            dump_args.setdefault("indent", 2)
        else:
            dump_args.setdefault("separators", (",", ":"))
        return self._app.response_class(f"{self.dumps(obj, **dump_args)}\n", mimetype=self.mimetype)
