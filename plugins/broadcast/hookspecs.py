"""Hook specifications of the ``broadcast`` plugin (added through ``erlen_addhooks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from erlen import hookspec

if TYPE_CHECKING:
    from erlen import Erlen


@hookspec
def erlen_broadcast_backends(app: Erlen) -> dict[str, Any] | None:
    """Contribute broadcast backends: return ``{url_scheme: backend_class}``.

    Startup: called when an app's hub starts (lifespan startup, or its first publish or
    subscribe). A backend class is called as ``cls(url, config)`` and implements
    :class:`erlen.plugins.broadcast.backend.Backend`. All implementations run; for a
    scheme claimed twice the one called first wins (``tryfirst`` replaces a built-in).
    The broadcast plugin answers for ``memory``, ``redis``, ``rediss``, ``valkey``,
    ``valkeys`` and ``unix`` through this same hook.
    """
