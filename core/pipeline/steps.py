"""The steps of an HTTP request, each with one implementation.

Quart's methods (``app.preprocess_request``, ``app.dispatch_request``,
``app.make_response``, ``app.process_response``, ``app.finalize_request``,
``app.full_dispatch_request``, ``app.do_teardown_request``...) are thin wrappers over
these functions, and the compiled pipeline (:mod:`.http`) calls them directly. An app
that overrides one of those methods gets its method called in that step's place
(:class:`Overrides`), and every other step stays as it is.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, Awaitable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import signals
from ..globals import request_context_var
from ..matching import match_with_adapter
from ..pluginmanager import first_result
from ..sessions import can_open_sync
from .disconnect import ClientWatch, may_wait
from .errors import handle_user_exception, server_error
from .plan import Hooks, Pipeline, Plan, overrides
from .session import cookie_needs_refresh, save_session

if TYPE_CHECKING:
    from ..app import Erlen
    from ..ctx import RequestContext
    from ..wrappers.response import Response

_receivers = signals.receiver_state

#: Quart's pipeline methods an app may override, each replacing one step.
STEP_METHODS = (
    "handle_request",
    "match_request",
    "request_context",
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "handle_user_exception",
    "finalize_request",
    "make_response",
    "process_response",
    "handle_exception",
    "do_teardown_request",
    "do_teardown_appcontext",
)


class Overrides:
    """For each of :data:`STEP_METHODS`, the app's own method when it overrides it, else
    None (the step's function runs). Read once, at freeze."""

    def __init__(self, app: Erlen) -> None:
        for name in STEP_METHODS:
            setattr(self, name, getattr(app, name) if overrides(app, name) else None)

    handle_request: Any
    match_request: Any
    request_context: Any
    full_dispatch_request: Any
    preprocess_request: Any
    dispatch_request: Any
    handle_user_exception: Any
    finalize_request: Any
    make_response: Any
    process_response: Any
    handle_exception: Any
    do_teardown_request: Any
    do_teardown_appcontext: Any


class HttpSteps:
    """An app's HTTP pipeline, compiled at freeze: its plans, hooks and overrides, and per
    plan what can be left out (:meth:`flags`)."""

    def __init__(self, app: Erlen, pipeline: Pipeline) -> None:
        self.app = app
        self.pipeline = pipeline
        self.plans = pipeline.plans
        self.hooks: Hooks = pipeline.http_hooks
        self.over = over = Overrides(app)
        matcher = pipeline.matcher
        #: The match step: the app's ``match_request``, else the fast matcher's, else
        #: an adapter bound per request (``app.create_url_adapter`` overridden).
        self.match: Any = (
            over.match_request
            if over.match_request is not None
            else matcher.match_connection
            if matcher is not None
            else partial(match_with_adapter, app)
        )
        #: Whether each request opens its session when it starts (an interface that
        #: cannot open lazily, Quart's way); else on first use. The interface is read
        #: here: setting ``app.session_interface`` on a frozen app compiles it again.
        self.open_session_eagerly = not can_open_sync(app.session_interface)
        #: The response class whose plain text responses the send step may write itself
        #: (``Content-Type`` of its default mimetype, ``Content-Length``, status 200).
        self.plain_class = app.response_class
        self.plain_type = app.response_class._plain_content_type(
            app.response_class.default_mimetype
        )
        #: Whether a text return value may be sent without a response object when nothing
        #: sees it, for any plan (per plan: no after function either, see flags()).
        self.bare_text = (
            self.plain_type is not None
            and not self.hooks.after
            and over.make_response is None
            and over.process_response is None
            and over.finalize_request is None
        )
        #: Whether the pipeline may run the teardown step itself and leave the contexts
        #: without ``ctx.pop()``: no ``teardown_appcontext`` function, and none of the
        #: methods ``pop()`` calls is overridden.
        self.direct_leave = (
            not app.teardown_appcontext_funcs
            and over.do_teardown_request is None
            and over.do_teardown_appcontext is None
            and over.request_context is None
        )
        self.quiet_leave = self.direct_leave and not self.hooks.teardown
        #: Whether every request may wait whatever its endpoint: an overridden step
        #: method, a session opened by awaiting, an async plugin hook or
        #: ``teardown_appcontext`` function that awaits.
        self.always_waits = (
            any(getattr(over, name) is not None for name in STEP_METHODS)
            or self.open_session_eagerly
            or any(is_async for stage in self.hooks for _hook, is_async in stage)
            or any(may_wait(f) for f in app.teardown_appcontext_funcs)
        )
        #: The requests being handled and the watches on their clients (a request whose
        #: plan may wait is cancelled when its client goes away, as in Quart).
        self.clients = ClientWatch()
        for plan in self.plans.values():
            self.flags_of(plan)

    def flags_of(self, plan: Plan) -> tuple[bool, bool, bool, bool, bool]:
        """``(runs_before, bare_text, quiet_leave, runs_after, may_wait)`` of ``plan``:
        whether anything runs before its view, whether its text may be sent bare, whether
        leaving its context has nothing to tear down (checked again per request: signals,
        files), whether an after function or plugin hook runs on its responses, and
        whether handling it may give the event loop a turn (then its client is watched:
        erlen.pipeline.disconnect)."""
        flags = plan.flags
        if flags is None:
            http = plan.http
            flags = plan.flags = (
                bool(plan.preprocessors or self.hooks.before or http.before),
                self.bare_text and not http.after,
                self.quiet_leave and not http.teardown,
                bool(http.after or self.hooks.after),
                self.always_waits
                or (plan.view is not None and may_wait(plan.view))
                or any(may_wait(f) for f in (*http.before, *http.after, *http.teardown)),
            )
        return flags


async def run_before(
    app: Erlen,
    connection: Any,
    preprocessors: tuple[Any, ...],
    hooks: tuple[tuple[Any, bool], ...],
    before: tuple[Any, ...],
) -> Any:
    """Before a view or handler: URL value preprocessors, then the plugin hooks
    (``(hook, is_async)`` pairs called with ``app, connection``), then the before
    functions. The first non-None result wins and is returned; None means "go on"."""
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


async def preprocess(app: Erlen, ctx: RequestContext, plan: Plan, hooks: Hooks) -> Any:
    """``preprocess_request``: URL value preprocessors, plugin and app ``before_request``."""
    return await run_before(app, ctx.request, plan.preprocessors, hooks.before, plan.http.before)


def dispatch(app: Erlen, request: Any, plan: Plan) -> Awaitable[Any]:
    """``dispatch_request``: what awaiting gives the view's return value, or the
    automatic ``OPTIONS`` answer; raises the routing error (404, 405, redirect) if
    matching failed. (A plain function returning the view's awaitable: no coroutine of
    its own between the pipeline and the view.)"""
    if request.routing_exception is not None:
        app.raise_routing_exception(request)
    if request.method == "OPTIONS" and getattr(
        request.url_rule, "provide_automatic_options", False
    ):
        return app.make_default_options_response()
    view = plan.view
    if view is None:
        raise AssertionError(f"No view function for endpoint {request.endpoint!r}")
    view_args = request.view_args
    if view_args or view_args is None:  # None: the view gets **None's TypeError
        return view(**view_args)  # type: ignore[arg-type,no-any-return]
    return view()  # type: ignore[no-any-return]


async def full_dispatch(
    app: Erlen, ctx: RequestContext, plan: Plan, steps: HttpSteps, bare: bool = False
) -> Any:
    """``full_dispatch_request``: preprocess, dispatch, user errors to their handlers,
    finalize. ``bare``: a text return value nothing can see is returned as ``bytes``, to
    be sent without a response object (:func:`finalize`)."""
    over = steps.over
    if _receivers.connected and signals.request_started.receivers:
        await signals.send_async(signals.request_started, app)
    try:
        result = None
        if over.preprocess_request is not None:
            result = await over.preprocess_request(ctx)
        elif (plan.flags or steps.flags_of(plan))[0]:  # preprocess(), one frame less
            result = await run_before(
                app, ctx.request, plan.preprocessors, steps.hooks.before, plan.http.before
            )
        if result is None:
            if over.dispatch_request is not None:
                result = await over.dispatch_request(ctx)
            else:
                result = await dispatch(app, ctx.request, plan)
    except Exception as error:
        if over.handle_user_exception is not None:
            result = await over.handle_user_exception(error)
        else:
            result = await handle_user_exception(app, error, plan.errors)
    try:
        if over.finalize_request is not None:
            return await over.finalize_request(result, ctx)
        kind = type(result)
        # A text result is sent bare (as bytes, no response object) when nothing can see
        # the response it would become: no after function or plugin after hook (per plan,
        # the flag), no ``after_this_request`` function, no session opened or to refresh,
        # no ``request_finished`` receiver, and the app's response class the plain one.
        # tests/core/test_hot_path.py compares such responses with the method chain's;
        # tests/core/test_pipeline_steps.py covers each override.
        if (
            bare
            and (kind is str or kind is bytes)
            and (plan.flags or steps.flags_of(plan))[1]
            and not ctx._after_funcs
            and ctx._session is None
            and not (_receivers.connected and signals.request_finished.receivers)
            and app.response_class is steps.plain_class
            and not cookie_needs_refresh(app, ctx.request)
        ):
            return result.encode() if kind is str else result
        return await finalize(app, ctx, plan, steps, result)
    finally:
        # An HTTP exception answered as itself (abort(403) without a handler) has this
        # frame in its traceback: holding it here made a reference cycle, the request and
        # its contexts left to the garbage collector (tests/core/test_reference_cycles.py).
        result = None


async def finalize(
    app: Erlen,
    ctx: RequestContext,
    plan: Plan,
    steps: HttpSteps,
    result: Any,
    from_error_handler: bool = False,
) -> Any:
    """``finalize_request``: make the response, process it, send ``request_finished``."""
    over = steps.over
    if over.make_response is not None:
        response = await over.make_response(result)
    else:
        response = make_response(app, result)
    try:
        if over.process_response is not None:
            response = await over.process_response(response, ctx)
        elif ctx._after_funcs or (plan.flags or steps.flags_of(plan))[3]:
            response = await process_response(app, ctx, plan, steps.hooks, response)
        else:  # process_response with no after function: the session save alone
            saving = save_session(app, ctx, response)
            if saving is not None:
                await saving
        if _receivers.connected and signals.request_finished.receivers:
            await signals.send_async(signals.request_finished, app, response=response)
    except Exception:
        if not from_error_handler:
            raise
        app.logger.exception("Request finalizing errored")
    return response


async def process_response(
    app: Erlen, ctx: Any, plan: Plan, hooks: Hooks, response: Response
) -> Response:
    """``process_response``: ``after_this_request`` functions, ``after_request``
    functions (innermost blueprint first), plugin hooks, then the session save."""
    if ctx._after_funcs:
        for func in ctx._after_funcs:
            response = await app.ensure_async(func)(response)
    for func in plan.http.after:
        response = await func(response)
    request = ctx.request
    for hook, is_async in hooks.after:
        rv = hook(app, request, response)
        if is_async:
            rv = await rv
        if rv is not None:
            response = rv
    saving = save_session(app, ctx, response)
    if saving is not None:
        await saving
    return response


async def handle_exception(
    app: Erlen, ctx: Any, plan: Plan, steps: HttpSteps, error: Exception
) -> Any:
    """``handle_exception``: the 500 path of a request (:func:`.errors.server_error`),
    its answer finalized as ``finalize_request(..., from_error_handler=True)`` does."""
    if signals.got_request_exception.receivers:
        await signals.send_async(signals.got_request_exception, app, exception=error)
    request = ctx.request if ctx is not None else None
    result, finalizing = await server_error(app, error, request, plan.errors)
    if not finalizing:
        return result
    if steps.over.finalize_request is not None:
        return await steps.over.finalize_request(result, ctx, from_error_handler=True)
    return await finalize(app, ctx, plan, steps, result, from_error_handler=True)


async def teardown(
    app: Erlen, request: Any, plan: Plan, hooks: Hooks, exc: BaseException | None
) -> None:
    """``do_teardown_request``: ``teardown_request`` functions, plugin teardown hooks
    (their errors are logged, not raised), the ``request_tearing_down`` signal."""
    for func in plan.http.teardown:
        await func(exc)
    for hook, is_async in hooks.teardown:
        try:
            rv = hook(app, request, exc)
            if is_async:
                await rv
        except Exception:
            app.logger.exception("Plugin teardown hook failed")
    if signals.request_tearing_down.receivers:
        await signals.send_async(signals.request_tearing_down, app, exc=exc)


def make_response(app: Erlen, result: Any) -> Response:
    """``make_response``: a view's return value as a response (Flask's rules): a body
    (str, bytes, dict/list as JSON, each also a subclass of these, a response, an HTTP
    exception, an iterator), or a
    tuple ``(body, status)``, ``(body, headers)``, ``(body, status, headers)``; other
    types through the ``erlen_convert_return_value`` plugin hook."""
    rv = result
    status = headers = None
    if type(rv) is tuple:
        length = len(rv)
        if length == 3:
            rv, status, headers = rv
            if status.__class__ is not int:
                _check_status_line(status)
        elif length == 2:
            second = rv[1]
            if second.__class__ is int:  # (body, 201): the common case, tested first
                rv, status = rv
            elif isinstance(second, (Headers, dict, tuple, list)):
                rv, headers = rv
            else:
                rv, status = rv
                _check_status_line(status)
        else:
            raise TypeError(
                "The view function did not return a valid response tuple. The tuple must"
                " have the form (body, status, headers), (body, status), or (body, headers)."
            )
    if rv is None:
        raise TypeError(
            f"The view function{_for_endpoint()} did not return a valid response. The"
            " function either returned None or ended without a return statement."
        )
    response_class = app.response_class
    kind = type(rv)
    if kind is str or kind is bytes:
        if status is None and headers is None:  # no keywords: no dict built for the call
            return response_class(rv)  # type: ignore[no-any-return]
        return response_class(rv, status=status, headers=headers)  # type: ignore[no-any-return]
    if kind is dict or kind is list:
        response: Any = app.json.response(rv)
    elif isinstance(rv, response_class):
        response = rv
    elif isinstance(rv, HTTPException):
        response = http_exception_response(app, rv)
    elif isinstance(rv, WerkzeugResponse):  # werkzeug.utils.redirect() makes one
        response = rv  # sent as it is (adopt_response), as Quart and Flask do
    elif isinstance(rv, (str, bytes)):  # a subclass: markupsafe's Markup (escape())...
        response = response_class(rv)
    elif isinstance(rv, (dict, list)):  # a subclass: OrderedDict, defaultdict, MultiDict
        response = app.json.response(rv)
    elif isinstance(rv, (bytearray, memoryview)):
        response = response_class(bytes(rv))
    elif isinstance(rv, AsyncIterable) or inspect.isgenerator(rv) or isinstance(rv, Iterator):
        response = response_class(rv)
    else:
        converted = convert_return_value(app, rv)
        if converted is None:
            raise TypeError(
                f"The view function{_for_endpoint()} did not return a valid response. The"
                " return type must be a string, dict, list, tuple with headers or status,"
                f" Response instance, or iterator; but it was a {kind.__name__}."
                + _missing_await_hint(rv)
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


def convert_return_value(app: Erlen, value: Any) -> Any:
    """The ``erlen_convert_return_value`` plugins' answer for ``value`` (None: none
    converts it): through the compiled hooks once ``app`` has frozen, unless an
    implementation is a wrapper."""
    pipeline: Pipeline | None = app.__dict__.get("_pipeline")
    compiled = pipeline.convert_hooks if pipeline is not None else None
    if compiled is None:
        return app.plugin_manager.hook.erlen_convert_return_value(app=app, value=value)
    return first_result(compiled, app, value)


def _check_status_line(status: Any) -> None:
    """A status given as text must start with its code (``"201"``, ``"201 CREATED"``).
    Werkzeug reads ``"two hundred"`` as status 0, which no server can send: hypercorn
    answered an empty 500 with "Error in ASGI Framework", and the app logged nothing.
    (``Response(status=...)`` keeps werkzeug's rules: tests/core/test_response_constructor.py.)"""
    if isinstance(status, str):
        code = status.strip().partition(" ")[0]
        if not (code.isdigit() and 100 <= int(code) <= 999):
            raise TypeError(
                f"The view function{_for_endpoint()} returned the status {status!r}. A status"
                " is an int (201) or a line that starts with one ('201 CREATED')."
            )


def _for_endpoint() -> str:
    """`` for 'endpoint'``: which view returned a bad value (an error path only)."""
    ctx = request_context_var.get(None)
    rule = ctx.request.url_rule if ctx is not None else None
    return f" for {rule.endpoint!r}" if rule is not None else ""


def _missing_await_hint(value: Any) -> str:
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # never awaited: no "coroutine was never awaited" warning later
        return (
            " It is awaitable: did you forget an 'await' (or call an async function from"
            " a sync view)?"
        )
    return ""


def http_exception_response(app: Erlen, error: HTTPException) -> Response:
    """The response an HTTP exception stands for: a redirect's, the one it wraps, or its
    status with werkzeug's body and headers."""
    if isinstance(error, RequestRedirect):
        return app.redirect(error.new_url, error.code)
    wrapped = getattr(error, "response", None)
    if wrapped is not None and isinstance(wrapped, app.response_class):
        return wrapped
    return app.response_class(error.get_body(), error.code, Headers(error.get_headers()))  # type: ignore[no-any-return]


def adopt_response(app: Erlen, response: Any) -> Response:
    """``response``, a ``werkzeug.wrappers.Response`` (a view or a function after it may
    return one, as in Quart), as ``app``'s response class: same status, headers and body
    (read now when it is in memory, else streamed from its iterator). The send step
    calls it when an answer is not one of ours; tests/core/test_werkzeug_responses.py."""
    if response.is_sequence:
        body: Any = response.get_data()
    else:
        body = response.iter_encoded()
    return app.response_class(body, status=response.status, headers=response.headers)  # type: ignore[no-any-return]
