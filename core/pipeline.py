"""The HTTP request pipeline in one function, for apps that override none of its steps.

:meth:`~erlen.Erlen.handle_request` runs a request through a chain of overridable
methods (Quart's names: ``full_dispatch_request``, ``preprocess_request``,
``dispatch_request``, ``finalize_request``, ``process_response``, ...), and the context
push/pop with their teardown calls. Each call is cheap, but a plain request makes about
twenty of them, which is most of the kernel's cost per request.

When an app's class (or the instance) replaces none of those methods, the chain can only
do what the kernel's own methods do, so :func:`fast_request_handler` builds one function
that does exactly that, inline, calling out to the methods again for everything off the
common path (errors, automatic ``OPTIONS``, non-text return values, ``_save_session``,
teardown functions, signals with receivers). An app that overrides any step keeps the
method chain. ``tests/core/test_hot_path.py`` runs the same requests through both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import signals
from .ctx import RequestContext
from .globals import _cv_app, _cv_request
from .sessions import save_if_unchanged

if TYPE_CHECKING:
    from .app import Erlen
    from .wrappers.request import Request
    from .wrappers.response import Response

#: The methods the fast pipeline stands in for; overriding any of them disables it.
INLINED_METHODS = (
    "handle_request",
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


def fast_request_handler(app: Erlen) -> Callable[[Request], Awaitable[Response]] | None:
    """``app.handle_request`` as one function, or ``None`` if ``app`` overrides a step."""
    if overridden_methods(app):
        return None
    request_started = signals.request_started
    request_finished = signals.request_finished
    request_tearing_down = signals.request_tearing_down
    appcontext_tearing_down = signals.appcontext_tearing_down
    appcontext_popped = signals.appcontext_popped
    appcontext_pushed = signals.appcontext_pushed
    send_async = signals.send_async
    plans = app._plans
    match_request = app.match_request
    hooks_before = app._hooks_before
    hooks_after = app._hooks_after
    hooks_teardown = app._hooks_teardown
    session_is_lazy = app._session_is_lazy
    session_cookie_sent = app._session_cookie_sent

    async def handle_request(request: Request) -> Response:
        match_request(request)
        rule = request.url_rule
        plan = plans.get(rule.endpoint if rule is not None else None) or app.plan_for(request)
        ctx = RequestContext(app, request)
        ctx.push(_signal=False)
        error: BaseException | None = None
        try:
            try:
                if appcontext_pushed.receivers:
                    await ctx._send_appcontext_pushed()
                if not session_is_lazy():
                    await ctx.open_session()
                # --- full_dispatch_request
                if request_started.receivers:
                    await send_async(request_started, app)
                try:
                    # --- preprocess_request
                    result: Any = None
                    if plan.preprocessors:
                        for func in plan.preprocessors:
                            func(request.endpoint, request.view_args)
                    for hook, is_async in hooks_before:
                        result = hook(app, request)
                        if is_async:
                            result = await result
                        if result is not None:
                            break
                    if result is None:
                        for func in plan.before:
                            result = await func()
                            if result is not None:
                                break
                    # --- dispatch_request
                    if result is None:
                        if request.routing_exception is not None:
                            app.raise_routing_exception(request)
                        if (
                            getattr(rule, "provide_automatic_options", False)
                            and request.method == "OPTIONS"
                        ):
                            result = await app.make_default_options_response()
                        elif plan.view is None:
                            raise AssertionError(
                                f"No view function for endpoint {request.endpoint!r}"
                            )
                        else:
                            result = await plan.view(**request.view_args)  # type: ignore[arg-type]
                except Exception as exc:
                    result = await app.handle_user_exception(exc)
                # --- finalize_request
                kind = type(result)
                if kind is str:
                    response = app.response_class._of_bytes(result.encode())
                elif kind is bytes:
                    response = app.response_class._of_bytes(result)
                else:
                    response = await app.make_response(result)
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
                if ctx._session is not None or session_cookie_sent(request):
                    if not save_if_unchanged(app, ctx, response):  # no await, if unchanged
                        await app._save_session(ctx, response, True)
                if request_finished.receivers:
                    await send_async(request_finished, app, response=response)
                return response
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = exc
                return await app.handle_exception(exc)
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
                        if plan.teardown or hooks_teardown or request_tearing_down.receivers:
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
                        and not appcontext_tearing_down.receivers
                        and not appcontext_popped.receivers
                    ):
                        _cv_app.reset(pushed._tokens.pop())
                    else:
                        await pushed.pop(error)
            keep = request.scope.get("_erlen_preserve_context")
            if keep is not None:
                keep.append(ctx)

    return handle_request
