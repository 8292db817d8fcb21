"""The kernel's own hook implementations: registered on every app, before any plugin.

They answer ``trylast``, so any plugin can take over: the ``http`` and ``lifespan``
protocols and the stdlib JSON provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .hookspecs import hookimpl
from .json import DefaultJSONProvider
from .lifespan import make_lifespan_handler
from .pipeline.http import make_http_handler

if TYPE_CHECKING:
    from .app import Erlen


@hookimpl(trylast=True)
def erlen_protocol_handlers(app: Erlen) -> dict[str, Any]:
    """``http`` and ``lifespan``."""
    return {"http": make_http_handler(app), "lifespan": make_lifespan_handler(app)}


@hookimpl(trylast=True)
def erlen_json_provider(app: Erlen) -> Any:
    """The stdlib ``json`` provider, used when no JSON plugin is loaded."""
    return DefaultJSONProvider(app)
