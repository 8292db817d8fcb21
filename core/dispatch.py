"""Request dispatch and error handling for the app (Quart's method names and order).

``full_dispatch_request`` runs: url value preprocessors -> plugin ``erlen_before_request``
-> ``before_request`` functions -> the view -> ``make_response`` -> ``after_this_request``
-> ``after_request`` functions -> plugin ``erlen_after_request`` -> session save. Each
endpoint's function chains (with blueprint scoping) are compiled once at freeze into a
:class:`Plan`, so a request does no registry lookups.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import AsyncIterable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import RequestRedirect, RoutingException

from . import signals
from .globals import _cv_request, _cv_websocket
from .matching import FastMatcher
from .sessions import must_open_untouched, save_if_unchanged
from .wrappers.base import cookie_header

if TYPE_CHECKING:
    from .app import Erlen
    from .ctx import RequestContext
    from .wrappers.request import Request
    from .wrappers.response import Response

_NO_HOOKS: tuple[Any, ...] = ()


class Plan:
    """The compiled call chains for one endpoint (``None``: requests that matched nothing)."""

    __slots__ = (
        "after",
        "after_ws",
        "before",
        "before_ws",
        "blueprints",
        "endpoint",
        "preprocessors",
        "runs_before_chain",
        "runs_teardown",
        "teardown",
        "teardown_ws",
        "view",
    )

    def __init__(self, app: Erlen, endpoint: str | None) -> None:
        self.endpoint = endpoint
        names: list[str] = []
        if endpoint is not None and "." in endpoint:
            parts = endpoint.rpartition(".")[0].split(".")
            names = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
        self.blueprints = tuple(names)
        outer_first: list[str | None] = [None, *reversed(names)]
        inner_first: list[str | None] = [*names, None]
        ensure = app.ensure_async

        def chain(
            registry: dict[str | None, list[Any]], order: list[str | None], rev: bool
        ) -> tuple[Any, ...]:
            funcs: list[Any] = []
            for name in order:
                items = registry.get(name, ())
                funcs.extend(reversed(items) if rev else items)
            return tuple(ensure(f) for f in funcs)

        self.preprocessors = tuple(
            f for name in outer_first for f in app.url_value_preprocessors.get(name, ())
        )
        self.before = chain(app.before_request_funcs, outer_first, False)
        self.after = chain(app.after_request_funcs, inner_first, True)
        self.teardown = chain(app.teardown_request_funcs, inner_first, True)
        self.before_ws = chain(app.before_websocket_funcs, outer_first, False)
        self.after_ws = chain(app.after_websocket_funcs, inner_first, True)
        self.teardown_ws = chain(app.teardown_websocket_funcs, inner_first, True)
        view = app.view_functions.get(endpoint) if endpoint is not None else None
        self.view = ensure(view) if view is not None else None
        # For the HTTP pipeline, one test each: whether the view needs the whole
        # run_before_functions chain (URL value preprocessors or plugin hooks; the
        # before_request functions alone are run inline) / anything at teardown. The
        # plugin hooks are compiled at freeze, before any plan is kept, and neither they
        # nor these chains change afterwards.
        self.runs_before_chain = bool(self.preprocessors or app._hooks_before)
        self.runs_teardown = bool(self.teardown or app._hooks_teardown)


async def run_before_functions(
    app: Erlen,
    connection: Any,
    preprocessors: tuple[Any, ...],
    hooks: tuple[tuple[Any, bool], ...],
    before: tuple[Any, ...],
) -> Any:
    """Before a view or websocket handler: URL value preprocessors, then the plugin hooks
    (compiled ``(hook, is_async)`` pairs called with ``app, connection``), then the
    ``before_request``/``before_websocket`` functions. The first non-None result wins and
    is returned; None means "go on to the view"."""
    for func in preprocessors:
        func(connection.endpoint, connection.view_args)
    for hook, is_async in hooks:
        rv = hook(app, connection)
        if is_async:
            rv = await rv
        if rv is not None:
            return rv
    for func in before:
        rv = await func()
        if rv is not None:
            return rv
    return None


class DispatchMixin:
    """HTTP request handling for :class:`~erlen.Erlen`."""

    _plans: dict[str | None, Plan]
    _fast_matcher: FastMatcher | None = None
    _hooks_before: tuple[Any, ...] = _NO_HOOKS
    _hooks_after: tuple[Any, ...] = _NO_HOOKS
    _hooks_teardown: tuple[Any, ...] = _NO_HOOKS

    # --- compile -----------------------------------------------------------------

    def _compile_dispatch(self: Erlen) -> None:  # type: ignore[misc]
        plans: dict[str | None, Plan] = {None: Plan(self, None)}
        for endpoint in self.view_functions:
            plans[endpoint] = Plan(self, endpoint)
        for rule in self.url_map.iter_rules():
            if rule.endpoint not in plans:
                plans[rule.endpoint] = Plan(self, rule.endpoint)
        self._plans = plans
        self._fast_matcher = FastMatcher.for_app(self)
        self._propagate = self.config["PROPAGATE_EXCEPTIONS"]

    def plan_for(self, connection: Any) -> Plan:
        """The compiled plan of the endpoint ``connection`` matched."""
        rule = connection.url_rule
        try:
            plans = self._plans
        except AttributeError:
            # Not frozen yet (a test request context before the first request): build
            # the plan from the registries as they are now, without caching it.
            return Plan(self, rule.endpoint if rule is not None else None)  # type: ignore[arg-type]
        if rule is None:
            return plans[None]
        plan = plans.get(rule.endpoint)
        if plan is None:  # an endpoint added after freeze (not supported, but be safe)
            plan = plans[rule.endpoint] = Plan(self, rule.endpoint)  # type: ignore[arg-type]
        return plan

    # --- routing -----------------------------------------------------------------------

    def match_request(self: Erlen, request: Any, websocket: bool = False) -> None:  # type: ignore[misc]
        """Match ``request`` against the URL map, storing the rule or routing exception."""
        fast = self._fast_matcher
        if fast is not None and self.config["TRUSTED_HOSTS"] is None:
            try:
                found = fast.match(request.path, request.method, websocket)
            except HTTPException as exc:
                request.routing_exception = exc
                return
            if found is not None:
                request.url_rule, request.view_args = found
                return
        try:
            # Binding reads request.host, which raises 400 for an untrusted Host header.
            adapter = self._bind_adapter(request)
            rule, view_args = adapter.match(return_rule=True, websocket=websocket)
        except HTTPException as exc:
            request.routing_exception = exc
        else:
            request.url_rule = rule
            request.view_args = view_args

    # --- the request pipeline ------------------------------------------------------------

    async def handle_request(self: Erlen, request: Request) -> Response:  # type: ignore[misc]
        """Match, push the context, dispatch, and return the response; errors become 500s."""
        self.match_request(request)
        ctx = self.request_context(request)
        ctx.push(_signal=False)
        error: BaseException | None = None
        try:
            try:
                if signals.appcontext_pushed.receivers:
                    await ctx._send_appcontext_pushed()
                if not self._session_is_lazy():
                    await ctx.open_session()
                return await self.full_dispatch_request(ctx)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = exc
                return await self.handle_exception(exc)
        except BaseException as exc:
            error = exc
            raise
        finally:
            await ctx.pop(error)
            # ``async with client:`` (Quart's preserve_context): the test client passes a
            # list in the scope and re-pushes the finished context so ``request``/``session``
            # stay readable after the request. One dict lookup; servers never set the key.
            keep = request.scope.get("_erlen_preserve_context")
            if keep is not None:
                keep.append(ctx)

    async def full_dispatch_request(  # type: ignore[misc]
        self: Erlen, request_context: RequestContext | None = None
    ) -> Response:
        """Run preprocessing, the view and finalizing; user exceptions go to handlers."""
        ctx = request_context or _cv_request.get()
        if signals.request_started.receivers:
            await signals.send_async(signals.request_started, self)
        try:
            result = await self.preprocess_request(ctx)
            if result is None:
                result = await self.dispatch_request(ctx)
        except Exception as error:
            result = await self.handle_user_exception(error)
        return await self.finalize_request(result, ctx)

    async def preprocess_request(self: Erlen, request_context: RequestContext | None = None) -> Any:  # type: ignore[misc]
        """URL value preprocessors, plugin and app ``before_request``; first non-None wins."""
        ctx = request_context or _cv_request.get()
        request = ctx.request
        plan = self.plan_for(request)
        return await run_before_functions(
            self, request, plan.preprocessors, self._hooks_before, plan.before
        )

    async def dispatch_request(self: Erlen, request_context: RequestContext | None = None) -> Any:  # type: ignore[misc]
        """Call the view (or answer automatic OPTIONS); raises the routing error if any."""
        ctx = request_context or _cv_request.get()
        request = ctx.request
        if request.routing_exception is not None:
            self.raise_routing_exception(request)
        rule = request.url_rule
        if getattr(rule, "provide_automatic_options", False) and request.method == "OPTIONS":
            return await self.make_default_options_response()
        plan = self.plan_for(request)
        if plan.view is None:
            raise AssertionError(f"No view function for endpoint {request.endpoint!r}")
        return await plan.view(**request.view_args)  # type: ignore[arg-type]

    def raise_routing_exception(self, request: Any) -> None:
        """Raise the stored routing error (404, 405, redirect, websocket mismatch)."""
        raise request.routing_exception

    async def finalize_request(  # type: ignore[misc]
        self: Erlen,
        result: Any,
        request_context: RequestContext | None = None,
        from_error_handler: bool = False,
    ) -> Response:
        """Make the response and run the after-request processing."""
        response = await self.make_response(result)
        try:
            response = await self.process_response(response, request_context)
            if signals.request_finished.receivers:
                await signals.send_async(signals.request_finished, self, response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing errored")
        return response

    async def process_response(  # type: ignore[misc]
        self: Erlen, response: Response, request_context: RequestContext | None = None
    ) -> Response:
        """``after_this_request``, ``after_request`` (innermost blueprint first), plugins,
        then save the session."""
        ctx = request_context or _cv_request.get()
        if ctx._after_funcs:
            for func in ctx._after_funcs:
                response = await self.ensure_async(func)(response)
        plan = self.plan_for(ctx.request)
        for func in plan.after:
            response = await func(response)
        for hook, is_async in self._hooks_after:
            rv = hook(self, ctx.request, response)
            if is_async:
                rv = await rv
            if rv is not None:
                response = rv
        await self._save_session(ctx, response)
        return response

    async def _save_session(  # type: ignore[misc]
        self: Erlen, ctx: Any, response: Response, _cookie_checked: bool = False
    ) -> None:
        # _cookie_checked: the caller already found the session opened or its cookie sent
        if not _cookie_checked and not ctx.session_opened:
            if not self._session_cookie_sent(ctx._connection):
                return
        interface = self.session_interface
        session = ctx.session  # the cookie was sent but the session not opened: open it
        if save_if_unchanged(self, ctx, response):
            return  # the stock interface and an unchanged session: nothing to send
        if not interface.is_null_session(session):
            saved = interface.save_session(self, session, response)
            if inspect.isawaitable(saved):  # Quart: a coroutine; a Flask interface: None
                await saved

    def _session_cookie_sent(self: Erlen, connection: Any) -> bool:  # type: ignore[misc]
        # A permanent session is refreshed on every request (Flask semantics) even when
        # the view did not touch it; only then is it opened here.
        cookie = cookie_header(connection.scope)  # one pass: the by-header cache's key
        if cookie is None or not self.config["SESSION_REFRESH_EACH_REQUEST"]:
            return False
        # A logged-in browser sends its cookie with every request: when the interface
        # already knows it holds no permanent session, skip opening.
        return must_open_untouched(self, connection, cookie)

    async def do_teardown_request(  # type: ignore[misc]
        self: Erlen, exc: BaseException | None, request_context: RequestContext | None = None
    ) -> None:
        """Run the ``teardown_request`` functions and plugin teardown hooks."""
        ctx = request_context or _cv_request.get()
        request = ctx.request
        plan = self.plan_for(request)
        for func in plan.teardown:
            await func(exc)
        for hook, is_async in self._hooks_teardown:
            try:
                rv = hook(self, request, exc)
                if is_async:
                    await rv
            except Exception:
                self.logger.exception("Plugin teardown hook failed")
        if signals.request_tearing_down.receivers:
            await signals.send_async(signals.request_tearing_down, self, exc=exc)

    async def do_teardown_websocket(  # type: ignore[misc]
        self: Erlen, exc: BaseException | None, websocket_context: Any = None
    ) -> None:
        """Run the ``teardown_websocket`` functions."""
        ctx = websocket_context or _cv_websocket.get()
        plan = self.plan_for(ctx.websocket)
        for func in plan.teardown_ws:
            await func(exc)
        if signals.websocket_tearing_down.receivers:
            await signals.send_async(signals.websocket_tearing_down, self, exc=exc)

    # --- websockets: Quart's method names, served by the websocket plugin ---------------
    # The pipeline lives in the plugin (``app.extensions["erlen.websocket"]``); these
    # hand over to it, so a subclass may override any stage as in Quart.

    def _websocket_dispatcher(self: Erlen) -> Any:  # type: ignore[misc]
        dispatcher = self.extensions.get("erlen.websocket")
        if dispatcher is None:
            raise RuntimeError(
                "Websockets need the 'websocket' plugin, which is not loaded"
                " (check Erlen(plugins=...) / exclude_plugins)"
            )
        return dispatcher

    async def handle_websocket(self: Erlen, websocket: Any) -> Any:  # type: ignore[misc]
        """Match, push the context and run the handler; returns the response that rejects
        the handshake, if any."""
        return await self._websocket_dispatcher().handle_websocket(websocket)

    async def full_dispatch_websocket(self: Erlen, websocket_context: Any = None) -> Any:  # type: ignore[misc]
        """Preprocess, run the handler and finalize; user exceptions go to handlers."""
        return await self._websocket_dispatcher().full_dispatch_websocket(websocket_context)

    async def preprocess_websocket(self: Erlen, websocket_context: Any = None) -> Any:  # type: ignore[misc]
        """URL value preprocessors and ``before_websocket``; first non-None wins."""
        return await self._websocket_dispatcher().preprocess_websocket(websocket_context)

    async def dispatch_websocket(self: Erlen, websocket_context: Any = None) -> Any:  # type: ignore[misc]
        """Call the websocket handler (or raise the routing error)."""
        return await self._websocket_dispatcher().dispatch_websocket(websocket_context)

    async def finalize_websocket(  # type: ignore[misc]
        self: Erlen, result: Any, websocket_context: Any = None, from_error_handler: bool = False
    ) -> Any:
        """Make the response (if any) and post-process it."""
        return await self._websocket_dispatcher().finalize_websocket(
            result, websocket_context, from_error_handler
        )

    async def postprocess_websocket(  # type: ignore[misc]
        self: Erlen, response: Any, websocket_context: Any = None
    ) -> Any:
        """``after_this_websocket``, ``after_websocket`` functions, session save."""
        return await self._websocket_dispatcher().postprocess_websocket(response, websocket_context)

    async def handle_websocket_exception(self: Erlen, error: Exception) -> Any:  # type: ignore[misc]
        """The unhandled-error path of a websocket handler (500 / close 1011)."""
        return await self._websocket_dispatcher().handle_websocket_exception(error)

    async def do_teardown_appcontext(self: Erlen, exc: BaseException | None = None) -> None:  # type: ignore[misc]
        """Run the ``teardown_appcontext`` functions."""
        for func in reversed(self.teardown_appcontext_funcs):
            await self.ensure_async(func)(exc)
        if signals.appcontext_tearing_down.receivers:
            await signals.send_async(signals.appcontext_tearing_down, self, exc=exc)

    async def make_default_options_response(self: Erlen) -> Response:  # type: ignore[misc]
        """The automatic ``OPTIONS`` answer: an empty 200 with ``Allow``."""
        request = _cv_request.get().request
        adapter = self.create_url_adapter(request)
        methods = adapter.allowed_methods()  # type: ignore[union-attr]
        rv = self.response_class()
        rv.allow.update(methods)
        return rv

    # --- return values -----------------------------------------------------------------

    async def make_response(self: Erlen, result: Any) -> Response:  # type: ignore[misc]
        """Turn a view's return value into a response (Flask's rules)."""
        rv = result
        status = headers = None
        if type(rv) is tuple:
            length = len(rv)
            if length == 3:
                rv, status, headers = rv
            elif length == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple. The tuple"
                    " must have the form (body, status, headers), (body, status), or"
                    " (body, headers)."
                )
        if rv is None:
            raise TypeError(
                "The view function did not return a valid response. The function either"
                " returned None or ended without a return statement."
            )
        response_class = self.response_class
        kind = type(rv)
        if kind is str or kind is bytes:
            if status is None and headers is None:
                return response_class._of_bytes(rv.encode() if kind is str else rv)
            response = response_class(rv, status=status, headers=headers)
            return response
        if kind is dict or kind is list:
            response = self.json.response(rv)
        elif isinstance(rv, response_class):
            response = rv
        elif isinstance(rv, HTTPException):
            response = self._http_exception_response(rv)
        elif isinstance(rv, (bytearray, memoryview)):
            response = response_class(bytes(rv))
        elif isinstance(rv, AsyncIterable) or inspect.isgenerator(rv) or isinstance(rv, Iterator):
            response = response_class(rv)
        else:
            converted = self.plugin_manager.hook.erlen_convert_return_value(app=self, value=rv)
            if converted is None:
                raise TypeError(
                    "The view function did not return a valid response. The return type"
                    " must be a string, dict, list, tuple with headers or status,"
                    f" Response instance, or iterator; but it was a {kind.__name__}."
                )
            response = converted
        if status is not None:
            if isinstance(status, (int, str)):
                response.status = status  # type: ignore[assignment]
            else:
                response.status_code = int(status)
        if headers:
            response.headers.update(headers)
        return response

    def _http_exception_response(self: Erlen, error: HTTPException) -> Response:  # type: ignore[misc]
        if isinstance(error, RequestRedirect):
            return self.redirect(error.new_url, error.code)
        wrapped = getattr(error, "response", None)
        if wrapped is not None and isinstance(wrapped, self.response_class):
            return wrapped
        headers = Headers(error.get_headers())
        return self.response_class(error.get_body(), error.code, headers)

    # --- errors --------------------------------------------------------------------------

    def _find_error_handler(  # type: ignore[misc]
        self: Erlen, error: BaseException, blueprints: Any
    ) -> Callable[..., Any] | None:
        exc_class, code = self._get_exc_class_and_code(type(error))
        names = (*blueprints, None)
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = self.error_handler_spec.get(name, {}).get(c)
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def _current_blueprints(self) -> tuple[str, ...]:
        ctx: Any = _cv_request.get(None) or _cv_websocket.get(None)
        if ctx is None:
            return ()
        return tuple(ctx._connection.blueprints)

    def trap_http_exception(self: Erlen, e: Exception) -> bool:  # type: ignore[misc]
        """Whether an HTTP exception should be raised like a code error (debugging aid)."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequestKeyError) or getattr(e, "code", None) == 400
        return False

    async def handle_http_exception(self: Erlen, error: HTTPException) -> Any:  # type: ignore[misc]
        """Answer an HTTP exception with its registered handler, or the exception itself."""
        if error.code is None:
            return error
        if isinstance(error, RoutingException) and not isinstance(error, HTTPException):
            return error
        if isinstance(error, RequestRedirect):
            return error
        handler = self._find_error_handler(error, self._current_blueprints())
        if handler is None:
            return error
        return await self.ensure_async(handler)(error)

    async def handle_user_exception(self: Erlen, error: Exception) -> Any:  # type: ignore[misc]
        """Route an exception from the view to its handler; re-raise if there is none."""
        if isinstance(error, HTTPException) and not self.trap_http_exception(error):
            return await self.handle_http_exception(error)
        handler = self._find_error_handler(error, self._current_blueprints())
        if handler is None:
            raise error
        return await self.ensure_async(handler)(error)

    def should_propagate(self: Erlen) -> bool:  # type: ignore[misc]
        """Whether unhandled errors are re-raised (``PROPAGATE_EXCEPTIONS``, or testing/debug)."""
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is not None:
            return bool(propagate)
        return bool(self.testing or self.debug)

    async def handle_exception(self: Erlen, error: Exception) -> Response:  # type: ignore[misc]
        """The 500 path: signal, plugins, propagate in testing/debug, else log and answer."""
        if signals.got_request_exception.receivers:
            await signals.send_async(signals.got_request_exception, self, exception=error)
        ctx = _cv_request.get(None)
        hooked = self.plugin_manager.hook.erlen_handle_exception(
            app=self, request=ctx.request if ctx is not None else None, exc=error
        )
        if hooked is not None:
            if inspect.isawaitable(hooked):
                hooked = await hooked
            if hooked is not None:
                return await self.make_response(hooked)
        if self.should_propagate():
            raise error
        self.log_exception(
            sys.exc_info()
            if sys.exc_info()[1] is error
            else (type(error), error, error.__traceback__)
        )
        server_error: Any = InternalServerError(original_exception=error)
        handler = self._find_error_handler(server_error, self._current_blueprints())
        if handler is not None:
            server_error = await self.ensure_async(handler)(server_error)
        return await self.finalize_request(server_error, ctx, from_error_handler=True)

    def log_exception(self: Erlen, exception_info: Any) -> None:  # type: ignore[misc]
        """Log an unhandled exception once, naming the request or websocket."""
        ctx: Any = _cv_request.get(None)
        if ctx is not None:
            where = f"request {ctx.request.method} {ctx.request.path}"
        else:
            ws_ctx: Any = _cv_websocket.get(None)
            where = (
                f"websocket {ws_ctx.websocket.path}" if ws_ctx is not None else "background task"
            )
        self.logger.error(f"Exception on {where}", exc_info=exception_info)
