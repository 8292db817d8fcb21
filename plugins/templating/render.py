"""Rendering a loaded template: whole (by its sync twin, or ``render_async``) or streamed
(``generate_async``).

Signals are only sent when somebody listens (``signal.receivers``), so an app without
receivers pays one attribute test per render.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from erlen import signals
from erlen.globals import app_context_var, request_context_var, websocket_context_var

if TYPE_CHECKING:
    from erlen import Erlen
    from jinja2 import Template

    from .sync import SyncTwins

_CONTEXT_VARS: tuple[ContextVar[Any], ...] = (
    app_context_var,
    request_context_var,
    websocket_context_var,
)


async def render(
    app: Erlen,
    template: Template,
    context: dict[str, Any],
    twins: SyncTwins | None = None,
    twin: Template | None = None,
) -> str:
    """Render ``template`` with ``context`` to a string, sending the template signals:
    by its sync ``twin`` when it has one and nothing in it awaits (see :mod:`.sync`),
    else asynchronously."""
    if signals.before_render_template.receivers:
        await signals.send_async(
            signals.before_render_template, app, template=template, context=context
        )
    if twin is not None and twins is not None:
        rendered = await twins.render(template, twin, context)
    else:
        rendered = await template.render_async(context)
    if signals.template_rendered.receivers:
        await signals.send_async(signals.template_rendered, app, template=template, context=context)
    return rendered


async def stream(app: Erlen, template: Template, context: dict[str, Any]) -> AsyncIterator[str]:
    """An async iterator of ``template``'s rendered chunks, produced as it is consumed.

    The app/request/websocket contexts current now are restored around each step, so a
    body streamed after the view returned (and its request context was popped) still
    sees ``request``, ``session``, ``g`` and ``url_for``. They are set and reset within
    one step, never across a ``yield``, and no teardown functions run again.
    """
    if signals.before_render_template.receivers:
        await signals.send_async(
            signals.before_render_template, app, template=template, context=context
        )
    saved = [(var, value) for var in _CONTEXT_VARS if (value := var.get(None)) is not None]
    return _generate(app, template, context, saved)


async def _generate(
    app: Erlen,
    template: Template,
    context: dict[str, Any],
    saved: list[tuple[ContextVar[Any], Any]],
) -> AsyncIterator[str]:
    chunks = template.generate_async(context)
    try:
        while True:
            tokens = [(var, var.set(value)) for var, value in saved]
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                break
            finally:
                for var, token in reversed(tokens):
                    var.reset(token)
            yield chunk
        if signals.template_rendered.receivers:
            tokens = [(var, var.set(value)) for var, value in saved]
            try:
                await signals.send_async(
                    signals.template_rendered, app, template=template, context=context
                )
            finally:
                for var, token in reversed(tokens):
                    var.reset(token)
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]
