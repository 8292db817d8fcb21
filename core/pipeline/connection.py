"""The connection lifecycle, for protocol plugins: routing, contexts, before/after/teardown
functions, plugin hooks, error handling and the session save, as the kernel runs them.

A plugin serving a new ASGI scope type (the ``websocket`` plugin is one) describes its
connections with a :class:`Protocol` and calls :func:`handle` from its protocol handler;
it gets what HTTP requests get, with the app's registries and error handlers::

    from erlen.pipeline import connection

    MY_PROTOCOL = connection.Protocol(
        name="websocket",                # the chains: before_websocket_funcs, ...
        context_class=WebsocketContext,  # pushed while the handler runs
        hook_prefix="websocket",         # erlen_before_websocket, ... (if specified)
    )

    def erlen_protocol_handlers(app):
        protocol = MY_PROTOCOL.compiled(app)     # at freeze: plugin hooks read once

        async def serve(scope, receive, send):
            conn = MyConnection(scope, receive, send)
            response = await connection.handle(app, conn, protocol)
            ...                                  # send it, or whatever the protocol does

        return {"my-scope": serve}

The stages, in order: :func:`match`, enter the context (open the session for an
interface that cannot open lazily), :func:`full_dispatch` (:func:`preprocess`,
:func:`dispatch`, user errors to their handlers, :func:`finalize` with
:func:`postprocess` and the session save), :func:`handle_exception` for unhandled
errors, and the teardown when the context is left. A stage named in
``Protocol.methods`` is called through the app's method of that name when the app
overrides it (as Quart lets an app override ``full_dispatch_websocket``), else directly.

A protocol whose chains are empty and whose hooks are unimplemented runs none of them:
the chains are compiled per endpoint at freeze and the hooks per app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from .. import signals
from ..sessions import can_open_sync
from .errors import answer_escaped_error, handle_user_exception, server_error
from .match import match_request
from .plan import NO_HOOKS, Hooks, Plan, compile_hooks, overrides, plan_for
from .session import save_session
from .steps import adopt_response, run_before

if TYPE_CHECKING:
    from ..app import Erlen
    from ..wrappers.response import Response

__all__ = [
    "Protocol",
    "adopt_response",
    "answer_escaped_error",
    "dispatch",
    "finalize",
    "full_dispatch",
    "handle",
    "handle_exception",
    "match",
    "plan_for",
    "postprocess",
    "preprocess",
    "run_before",
    "save_session",
    "teardown",
]


@dataclass(frozen=True)
class Protocol:
    """How one kind of connection uses the lifecycle.

    :param name: whose function chains run: ``"websocket"`` reads the app's and
        blueprints' ``before_websocket_funcs``, ``after_websocket_funcs`` and
        ``teardown_websocket_funcs`` (see ``erlen.pipeline.plan.REGISTRIES``).
    :param context_class: the context pushed for each connection (its ``__init__`` takes
        ``(app, connection)``).
    :param hook_prefix: the plugin hooks ``erlen_before_{prefix}``,
        ``erlen_after_{prefix}`` and ``erlen_teardown_{prefix}``, called with
        ``(app, connection[, response | exc])`` (:meth:`compiled` reads them).
    :param websocket: match websocket rules (True) or HTTP rules.
    :param methods: stage name -> the app method standing for it (Quart's names), so an
        app overriding that method is honoured. Stages: ``handle``, ``full_dispatch``,
        ``preprocess``, ``dispatch``, ``finalize``, ``postprocess``, ``handle_exception``.
    :param started: the signal sent when a connection's dispatch starts (or None); likewise
        ``finished`` (with the response), ``got_exception`` (an unhandled error) and
        ``tearing_down`` (at teardown).
    """

    name: str
    context_class: type
    hook_prefix: str | None = None
    websocket: bool = True
    methods: dict[str, str] = field(default_factory=dict)
    started: Any = None
    finished: Any = None
    got_exception: Any = None
    tearing_down: Any = None
    #: The compiled plugin hooks (set by :meth:`compiled`).
    hooks: Hooks = NO_HOOKS
    #: Per stage, the app's overriding method or None (set by :meth:`compiled`; None:
    #: not compiled, each stage asks the app).
    stages: dict[str, Any] | None = None

    def compiled(self, app: Erlen) -> Protocol:
        """This protocol for ``app``: its plugin hooks read into plain callables, and
        which stages the app overrides (call it at freeze, from the protocol handler
        factory: plugins and methods are final then; replacing a stage's method on the
        instance compiles the app again)."""
        hooks = self.hooks
        if self.hook_prefix is not None:
            hooks = compile_hooks(app, self.hook_prefix, self.name)
        stages = {stage: _override(app, name) for stage, name in self.methods.items()}
        return replace(self, hooks=hooks, stages=stages)

    def handler(self, app: Erlen) -> Callable[[Any], Awaitable[Response | None]]:
        """What serves one connection: the app's method standing for the ``handle``
        stage when the app overrides it (Quart's ``handle_websocket``), else
        :func:`handle` bound to ``app`` and this protocol, with no frame of its own."""
        override = _stage(app, self, "handle")
        return override if override is not None else partial(handle, app, protocol=self)


def _override(app: Erlen, name: str) -> Any:
    return getattr(app, name) if overrides(app, name) else None


def _stage(app: Erlen, protocol: Protocol, stage: str) -> Any:
    """The app's method for ``stage`` if the app overrides it, else None (looked up
    once, by :meth:`Protocol.compiled`)."""
    stages = protocol.stages
    if stages is not None:
        return stages.get(stage)
    name = protocol.methods.get(stage)
    return _override(app, name) if name is not None else None


def match(app: Erlen, connection: Any, websocket: bool = True) -> Plan:
    """Match ``connection`` (anything with ``path``, ``method``, ``url_rule``,
    ``view_args``, ``routing_exception``, ``host``...: a request or websocket) and return
    its endpoint's plan. A routing error is stored on the connection, raised later by
    :func:`dispatch`."""
    pipeline = app.__dict__.get("_pipeline")
    if overrides(app, "match_request"):
        app.match_request(connection, websocket=websocket)
    else:
        match_request(
            app, pipeline.matcher if pipeline is not None else None, connection, websocket
        )
    return plan_for(app, connection)


async def handle(app: Erlen, connection: Any, protocol: Protocol) -> Response | None:
    """The whole lifecycle of ``connection``: match, push the context, full dispatch,
    errors, teardown. Returns the response the handler (or an error) produced, if any.

    An unhandled error sets ``connection.failed = True`` (and returns the 500 answer,
    unless it propagates in testing/debug). ``asyncio.CancelledError`` passes through.
    """
    match(app, connection, protocol.websocket)
    ctx = protocol.context_class(app, connection)
    ctx.push()
    error: BaseException | None = None
    try:
        try:
            if not can_open_sync(app.session_interface):
                await ctx.open_session()
            override = _stage(app, protocol, "full_dispatch")
            if override is not None:
                return await override(ctx)  # type: ignore[no-any-return]
            return await full_dispatch(app, ctx, protocol)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = exc
            connection.failed = True
            override = _stage(app, protocol, "handle_exception")
            if override is not None:
                return await override(exc)  # type: ignore[no-any-return]
            return await handle_exception(app, ctx, protocol, exc)
    except BaseException as exc:
        error = exc
        raise
    finally:
        if protocol.hooks.teardown:
            await _plugin_teardown(app, connection, protocol, error)
        await ctx.pop(error)
        # The error's traceback holds this frame, and a routing error's the connection
        # that keeps it: no reference cycle once they are let go (as .http.handle does).
        error = None
        if connection.routing_exception is not None:
            connection.routing_exception.__traceback__ = None


async def full_dispatch(app: Erlen, ctx: Any, protocol: Protocol) -> Response | None:
    """Preprocess, dispatch, user errors to their handlers, finalize."""
    if protocol.started is not None and protocol.started.receivers:
        await signals.send_async(protocol.started, app)
    connection = ctx._connection
    try:
        override = _stage(app, protocol, "preprocess")
        result = await (override(ctx) if override is not None else preprocess(app, ctx, protocol))
        if result is None:
            override = _stage(app, protocol, "dispatch")
            result = await (override(ctx) if override is not None else dispatch(app, connection))
    except Exception as error:
        if overrides(app, "handle_user_exception"):
            result = await app.handle_user_exception(error)
        else:
            result = await handle_user_exception(app, error, plan_for(app, connection).errors)
    try:
        override = _stage(app, protocol, "finalize")
        if override is not None:
            return await override(result, ctx)  # type: ignore[no-any-return]
        return await finalize(app, ctx, protocol, result)
    finally:
        result = None  # an HTTP exception answered as itself: see .steps.full_dispatch


async def preprocess(app: Erlen, ctx: Any, protocol: Protocol) -> Any:
    """URL value preprocessors, plugin before hooks, then the protocol's before
    functions; the first non-None result wins (and is the connection's answer)."""
    connection = ctx._connection
    plan = plan_for(app, connection)
    before = plan.chains_for(app, protocol.name).before
    return await run_before(app, connection, plan.preprocessors, protocol.hooks.before, before)


def dispatch(app: Erlen, connection: Any) -> Awaitable[Any]:
    """What awaiting gives the endpoint's handler's result, called with the captured
    arguments; raises the routing error (404, 405, websocket mismatch...) if matching
    failed. (A plain function returning the handler's awaitable: the handler runs one
    coroutine frame closer to the server's task, which every message it waits for
    resumes through.)"""
    if connection.routing_exception is not None:
        app.raise_routing_exception(connection)
    plan = plan_for(app, connection)
    if plan.view is None:
        raise AssertionError(f"No view function for endpoint {connection.endpoint!r}")
    return plan.view(**(connection.view_args or {}))  # type: ignore[no-any-return]


async def finalize(
    app: Erlen, ctx: Any, protocol: Protocol, result: Any, from_error_handler: bool = False
) -> Response | None:
    """Make the response (if the handler returned something) and post-process it."""
    response = await app.make_response(result) if result is not None else None
    try:
        override = _stage(app, protocol, "postprocess")
        if override is not None:
            response = await override(response, ctx)
        else:
            response = await postprocess(app, ctx, protocol, response)
        if protocol.finished is not None and protocol.finished.receivers:
            await signals.send_async(protocol.finished, app, response=response)
    except Exception:
        if not from_error_handler:
            raise
        app.logger.exception(f"{protocol.name.capitalize()} finalizing errored")
    return response


async def postprocess(
    app: Erlen, ctx: Any, protocol: Protocol, response: Response | None
) -> Response | None:
    """``after_this_{name}`` functions, the after functions (innermost blueprint first),
    plugin after hooks, then the session save (a response is needed to carry it)."""
    connection = ctx._connection
    for func in ctx._after_funcs:
        response = await app.ensure_async(func)(response)
    for func in plan_for(app, connection).chains_for(app, protocol.name).after:
        response = await func(response)
    for hook, is_async in protocol.hooks.after:
        rv = hook(app, connection, response)
        if is_async:
            rv = await rv
        if rv is not None:
            response = rv
    if response is not None:
        saving = save_session(app, ctx, response)
        if saving is not None:
            await saving
    elif ctx.session_opened:
        # No response to carry a cookie: the interface is called with None, as Quart
        # does (a server-side store saves; the cookie interface warns about a change).
        session = ctx.session
        interface = app.session_interface
        if not interface.is_null_session(session):
            saved = interface.save_session(app, session, None)
            if isinstance(saved, Awaitable):
                await saved
    return response


async def handle_exception(app: Erlen, ctx: Any, protocol: Protocol, error: Exception) -> Any:
    """The unhandled-error path: the protocol's signal, plugins, propagation in
    testing/debug, else one log line and the 500 handler's answer, finalized."""
    if protocol.got_exception is not None and protocol.got_exception.receivers:
        await signals.send_async(protocol.got_exception, app, exception=error)
    connection = ctx._connection
    result, finalizing = await server_error(
        app, error, connection, plan_for(app, connection).errors
    )
    if not finalizing:
        return result
    override = _stage(app, protocol, "finalize")
    if override is not None:
        return await override(result, ctx, from_error_handler=True)
    return await finalize(app, ctx, protocol, result, from_error_handler=True)


async def teardown(app: Erlen, ctx: Any, protocol: Protocol, exc: BaseException | None) -> None:
    """The protocol's teardown functions (innermost blueprint first) and its
    ``tearing_down`` signal; the context calls this when it is left."""
    for func in plan_for(app, ctx._connection).chains_for(app, protocol.name).teardown:
        await func(exc)
    if protocol.tearing_down is not None and protocol.tearing_down.receivers:
        await signals.send_async(protocol.tearing_down, app, exc=exc)


async def _plugin_teardown(
    app: Erlen, connection: Any, protocol: Protocol, exc: BaseException | None
) -> None:
    for hook, is_async in protocol.hooks.teardown:
        try:
            rv = hook(app, connection, exc)
            if is_async:
                await rv
        except Exception:
            app.logger.exception(f"Plugin {protocol.name} teardown hook failed")
