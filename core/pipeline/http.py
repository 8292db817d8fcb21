"""The ``http`` ASGI protocol handler: scope -> request -> steps -> ``send``.

:func:`make_http_handler` is called when the app freezes. Each request is built with
:meth:`Request.from_scope <erlen.wrappers.request.Request.from_scope>`, then
:func:`handle` runs the steps of :mod:`.steps`: match, enter the contexts, open the
session (interfaces that cannot open lazily), full dispatch (before functions, view,
return-value conversion, after functions, session save), errors, teardown. What a plan
knows to be empty is skipped (:class:`~.steps.HttpSteps`), and an app overriding one of
Quart's methods has that method called in its step's place. A text return value that
nothing can see is sent without building a response object.

The view runs inline in the server's task: no extra task and no extra loop turns for a
plain response. Only a streamed body gets a helper task, which watches for
``http.disconnect`` so a client going away stops the generator; the body's send is
bounded by ``Response.timeout`` or ``RESPONSE_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers

from .. import signals
from ..config import ConfigReads
from ..ctx import RequestContext
from ..headerfields import InvalidHeaderError
from ..logging import printable
from ..wrappers.headers import ResponseHeaders, encoded_pair
from ..wrappers.request import RequestLimits
from .errors import answer_escaped_error
from .steps import HttpSteps, adopt_response, full_dispatch, handle_exception, teardown

if TYPE_CHECKING:
    from ..app import Erlen
    from ..typing import ProtocolHandler, Receive, Scope, Send
    from ..wrappers.request import Request
    from ..wrappers.response import Response

_receivers = signals.receiver_state
#: ``RequestContext.enter``, bound once. A method read from a class or an imported name,
#: or a callable stored on an instance, is looked up the slow way at every call on
#: CPython 3.11 (its specializing interpreter covers methods defined on the instance's
#: class only), and this one runs on every request.
_enter = RequestContext.enter

#: A scope key asking for the body of a HEAD answer (the GET answer's body) instead of
#: none. Servers never set it, and drop a HEAD body anyway; the test client sets it, so a
#: test sees what the view returned, as with Quart's test client.
HEAD_BODY = "_erlen_head_body"


def request_limits(config: Any) -> RequestLimits:
    """The request limits an app's config sets."""
    return RequestLimits(
        config["MAX_CONTENT_LENGTH"],
        config["BODY_TIMEOUT"],
        config["MAX_FORM_MEMORY_SIZE"],
        config["MAX_FORM_PARTS"],
        config["MAX_FORM_TOTAL_MEMORY_SIZE"],
        config["MAX_FORM_PART_HEADERS_SIZE"],
    )


def http_settings(config: Any) -> tuple[RequestLimits, float | None]:
    """``(request limits, RESPONSE_TIMEOUT)``: the config values every request uses."""
    return request_limits(config), config["RESPONSE_TIMEOUT"]


def make_http_handler(app: Erlen) -> ProtocolHandler:
    """Build the ``http`` protocol handler of ``app`` (its pipeline compiled; the config
    values every request uses read again when the config changes)."""
    steps = HttpSteps(app, app._pipeline)
    from_scope = app.request_class.from_scope
    settings = ConfigReads(http_settings)
    plain_header = (
        (b"content-type", steps.plain_type.encode("latin-1")) if steps.plain_type else None
    )
    handle_request = steps.over.handle_request

    async def serve_http(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("http_version", "1.1") < "1.1":  # "1.0" ("1" from granian)
            add_missing_host(scope, app.config["SERVER_NAME"])
        limits, timeout = settings.of(app.config)
        request = from_scope(scope, receive, send, limits)
        try:
            if handle_request is not None:
                outcome = await handle_request(request)
            else:
                outcome = await handle(app, steps, request, True)
        except Exception as error:  # it propagated (testing, debug, PROPAGATE_EXCEPTIONS)
            outcome = await answer_escaped_error(app, error, request)
        # A HEAD answer goes without its body, unless the scope asks for it (HEAD_BODY:
        # the test client, as Quart's returns the body; tests/plugins/testing/test_head_body.py).
        head = request.method == "HEAD" and HEAD_BODY not in scope
        if type(outcome) is bytes:
            # Text nothing could see (full_dispatch's bare result): sent as the status 200
            # response the app's response class would make of it (Content-Type of its
            # default mimetype, Content-Length), without building it.
            start = {
                "type": "http.response.start",
                "status": 200,
                "headers": [plain_header, (b"content-length", b"%d" % len(outcome))],
            }
            body = {
                "type": "http.response.body",
                "body": b"" if head else outcome,
                "more_body": False,
            }
        else:
            if outcome is CLIENT_GONE:
                return client_gone()
            try:
                in_memory = outcome._is_data
            except AttributeError:  # a werkzeug Response (make_response keeps it, as Quart)
                outcome = adopt_response(app, outcome)
                in_memory = outcome._is_data
            try:
                start = start_message(outcome)
            except UNSENDABLE as error:  # a header HTTP cannot carry (erlen.headerfields)
                outcome = await answer_unsendable(app, steps, request, outcome, error)
                start = start_message(outcome)
                in_memory = outcome._is_data
            if not in_memory:
                try:
                    await send_response(outcome, start, head, send, receive, timeout)
                except Exception as error:
                    if app.should_propagate():
                        raise
                    log_unsent_body(app, request, error)
                return
            body = {
                "type": "http.response.body",
                "body": b"" if head else b"".join(outcome._response),
                "more_body": False,
            }
        await send(start)
        await send(body)

    return serve_http


def client_gone() -> None:
    """End a request whose client went away while it was handled: the handler was
    cancelled for it (:class:`~.disconnect.DisconnectWatch`), so the cancellation is taken
    back and nothing is sent. A cancellation from elsewhere (the server stopping) stands."""
    task = asyncio.current_task()
    if task is not None and task.uncancel() > 0:
        raise asyncio.CancelledError()


def log_unsent_body(app: Erlen, request: Request, error: Exception) -> None:
    """Log ``error``, raised by a streamed body after its status was sent, naming the
    request. The answer is left incomplete (no final chunk), so the server closes the
    connection and the client sees a cut-off response, as it would if the error reached
    the server; the server would log it as a generic "Error in ASGI Framework"."""
    app.logger.error(
        f"Exception on request {printable(request.method)} {printable(request.path)}"
        " while sending its body (the response is cut off)",
        exc_info=(type(error), error, error.__traceback__),
    )


def add_missing_host(scope: Scope, server_name: str | None) -> None:
    """Give an HTTP/1.0 request without ``Host`` one, as Quart does: ``server_name``, or
    empty (HTTP/1.1 requires the header; servers refuse a request without it). An empty
    ``Host`` is a missing one: granian adds ``Host:`` with no value to such a request."""
    headers = scope.get("headers") or []
    if not any(name.lower() == b"host" and value for name, value in headers):
        kept = [pair for pair in headers if pair[0].lower() != b"host"]
        scope["headers"] = [*kept, (b"host", (server_name or "").encode("latin-1"))]


async def handle(
    app: Erlen, steps: HttpSteps, request: Any, bare: bool = False, plan: Any = None
) -> Any:
    """``handle_request``: match, enter the contexts, dispatch, leave; unhandled errors
    become the 500 answer. ``bare`` (the ``http`` handler's call): text nothing can see
    comes back as ``bytes``, and :data:`CLIENT_GONE` when the client went away (the
    handler was cancelled for it). ``plan``: matched already (:func:`handle_watched`)."""
    over = steps.over
    if plan is None:
        match = steps.match  # an attribute read, then a call: see _enter's comment
        match(request)
        rule = request.url_rule
        plan = steps.plans.get(rule.endpoint if rule is not None else None)
        if plan is None:
            plan = steps.pipeline.plan_for(request)
        if bare and (plan.flags or steps.flags_of(plan))[4]:
            return await handle_watched(app, steps, request, plan)
    if over.request_context is None:
        ctx = _enter(app, request)
    else:
        ctx = over.request_context(request)
        ctx.push(_signal=False)
    error: BaseException | None = None
    try:
        try:
            if _receivers.connected and signals.appcontext_pushed.receivers:
                await ctx._send_appcontext_pushed()
            if steps.open_session_eagerly:
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
        # uploaded file is to be closed (no body parsed, or a form without files: pop()
        # closes only a non-empty ``request._files``) (steps.direct_leave: no teardown_appcontext
        # function, no overridden teardown method): the teardown step if the plan has
        # teardown functions or hooks, then the contexts are reset.
        # tests/core/test_plan_flags.py and test_hot_path.py pin it.
        if steps.direct_leave and not _receivers.connected and not request._files:
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
        # The error's traceback holds this frame: without the local, no reference cycle;
        # nor through a routing error (404, 405, redirect), which the request keeps and
        # whose traceback (the kernel's frames only) holds the request
        # (tests/core/test_reference_cycles.py).
        error = None
        if request.routing_exception is not None:
            request.routing_exception.__traceback__ = None
    return outcome


_HEADERS_CLASSES = (Headers, ResponseHeaders)  # iterating them yields their `_list`
#: What encoding a response's headers raises for a header HTTP cannot carry.
UNSENDABLE = (UnicodeEncodeError, InvalidHeaderError)


def start_message(response: Response) -> dict[str, Any]:
    """The ``http.response.start`` message of ``response``: its status, and its headers
    as ASGI byte pairs; ``UnicodeEncodeError`` or ``InvalidHeaderError`` for a header
    HTTP cannot carry (not latin-1, a control character:
    :func:`erlen.headerfields.encode_header`), which :func:`answer_unsendable` answers."""
    headers = response.headers
    items = headers._list if type(headers) in _HEADERS_CLASSES else headers
    return {
        "type": "http.response.start",
        # status_code's value, read from its field when the class keeps werkzeug's
        # property (Response._status_code_field).
        "status": response._status_code if response._status_code_field else response.status_code,
        "headers": [*map(encoded_pair, items)],
    }


async def answer_unsendable(
    app: Erlen,
    steps: HttpSteps,
    request: Any,
    response: Response,
    error: UnicodeEncodeError | InvalidHeaderError,
) -> Any:
    """The app's answer in place of ``response``, which cannot be sent (a header is not
    latin-1, or has a control character): its 500 error handling (the error logged with
    the route, the 500 handler, the after functions), run in the request's context
    entered again.

    The request's teardown ran when it ended, so leaving runs nothing; the 500 handler
    sees a fresh ``g`` and session. ``response``'s body is closed unsent. Pinned over a
    real socket by ``tests/plugins/serving/test_hardening.py``."""
    if not response._is_data:
        await _close_body(response.response)
    over = steps.over
    rule = request.url_rule
    plan = steps.plans.get(rule.endpoint if rule is not None else None) or steps.pipeline.plan_for(
        request
    )
    ctx = RequestContext.enter(app, request)
    try:
        if over.handle_exception is not None:
            return await over.handle_exception(error)
        return await handle_exception(app, ctx, plan, steps, error)
    finally:
        ctx.leave()


#: What :func:`handle` returns when the client went away while the request was handled.
CLIENT_GONE: Any = object()


async def handle_watched(app: Erlen, steps: HttpSteps, request: Any, plan: Any) -> Any:
    """:func:`handle` for a plan that may wait (``flags_of``): the request is registered
    with the app's :class:`~.disconnect.ClientWatch`, which cancels its task if the
    client goes away; the cancellation becomes :data:`CLIENT_GONE`."""
    clients = steps.clients
    if not clients.register(request):
        return await handle(app, steps, request, True, plan)
    gone = False
    try:
        try:
            outcome = await handle(app, steps, request, True, plan)
        finally:
            gone = clients.finish(request)
    except asyncio.CancelledError:
        if not gone:
            raise
        return CLIENT_GONE
    return CLIENT_GONE if gone else outcome


async def send_response(
    response: Response,
    start: dict[str, Any],
    head: bool,
    send: Send,
    receive: Receive,
    default_timeout: float | None,
) -> None:
    """Send ``response`` over ASGI, ``start`` its :func:`start_message`; a HEAD request
    gets the headers only."""
    await send(start)
    if response._is_data or head:
        await send(
            {
                "type": "http.response.body",
                "body": b"" if head else b"".join(response._response),
                "more_body": False,
            }
        )
        if head and not response._is_data:
            await _close_body(response._response)
        return
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


#: Seconds a streamed body may send without the event loop turning (see _send_streamed).
LOOP_TURN_INTERVAL = 0.005


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
        turn_at = monotonic() + LOOP_TURN_INTERVAL
        async for chunk in response.iter_encode():
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if monotonic() >= turn_at:
                    # The loop gets a turn at least this often, so the watcher sees a
                    # disconnect: a server whose send neither suspends nor raises once the
                    # client is gone (granian, daphne, hypercorn without the serving
                    # plugin; before ASGI 2.4 such a send is a no-op) ran a body that
                    # awaits nothing else forever with the loop blocked.
                    # tests/core/test_asgi_servers.py pins it under real servers.
                    await asyncio.sleep(0)
                    turn_at = monotonic() + LOOP_TURN_INTERVAL
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
