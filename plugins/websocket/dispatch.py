"""The websocket handler pipeline (Quart's method names and order).

``handle_websocket`` matches the URL (websocket rules only: an HTTP-only rule is a 400,
as werkzeug's ``WebsocketMismatch``), pushes the websocket context and runs
``full_dispatch_websocket``: url value preprocessors -> plugin ``erlen_before_websocket``
-> ``before_websocket`` functions -> the handler -> ``after_this_websocket`` ->
``after_websocket`` functions -> plugin ``erlen_after_websocket`` -> session save (only
when there is a response to carry the cookie). The chains come from the endpoint's
compiled :class:`~erlen.dispatch.Plan` (``before_ws``/``after_ws``/``teardown_ws``), so a
connection does no registry lookups.

Errors: an exception with a registered error handler is answered by it; an unhandled one
fires ``got_websocket_exception``, propagates when ``PROPAGATE_EXCEPTIONS`` (or testing /
debug) is set, and is otherwise logged once and answered with a 500 (before accept) or
close code 1011 (after accept). ``ConnectionClosed`` is a disconnect, not an error: it
passes through untouched.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from typing import TYPE_CHECKING, Any

from erlen import signals
from erlen.dispatch import run_before_functions
from erlen.globals import _cv_websocket
from erlen.hooktable import compile_hook
from werkzeug.exceptions import InternalServerError

if TYPE_CHECKING:
    from erlen import Erlen
    from erlen.ctx import WebsocketContext
    from erlen.wrappers.response import Response

    from .wrapper import Websocket


#: Where the dispatcher lives on the app (``app.extensions``).
EXTENSION_KEY = "erlen.websocket"


class WebsocketDispatcher:
    """Runs websocket handlers for one app (``app.extensions["erlen.websocket"]``).

    The app's methods of the same names (``app.handle_websocket``...) hand over to this
    object, and the stages call each other through the app, so an app subclass overriding
    one stage (as Quart allows) is honoured.
    """

    hooks_before: Any = ()
    hooks_after: Any = ()
    hooks_teardown: Any = ()

    def __init__(self, app: Erlen) -> None:
        self.app = app

    def compile(self) -> None:
        """Read the plugin hooks into plain callables (at freeze: plugins are final)."""
        pm = self.app.plugin_manager
        self.hooks_before = compile_hook(pm, "erlen_before_websocket", ("app", "websocket"))
        self.hooks_after = compile_hook(
            pm, "erlen_after_websocket", ("app", "websocket", "response")
        )
        self.hooks_teardown = compile_hook(
            pm, "erlen_teardown_websocket", ("app", "websocket", "exc")
        )

    async def handle_websocket(self, websocket: Websocket) -> Response | None:
        """Match, push the context, dispatch; returns the response to reject with, if any.

        Sets ``websocket.failed`` when an unhandled error ended the handler.
        """
        app = self.app
        app.match_request(websocket, websocket=True)
        ctx = app.websocket_context(websocket)
        ctx.push()
        error: BaseException | None = None
        try:
            try:
                if not app._session_is_lazy():
                    await ctx.open_session()
                return await app.full_dispatch_websocket(ctx)  # type: ignore[no-any-return]
            except asyncio.CancelledError:  # ConnectionClosed included: not an error
                raise
            except Exception as exc:
                error = exc
                websocket.failed = True  # after accept: close 1011
                return await app.handle_websocket_exception(exc)  # type: ignore[no-any-return]
        except BaseException as exc:
            error = exc
            raise
        finally:
            if self.hooks_teardown:
                await self._plugin_teardown(websocket, error)
            await ctx.pop(error)

    async def full_dispatch_websocket(
        self, websocket_context: WebsocketContext | None = None
    ) -> Response | None:
        """Preprocess, run the handler, finalize; user exceptions go to error handlers."""
        app = self.app
        ctx = websocket_context or _cv_websocket.get()
        if signals.websocket_started.receivers:
            await signals.send_async(signals.websocket_started, app)
        try:
            result = await app.preprocess_websocket(ctx)
            if result is None:
                result = await app.dispatch_websocket(ctx)
        except Exception as error:
            result = await app.handle_user_exception(error)
        return await app.finalize_websocket(result, ctx)  # type: ignore[no-any-return]

    async def preprocess_websocket(self, websocket_context: WebsocketContext | None = None) -> Any:
        """URL value preprocessors, plugin and app ``before_websocket``; first non-None
        result wins (and rejects the handshake if it was not accepted)."""
        app = self.app
        websocket = (websocket_context or _cv_websocket.get()).websocket
        plan = app.plan_for(websocket)
        return await run_before_functions(
            app, websocket, plan.preprocessors, self.hooks_before, plan.before_ws
        )

    async def dispatch_websocket(self, websocket_context: WebsocketContext | None = None) -> Any:
        """Call the handler; raises the routing error (404, 400 mismatch...) if any."""
        app = self.app
        websocket = (websocket_context or _cv_websocket.get()).websocket
        if websocket.routing_exception is not None:
            app.raise_routing_exception(websocket)
        plan = app.plan_for(websocket)
        if plan.view is None:
            raise AssertionError(f"No view function for endpoint {websocket.endpoint!r}")
        return await plan.view(**(websocket.view_args or {}))

    async def finalize_websocket(
        self,
        result: Any,
        websocket_context: WebsocketContext | None = None,
        from_error_handler: bool = False,
    ) -> Response | None:
        """Make the response (if the handler returned one) and post-process it."""
        app = self.app
        response = await app.make_response(result) if result is not None else None
        try:
            response = await app.postprocess_websocket(response, websocket_context)
            if signals.websocket_finished.receivers:
                await signals.send_async(signals.websocket_finished, app, response=response)
        except Exception:
            if not from_error_handler:
                raise
            app.logger.exception("Websocket finalizing errored")
        return response

    async def postprocess_websocket(
        self, response: Response | None, websocket_context: WebsocketContext | None = None
    ) -> Response | None:
        """``after_this_websocket``, ``after_websocket`` (innermost blueprint first),
        plugin hooks, then the session save (a response is needed to carry it)."""
        app = self.app
        ctx = websocket_context or _cv_websocket.get()
        for func in ctx._after_funcs:
            response = await app.ensure_async(func)(response)
        for func in app.plan_for(ctx.websocket).after_ws:
            response = await func(response)
        for hook, is_async in self.hooks_after:
            rv = hook(app, ctx.websocket, response)
            if is_async:
                rv = await rv
            if rv is not None:
                response = rv
        if response is not None:
            await app._save_session(ctx, response)
        elif ctx.session_opened and getattr(ctx.session, "modified", False):
            app.logger.warning(
                "The session was modified during a websocket handler that returned no"
                " response: the change is lost, as no cookie can be set after the handshake."
            )
        return response

    async def handle_websocket_exception(self, error: Exception) -> Response | None:
        """The unhandled-error path: signal, plugins, propagate in testing/debug, else
        log once and answer with the 500 handler's response."""
        app = self.app
        ctx = _cv_websocket.get()
        websocket = ctx.websocket
        if signals.got_websocket_exception.receivers:
            await signals.send_async(signals.got_websocket_exception, app, exception=error)
        hooked = app.plugin_manager.hook.erlen_handle_exception(
            app=app, request=websocket, exc=error
        )
        if hooked is not None:
            if inspect.isawaitable(hooked):
                hooked = await hooked
            if hooked is not None:
                return await app.make_response(hooked)
        if app.should_propagate():
            raise error
        exc_info = sys.exc_info()
        app.log_exception(
            exc_info if exc_info[1] is error else (type(error), error, error.__traceback__)
        )
        server_error: Any = InternalServerError(original_exception=error)
        handler = app._find_error_handler(server_error, app._current_blueprints())
        if handler is not None:
            server_error = await app.ensure_async(handler)(server_error)
        return await app.finalize_websocket(  # type: ignore[no-any-return]
            server_error, ctx, from_error_handler=True
        )

    async def _plugin_teardown(self, websocket: Websocket, exc: BaseException | None) -> None:
        for hook, is_async in self.hooks_teardown:
            try:
                rv = hook(self.app, websocket, exc)
                if is_async:
                    await rv
            except Exception:
                self.app.logger.exception("Plugin websocket teardown hook failed")
