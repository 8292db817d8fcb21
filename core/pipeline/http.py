"""The ``http`` ASGI protocol handler: scope -> request -> steps -> ``send``.

:func:`make_http_handler` is called when the app freezes. Each request is built with
:meth:`Request.from_scope <erlen.wrappers.request.Request.from_scope>`, then
:func:`handle` runs the steps of :mod:`.steps`: match, enter the contexts, open the
session (interfaces that cannot open lazily), full dispatch (before functions, view,
return-value conversion, after functions, session save), errors, teardown. What a plan
knows to be empty is skipped (:class:`~.steps.HttpSteps`), and an app overriding one of
Quart's methods has that method called in its step's place. A text return value that
nothing can see is sent without building a response object (:func:`text_messages`).

The view runs inline in the server's task: no extra task and no extra loop turns for a
plain response. Only a streamed body gets a helper task, which watches for
``http.disconnect`` so a client going away stops the generator; the body's send is
bounded by ``Response.timeout`` or ``RESPONSE_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers

from .. import signals
from ..ctx import RequestContext
from ..sessions import can_open_sync
from ..wrappers.headers import ResponseHeaders, encoded_pair
from ..wrappers.request import RequestLimits
from .match import match_request
from .steps import HttpSteps, full_dispatch, handle_exception, teardown

if TYPE_CHECKING:
    from ..app import Erlen
    from ..typing import ProtocolHandler, Receive, Scope, Send
    from ..wrappers.response import Response

_receivers = signals.receiver_state


def request_limits(app: Erlen) -> RequestLimits:
    """The limits of ``app``'s requests, from its config."""
    config = app.config
    return RequestLimits(
        config["MAX_CONTENT_LENGTH"],
        config["BODY_TIMEOUT"],
        config["MAX_FORM_MEMORY_SIZE"],
        config["MAX_FORM_PARTS"],
    )


def make_http_handler(app: Erlen) -> ProtocolHandler:
    """Build the ``http`` protocol handler of ``app`` (its pipeline compiled, config read
    once here)."""
    steps = HttpSteps(app, app._pipeline)
    from_scope = app.request_class.from_scope
    limits = request_limits(app)
    timeout = app.config["RESPONSE_TIMEOUT"]
    plain_header = (
        (b"content-type", steps.plain_type.encode("latin-1")) if steps.plain_type else None
    )
    handle_request = steps.over.handle_request

    async def serve_http(scope: Scope, receive: Receive, send: Send) -> None:
        request = from_scope(scope, receive, send, limits)
        if handle_request is not None:
            outcome = await handle_request(request)
        else:
            outcome = await handle(app, steps, request, True)
        if type(outcome) is bytes:
            start, body = text_messages(outcome, plain_header, request.method == "HEAD")  # type: ignore[arg-type]
        elif outcome._is_data:
            start, body = data_messages(outcome, request.method == "HEAD")
        else:
            await send_response(outcome, request.method == "HEAD", send, receive, timeout)
            return
        await send(start)
        await send(body)

    return serve_http


async def handle(app: Erlen, steps: HttpSteps, request: Any, bare: bool = False) -> Any:
    """``handle_request``: match, enter the contexts, dispatch, leave; unhandled errors
    become the 500 answer. ``bare``: text nothing can see comes back as ``bytes``."""
    over = steps.over
    if over.match_request is None:
        match_request(app, steps.pipeline.matcher, request)
    else:
        over.match_request(request)
    rule = request.url_rule
    plan = steps.plans.get(rule.endpoint if rule is not None else None) or steps.pipeline.plan_for(
        request
    )
    if over.request_context is None:
        ctx = RequestContext.enter(app, request)
    else:
        ctx = over.request_context(request)
        ctx.push(_signal=False)
    error: BaseException | None = None
    try:
        try:
            if _receivers.connected and signals.appcontext_pushed.receivers:
                await ctx._send_appcontext_pushed()
            interface = app.session_interface
            if interface is not steps.lazy_interface and not can_open_sync(interface):
                await ctx.open_session()
            if over.full_dispatch_request is not None:
                outcome = await over.full_dispatch_request(ctx)
            else:
                outcome = await full_dispatch(app, ctx, plan, steps, bare)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = exc
            if over.handle_exception is not None:
                outcome = await over.handle_exception(exc)
            else:
                outcome = await handle_exception(app, ctx, plan, steps, exc)
    except BaseException as exc:
        error = exc
        raise
    finally:
        # What ctx.pop() does, without its calls, while no signal has a receiver and no
        # uploaded file is to be closed (steps.direct_leave: no teardown_appcontext
        # function, no overridden teardown method): the teardown step if the plan has
        # teardown functions or hooks, then the contexts are reset.
        # tests/core/test_plan_flags.py and test_hot_path.py pin it.
        if steps.direct_leave and not _receivers.connected and request._files is None:
            if (plan.flags or steps.flags_of(plan))[2]:
                ctx.leave()
            else:
                try:
                    if len(ctx._tokens) == 1:
                        await teardown(app, request, plan, steps.hooks, error)
                finally:
                    ctx.leave()
        else:
            await ctx.pop(error)
        # ``async with client:`` (Quart's preserve_context): the test client passes a
        # list in the scope and re-pushes the finished context so ``request``/``session``
        # stay readable after the request. One dict lookup; servers never set the key.
        keep = request.scope.get("_erlen_preserve_context")
        if keep is not None:
            keep.append(ctx)
    return outcome


def text_messages(
    body: bytes, content_type: tuple[bytes, bytes], head: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two ASGI messages sending ``body`` as the status 200 response the app's
    response class would make of it (``Content-Type`` of its default mimetype and
    ``Content-Length``), without building it; a HEAD request gets the headers only."""
    return (
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [content_type, (b"content-length", b"%d" % len(body))],
        },
        {"type": "http.response.body", "body": b"" if head else body, "more_body": False},
    )


_HEADERS_CLASSES = (Headers, ResponseHeaders)  # iterating them yields their `_list`


def encode_headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The response headers as ASGI byte pairs."""
    headers = response.headers
    items = headers._list if type(headers) in _HEADERS_CLASSES else headers
    return [*map(encoded_pair, items)]


def data_messages(response: Response, head: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two ASGI messages sending ``response``, whose body is in memory (or not sent:
    a HEAD request gets the headers only)."""
    return (
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": encode_headers(response),
        },
        {
            "type": "http.response.body",
            "body": b"" if head else b"".join(response._response),
            "more_body": False,
        },
    )


async def send_response(
    response: Response, head: bool, send: Send, receive: Receive, default_timeout: float | None
) -> None:
    """Send ``response`` over ASGI; a HEAD request gets the headers only."""
    if response._is_data or head:
        start, body = data_messages(response, head)
        await send(start)
        await send(body)
        if head and not response._is_data:
            await _close_body(response._response)
        return
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": encode_headers(response),
        }
    )
    timeout = response.timeout
    if timeout is ...:
        timeout = default_timeout
    await _send_streamed(response, send, receive, timeout)


async def _close_body(body: Any) -> None:
    aclose = getattr(body, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(body, "close", None)
    if close is not None:
        try:
            close()
        except ValueError:  # "generator already executing" in the thread pool: the
            pass  # body iterator closes it when that step ends (erlen.synciter)


async def _send_streamed(
    response: Response, send: Send, receive: Receive, timeout: float | None
) -> None:
    task = asyncio.current_task()
    assert task is not None
    stopped: list[str] = []

    def stop(reason: str) -> None:
        if not stopped:
            stopped.append(reason)
            task.cancel()

    async def watch_disconnect() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                stop("disconnect")
                return

    watcher = asyncio.ensure_future(watch_disconnect())
    timer = asyncio.get_running_loop().call_later(timeout, stop, "timeout") if timeout else None
    try:
        async for chunk in response.iter_encode():
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except asyncio.CancelledError:
        if not stopped:
            raise
        uncancel = getattr(task, "uncancel", None)
        if uncancel is not None:
            uncancel()
    finally:
        watcher.cancel()
        if timer is not None:
            timer.cancel()
        await _close_body(response._response)
