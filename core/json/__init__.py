"""JSON for the app: Flask's helpers over the current app's provider.

``app.json`` is the provider chosen through the ``erlen_json_provider`` hook (the ``json``
plugin answers with msgspec); :class:`DefaultJSONProvider` is the kernel's fallback. The
providers live in :mod:`erlen.json.provider` and Flask's tagged serializer (the session
cookie format) in :mod:`erlen.json.tag`, Quart's module paths.
"""

from __future__ import annotations

import json as _json
from typing import IO, TYPE_CHECKING, Any

from ..globals import _cv_app
from .provider import DefaultJSONProvider as DefaultJSONProvider
from .provider import JSONDecodeError as JSONDecodeError
from .provider import JSONProvider as JSONProvider
from .provider import _default

if TYPE_CHECKING:
    from ..wrappers.response import Response


def _provider() -> Any:
    ctx = _cv_app.get(None)
    return ctx.app.json if ctx is not None else None


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialize with the current app's provider (stdlib outside an app context)."""
    provider = _provider()
    if provider is not None:
        return provider.dumps(obj, **kwargs)  # type: ignore[no-any-return]
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Serialize to a file with the current app's provider."""
    fp.write(dumps(obj, **kwargs))


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse with the current app's provider (stdlib outside an app context)."""
    provider = _provider()
    if provider is not None:
        return provider.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: IO[Any], **kwargs: Any) -> Any:
    """Parse a file with the current app's provider."""
    return loads(fp.read(), **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response of ``args`` (one value, or several as a list) or ``kwargs``."""
    ctx = _cv_app.get(None)  # _provider(), inline: jsonify is on many requests' path
    if ctx is None:
        raise RuntimeError("jsonify() needs an application context")
    if kwargs or len(args) != 1:
        return ctx.app.json.response(*args, **kwargs)  # type: ignore[no-any-return]
    return ctx.app.json.response(args[0])  # type: ignore[no-any-return]  # no */** call
