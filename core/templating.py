"""Template functions of the public API, served by the ``templating`` plugin.

The kernel does not import jinja2 code of its own: these functions hand over to the
plugin's extension object (``app.extensions["erlen.templating"]``), and raise a clear
error naming the plugin when it is not loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .globals import current_app

if TYPE_CHECKING:
    from .wrappers.response import Response


def _templating() -> Any:
    return current_app._get_current_object()._templating()  # type: ignore[attr-defined]


async def render_template(template_name_or_list: str | list[str], **context: Any) -> str:
    """Render a template file with ``context``."""
    return await _templating().render_template(template_name_or_list, **context)  # type: ignore[no-any-return]


async def render_template_string(source: str, **context: Any) -> str:
    """Render a template from a string."""
    return await _templating().render_template_string(source, **context)  # type: ignore[no-any-return]


async def stream_template(template_name_or_list: str | list[str], **context: Any) -> Response:
    """A streamed response rendering a template file incrementally."""
    return await _templating().stream_template(template_name_or_list, **context)  # type: ignore[no-any-return]


async def stream_template_string(source: str, **context: Any) -> Response:
    """A streamed response rendering a template string incrementally."""
    return await _templating().stream_template_string(source, **context)  # type: ignore[no-any-return]
