"""The ``broadcast`` plugin: messages between websocket handlers, streams and tasks in
every worker on every host (docs/broadcast.md).

::

    from erlen.plugins.broadcast import broadcast, Message, Gap

    await broadcast.publish("room", {"user": "ann", "text": "hi"})
    async with broadcast.subscribe("room") as sub:
        async for event in sub:          # Message or Gap
            ...
    await broadcast.join("room", websocket)   # relay "room" to this connection

``broadcast`` is the current app's hub (:class:`Broadcast`). ``BROADCAST_URL`` picks the
backend: ``memory://`` (the default: one process, no task until used) or
``redis://``/``rediss://``/``unix://`` (``pip install 'erlen[redis]'``). Apps that never
use it pay nothing: the plugin adds no per-request or per-connection hook and starts no
task unless ``BROADCAST_URL`` names a broker or the hub is used.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from erlen import current_app, hookimpl
from werkzeug.local import LocalProxy

from . import hookspecs
from .backend import Backend, MemoryBackend
from .cli import broadcast_cli
from .events import (
    BroadcastClosed,
    BroadcastConfigError,
    BroadcastError,
    BroadcastUnavailable,
    Gap,
    Message,
    MessageTooLarge,
    SubscriberTooSlow,
)
from .hub import Broadcast, Subscription, builtin_backends
from .settings import DEFAULTS, default_url

__all__ = [
    "Backend",
    "Broadcast",
    "BroadcastClosed",
    "BroadcastConfigError",
    "BroadcastError",
    "BroadcastUnavailable",
    "Gap",
    "MemoryBackend",
    "Message",
    "MessageTooLarge",
    "Subscription",
    "SubscriberTooSlow",
    "broadcast",
]

#: ``app.extensions`` key of an app's hub.
EXTENSION_KEY = "broadcast"
#: Set by ``kernel run --workers N`` in each worker: how many there are.
WORKERS_ENV = "KERNEL_RUN_WORKERS"

logger = logging.getLogger("erlen.broadcast")


def hub_of(app: Any) -> Broadcast:
    """The broadcast hub of ``app``; RuntimeError naming the plugin if it is not loaded."""
    try:
        return app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError(
            "The broadcast plugin is not loaded in this app: add 'broadcast' to"
            " Erlen(..., plugins=[...]) or stop excluding it."
        ) from None


def _current_hub() -> Broadcast:
    return hub_of(current_app)


#: The current app's :class:`Broadcast` hub (a context proxy, like ``current_app``).
broadcast: Broadcast = LocalProxy(_current_hub)  # type: ignore[assignment]


@hookimpl
def erlen_addhooks(pluginmanager: Any) -> None:
    """Add the ``erlen_broadcast_backends`` hook specification."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def erlen_configure(app: Any) -> None:
    """Set the ``BROADCAST_*`` defaults and make the app's hub (idle: no connection,
    no task)."""
    app.config.setdefault("BROADCAST_URL", default_url())
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions[EXTENSION_KEY] = Broadcast(
        config=app.config,
        json=app.json,
        backends=lambda: backends_of(app),
        on_first_use=_warn_if_split,
    )


@hookimpl
def erlen_broadcast_backends(app: Any) -> dict[str, Any]:
    """The built-in schemes: memory, redis, rediss, valkey, valkeys, unix."""
    return builtin_backends()


@hookimpl
async def erlen_startup(app: Any) -> None:
    """Check ``BROADCAST_URL``; connect now to a broker (startup fails after
    ``BROADCAST_CONNECT_TIMEOUT`` with one line naming the URL and the cause)."""
    hub = hub_of(app)
    hub.reopen()
    backend = hub.make_backend()  # an unknown scheme or a bad URL fails here
    if backend.shared:
        try:
            await hub.start()
        except (BroadcastError, OSError) as exc:
            raise BroadcastConfigError(str(exc)) from None


@hookimpl
def erlen_cli_commands(cli: Any) -> None:
    """``kernel broadcast publish CHANNEL DATA`` and ``kernel broadcast status``."""
    cli.add_command(broadcast_cli)


@hookimpl
async def erlen_shutdown(app: Any) -> None:
    """Close the hub: subscriptions end, relays stop, the broker connection closes."""
    await hub_of(app).close()


def backends_of(app: Any) -> dict[str, Any]:
    """Every scheme the app's plugins serve (``erlen_broadcast_backends``): the first
    implementation called wins a scheme."""
    merged: dict[str, Any] = {}
    for result in app.plugin_manager.hook.erlen_broadcast_backends(app=app):
        for scheme, factory in (result or {}).items():
            merged.setdefault(scheme.lower(), factory)
    return merged


def _warn_if_split(hub: Broadcast) -> None:
    """With ``kernel run --workers N`` and a process-local backend, say so once."""
    backend = hub.backend
    try:
        workers = int(os.environ.get(WORKERS_ENV, "1"))
    except ValueError:
        workers = 1
    if backend is not None and not backend.shared and workers > 1:
        logger.warning(
            "Broadcast uses BROADCAST_URL=%s, which reaches this worker process only, but"
            " %d workers are running: messages will not reach clients of the other"
            " workers. Set BROADCAST_URL=redis://HOST:6379/0 (pip install 'erlen[redis]').",
            hub.url,
            workers,
        )
