"""The ``lifespan`` ASGI protocol handler: startup and shutdown of the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import signals

if TYPE_CHECKING:
    from .app import Erlen
    from .typing import Receive, Scope, Send


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


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
