"""The ``lifespan`` ASGI protocol handler: startup and shutdown of the app."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from . import signals

if TYPE_CHECKING:
    from .app import Erlen
    from .typing import Receive, Scope, Send


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


_startup_frozen = False


def freeze_startup_objects(app: Erlen) -> bool:
    """Move every object alive after the first startup into the GC's permanent generation.

    Modules, classes, routes, config and whatever startup built live as long as the
    process; freezing them (``gc.freeze()``, after a collection so no garbage is kept)
    keeps every later full collection from scanning them again, which a server pays for
    during requests (measured: ~6 µs of CPU per JSON request under hypercorn). Done once
    per process, on the first successful lifespan startup, so it also covers each worker
    of a multi-process server. Objects alive at that point are still freed by reference
    counting; only reference cycles among them are never collected. Opt out with
    ``app.config["GC_FREEZE_AFTER_STARTUP"] = False``. Returns whether this call froze.
    """
    global _startup_frozen
    if _startup_frozen or not app.config.get("GC_FREEZE_AFTER_STARTUP", True):
        return False
    _startup_frozen = True
    gc.collect()
    gc.freeze()
    return True


def make_lifespan_handler(app: Erlen) -> Any:
    """Build the ``lifespan`` handler.

    Startup runs ``app.startup()``, shutdown runs ``app.shutdown()``.
    """

    async def serve_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await app.startup()
                except Exception as error:
                    if signals.got_serving_exception.receivers:
                        await signals.send_async(
                            signals.got_serving_exception, app, exception=error
                        )
                    app.logger.error("Startup failed", exc_info=error)
                    await send({"type": "lifespan.startup.failed", "message": _describe(error)})
                    return
                freeze_startup_objects(app)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await app.shutdown()
                except Exception as error:
                    if signals.got_serving_exception.receivers:
                        await signals.send_async(
                            signals.got_serving_exception, app, exception=error
                        )
                    await send({"type": "lifespan.shutdown.failed", "message": _describe(error)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    return serve_lifespan
