"""Template functions of the public API, served by the ``templating`` plugin.

The kernel does not import jinja2 code of its own: these functions hand over to the
plugin's extension object (``app.extensions["erlen.templating"]``), and raise a clear
error naming the plugin when it is not loaded.

The jinja2-based names Quart's module has (``Environment``, ``DispatchingJinjaLoader``)
and jinja2's ``TemplateNotFound`` are importable from here too; they are imported on
first use, so importing :mod:`erlen` does not import jinja2.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .globals import _cv_app, current_app


def _templating() -> Any:
    ctx = _cv_app.get(None)
    if ctx is None:
        return current_app._templating()  # type: ignore[attr-defined]  # raises: no app context
    return ctx.app._templating()


async def render_template(template_name_or_list: str | list[str], **context: Any) -> str:
    """Render a template file (or the first existing one of a list) with ``context``."""
    return await _templating().render_template(template_name_or_list, **context)  # type: ignore[no-any-return]


async def render_template_string(source: str, **context: Any) -> str:
    """Render a template from a string (autoescaped)."""
    return await _templating().render_template_string(source, **context)  # type: ignore[no-any-return]


async def stream_template(
    template_name_or_list: str | list[str], **context: Any
) -> AsyncIterator[str]:
    """Render a template file incrementally: an async iterator of chunks, produced as it
    is consumed. Return it from a view to stream the response (as Quart does)."""
    return await _templating().stream_template(template_name_or_list, **context)  # type: ignore[no-any-return]


async def stream_template_string(source: str, **context: Any) -> AsyncIterator[str]:
    """Render a template string incrementally: an async iterator of chunks."""
    return await _templating().stream_template_string(source, **context)  # type: ignore[no-any-return]


def __getattr__(name: str) -> Any:
    # Imported on use only: the kernel itself never needs jinja2.
    if name == "TemplateNotFound":
        from jinja2 import TemplateNotFound

        return TemplateNotFound
    if name in {"Environment", "DispatchingJinjaLoader"}:
        from .plugins import templating as plugin

        return getattr(plugin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
