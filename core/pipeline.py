"""The HTTP request pipeline in one function, for apps that override none of its steps.

:meth:`~erlen.Erlen.handle_request` runs a request through a chain of overridable
methods (Quart's names: ``full_dispatch_request``, ``preprocess_request``,
``dispatch_request``, ``finalize_request``, ``process_response``, ...), and the context
push/pop with their teardown calls. Each call is cheap, but a plain request makes about
twenty of them, which is most of the kernel's cost per request.

When an app's class (or the instance) replaces none of those methods, the chain can only
do what the kernel's own methods do, so :func:`fast_http_handler` builds the whole
``http`` protocol handler as one function (scope in, ``send`` out) that does exactly
that, inline, calling out to the methods again for everything off the common path
(errors, automatic ``OPTIONS``, non-text return values, ``_save_session``, teardown
functions, signals with receivers). When nothing can see the response object (no
``after_request`` function, no session to save, no ``request_finished`` receiver) a
text or bytes return value is sent without building one. An app that overrides any step
keeps the method chain. ``tests/core/test_hot_path.py`` runs the same requests through
both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from inspect import getattr_static
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.sansio.response import Response as SansIOResponse

from . import signals
from .ctx import AppContext, RequestContext
from .dispatch import run_before_functions
from .globals import _cv_app, _cv_request
from .sessions import save_if_unchanged
from .wrappers.base import BaseRequestWebsocket, split_root_path
from .wrappers.headers import ResponseHeaders, content_length_item, encoded_pair
from .wrappers.request import Request
from .wrappers.response import Response

if TYPE_CHECKING:
    from .app import Erlen
    from .typing import ProtocolHandler, Receive, Scope, Send

#: ``send_response(response, head, send, receive, timeout)``: how the ``http`` handler
#: sends a response object (passed in, so this module does no I/O of its own).
SendResponse = Callable[["Response", bool, "Send", "Receive", "float | None"], Awaitable[None]]

#: The methods the fast pipeline stands in for; overriding any of them disables it.
INLINED_METHODS = (
    "handle_request",
    "match_request",
    "request_context",
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "plan_for",
    "finalize_request",
    "make_response",
    "process_response",
    "do_teardown_request",
    "do_teardown_appcontext",
)


def overridden_methods(app: Erlen) -> list[str]:
    """The pipeline methods ``app`` replaces (on its class or on the instance)."""
    from .app import Erlen

    return [
        name
        for name in INLINED_METHODS
        if name in vars(app) or getattr(type(app), name) is not getattr(Erlen, name)
    ]


def fast_http_handler(
    app: Erlen,
    request_kwargs: dict[str, Any],
    send_response: SendResponse,
    encode_headers: Callable[[Response], list[tuple[bytes, bytes]]],
    response_timeout: float | None,
) -> ProtocolHandler | None:
    """The ``http`` protocol handler of ``app`` as one function, or ``None`` if ``app``
    overrides a pipeline step. ``request_kwargs``: the limits every request is built with."""
    if overridden_methods(app):
        return None
    request_started = signals.request_started
    request_finished = signals.request_finished
    request_tearing_down = signals.request_tearing_down
    appcontext_tearing_down = signals.appcontext_tearing_down
    appcontext_popped = signals.appcontext_popped
    appcontext_pushed = signals.appcontext_pushed
    send_async = signals.send_async
    # While no signal has a receiver, one test stands for the six below.
    receivers = signals.receiver_state
    plans = app._plans
    match_request = app.match_request
    hooks_before = app._hooks_before
    hooks_after = app._hooks_after
    session_is_lazy = app._session_is_lazy
    session_cookie_sent = app._session_cookie_sent
    request_class = app.request_class
    kwargs = dict(request_kwargs)
    # A request class keeping Request's constructor gets its request built here, field by
    # field: what the constructor would set, but for the fields left to their class
    # defaults or derived from the scope on first read (scheme, http_version,
    # query_string), and without the constructor chain and its keyword parsing. (A class
    # redefining one of those fields keeps the constructor, which sets them all.)
    build_request = request_class.__init__ is Request.__init__ and all(
        getattr(request_class, name) is vars(BaseRequestWebsocket)[name]
        for name in ("scheme", "http_version", "query_string", "root_path")
    )
    if build_request:
        max_content_length = kwargs["max_content_length"]
        body_timeout = kwargs["body_timeout"]
        form_memory = kwargs["max_form_memory_size"]
        form_parts = kwargs["max_form_parts"]
    config = app.config
    fast_matcher = app._fast_matcher
    fast_map: Any = fast_matcher.url_map if fast_matcher is not None else None
    # The built-in session interface opens on first use; any other is awaited up front.
    lazy_session_interface = app.session_interface if session_is_lazy() else None
    # The one response a text view gets, while nothing else can see it: its headers are
    # known in advance but for the length.
    plain_class = app.response_class
    plain_type = plain_class._plain_content_type(plain_class.default_mimetype)
    make_plain = plain_class._plain  # bound once, not per response
    # ... or built inline by serve_http, when the class is made with object.__new__; its
    # Content-Type item is one tuple shared by every such response.
    build_plain = (
        plain_type is not None
        and plain_class.__new__ is object.__new__
        and getattr_static(plain_class, "_plain") is getattr_static(Response, "_plain")
    )
    plain_type_item = ("Content-Type", plain_type or "")
    plain_header = (b"content-type", plain_type.encode("latin-1")) if plain_type else None
    # Its status read from werkzeug's field: status_code is a property, a Python call.
    status_field_class = (
        plain_class if plain_class.status_code is SansIOResponse.status_code else None
    )
    get_app_context = _cv_app.get
    new_object = object.__new__

    async def serve_http(scope: Scope, receive: Receive, send: Send) -> None:
        if build_request:
            request = new_object(request_class)
            request.scope = scope
            request.method = scope.get("method", "GET")
            path = scope["path"]
            root_path = scope.get("root_path")
            if root_path:
                request.root_path, path = split_root_path(root_path, path)
            request.path = path if path[:1] == "/" else "/" + path
            request._receive = receive
            request._push_send = send
            request._max_content_length = max_content_length
            request.body_timeout = body_timeout
            request.max_form_memory_size = form_memory
            request.max_form_parts = form_parts
        else:
            request = request_class(scope, receive, **kwargs)
            request._push_send = send
        # --- match_request: a static path's rule straight from the fast matcher's table;
        # any other path from its match(), or from a bound adapter when that declines
        rule: Any = None
        if fast_matcher is not None and config["TRUSTED_HOSTS"] is None:
            if not fast_map._remap:  # else match() rebuilds the matcher first
                by_method = fast_matcher.http_static.get(request.path)
                if by_method is not None:
                    rule = by_method.get(request.method)  # None: unknown, or a redirect
            if rule is not None:
                request.url_rule = rule
                request.view_args = {}
            else:
                try:
                    found = fast_matcher.match(request.path, request.method, False)
                except HTTPException as exc:
                    request.routing_exception = exc
                else:
                    if found is None:
                        match_request(request)
                    else:
                        request.url_rule, request.view_args = found
                rule = request.url_rule
        else:
            match_request(request)
            rule = request.url_rule
        plan = plans.get(rule.endpoint if rule is not None else None) or app.plan_for(request)
        # --- RequestContext(app, request).push(_signal=False), field by field
        app_ctx = get_app_context(None)
        pushed: AppContext | None = None
        if app_ctx is None or app_ctx.app is not app:
            pushed = app_ctx = new_object(AppContext)
            app_ctx.app = app
            app_ctx.g = app.app_ctx_globals_class()
            app_ctx._url_adapter = None
            app_ctx._tokens = [_cv_app.set(app_ctx)]
        ctx = new_object(RequestContext)
        ctx.app = app
        ctx.app_ctx = app_ctx
        ctx._session = None
        ctx.flashes = None
        ctx._connection = ctx.request = request
        ctx._tokens = [(_cv_request.set(ctx), pushed)]
        error: BaseException | None = None
        body: bytes | None = None  # set instead of `response` when none is needed
        response: Any = None
        try:
            try:
                if receivers.connected and appcontext_pushed.receivers:
                    await ctx._send_appcontext_pushed()
                if app.session_interface is not lazy_session_interface and not session_is_lazy():
                    await ctx.open_session()
                # --- full_dispatch_request
                if receivers.connected and request_started.receivers:
                    await send_async(request_started, app)
                try:
                    # --- preprocess_request
                    result: Any = None
                    if plan.runs_before_chain:
                        result = await run_before_functions(
                            app, request, plan.preprocessors, hooks_before, plan.before
                        )
                    else:  # run_before_functions with only before_request functions
                        for func in plan.before:
                            result = await func()
                            if result is not None:
                                break
                    # --- dispatch_request
                    if result is None:
                        if request.routing_exception is not None:
                            app.raise_routing_exception(request)
                        if request.method == "OPTIONS" and getattr(
                            rule, "provide_automatic_options", False
                        ):
                            result = await app.make_default_options_response()
                        elif plan.view is None:
                            raise AssertionError(
                                f"No view function for endpoint {request.endpoint!r}"
                            )
                        else:
                            view_args = request.view_args
                            if view_args or view_args is None:  # None: **None's TypeError
                                result = await plan.view(**view_args)  # type: ignore[arg-type]
                            else:  # no captured values: no keyword dict built for the call
                                result = await plan.view()
                except Exception as exc:
                    result = await app.handle_user_exception(exc)
                # --- finalize_request
                kind = type(result)
                if kind is str or kind is bytes:
                    data = result.encode() if kind is str else result
                    if (
                        plain_header is not None
                        and not plan.after
                        and not hooks_after
                        and not ctx._after_funcs
                        and ctx._session is None
                        and not (receivers.connected and request_finished.receivers)
                        and app.response_class is plain_class
                    ):
                        # _session_cookie_sent's first test, inline: most requests
                        # send no cookie, and then no session can need refreshing.
                        for name, _value in scope.get("headers", ()):
                            if name == b"cookie" and session_cookie_sent(request):
                                response = make_plain(data, plain_type)  # type: ignore[arg-type]
                                break
                        else:
                            body = data  # nothing can see the response: it is only sent
                    elif build_plain and app.response_class is plain_class:
                        # Response._plain(data, plain_type), inlined
                        response = new_object(plain_class)
                        headers = response.headers = new_object(ResponseHeaders)
                        headers._list = [plain_type_item, content_length_item(len(data))]
                        response.response = [data]
                        # The class defaults, on the instance: read back faster when sent.
                        response._is_data = True
                        response._status_code = 200
                    elif app.response_class is plain_class and plain_type is not None:
                        response = make_plain(data, plain_type)
                    else:
                        response = app.response_class._of_bytes(data)
                elif kind is plain_class and app.response_class is plain_class:
                    response = result  # make_response returns its own class's instance as is
                else:
                    response = await app.make_response(result)
                if body is None:
                    # --- process_response
                    if ctx._after_funcs:
                        for func in ctx._after_funcs:
                            response = await app.ensure_async(func)(response)
                    for func in plan.after:
                        response = await func(response)
                    for hook, is_async in hooks_after:
                        rv = hook(app, request, response)
                        if is_async:
                            rv = await rv
                        if rv is not None:
                            response = rv
                    session = ctx._session
                    if session is None:
                        save = False  # _session_cookie_sent's first test inline, as above
                        for name, _value in scope.get("headers", ()):
                            if name == b"cookie":
                                save = session_cookie_sent(request)
                                break
                    else:
                        save = True
                    if save and not save_if_unchanged(app, ctx, response):  # no await if so
                        await app._save_session(ctx, response, True)
                    if receivers.connected and request_finished.receivers:
                        await send_async(request_finished, app, response=response)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = exc
                body = None
                response = await app.handle_exception(exc)
        except BaseException as exc:
            error = exc
            raise
        finally:
            # --- ctx.pop(error): teardown calls only when something is registered
            tokens = ctx._tokens
            token, pushed = tokens[-1]
            try:
                if len(tokens) == 1:
                    try:
                        if plan.runs_teardown or (
                            receivers.connected and request_tearing_down.receivers
                        ):
                            await app.do_teardown_request(error, ctx)
                    finally:
                        if request._files:
                            await request.close()
            finally:
                tokens.pop()
                _cv_request.reset(token)
                if pushed is not None:
                    if (
                        len(pushed._tokens) == 1
                        and not app.teardown_appcontext_funcs
                        and not (
                            receivers.connected
                            and (appcontext_tearing_down.receivers or appcontext_popped.receivers)
                        )
                    ):
                        _cv_app.reset(pushed._tokens.pop())
                    else:
                        await pushed.pop(error)
            keep = scope.get("_erlen_preserve_context")
            if keep is not None:
                keep.append(ctx)
        # --- send: after the contexts are gone, as the method chain does
        if request.method == "HEAD":
            if body is not None:
                response = plain_class._of_bytes(body)
            await send_response(response, True, send, receive, response_timeout)
        elif body is not None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [plain_header, (b"content-length", b"%d" % len(body))],
                }
            )
            await send({"type": "http.response.body", "body": body, "more_body": False})
        elif response._is_data:
            chunks = response.response
            await send(
                {
                    "type": "http.response.start",
                    "status": response._status_code
                    if type(response) is status_field_class
                    else response.status_code,
                    "headers": [*map(encoded_pair, response.headers._list)]
                    if type(response.headers) is ResponseHeaders
                    else encode_headers(response),
                }
            )
            await send(
                {
                    "type": "http.response.body",
                    "body": b"".join(chunks),  # one bytes chunk: itself, not a copy
                    "more_body": False,
                }
            )
        else:
            await send_response(response, False, send, receive, response_timeout)

    return serve_http
