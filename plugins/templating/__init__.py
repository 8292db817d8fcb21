"""The ``templating`` plugin: jinja2 templates with Quart's API.

It puts a :class:`TemplatingExtension` in ``app.extensions["erlen.templating"]``; the
kernel's ``render_template``, ``render_template_string``, ``stream_template``,
``stream_template_string``, ``get_template_attribute``, ``app.jinja_env``,
``app.create_jinja_environment`` and ``app.update_template_context`` delegate to it.
Leave it out with ``Erlen(__name__, exclude_plugins=["templating"])``.

Other plugins extend templates through the hooks in :mod:`.hookspecs`
(``erlen_prepare_template_environment``, ``erlen_template_loaders``). jinja2 itself is
imported when the first environment is built.
"""

from __future__ import annotations

from typing import Any

from erlen import hookimpl

from . import hookspecs
from .extension import (
    DEFAULT_STRING_CACHE_SIZE,
    EXTENSION_KEY,
    STRING_CACHE_CONFIG,
    TemplatingExtension,
)

__all__ = ["EXTENSION_KEY", "TemplatingExtension"]


@hookimpl
def erlen_addhooks(pluginmanager: Any) -> None:
    """Add the template hook specifications."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def erlen_configure(app: Any) -> None:
    """Attach the extension and the ``TEMPLATE_STRING_CACHE_SIZE`` config default."""
    app.config.setdefault(STRING_CACHE_CONFIG, DEFAULT_STRING_CACHE_SIZE)
    app.extensions[EXTENSION_KEY] = TemplatingExtension(app)


@hookimpl
def erlen_app_frozen(app: Any) -> None:
    """Apply the final auto-reload setting."""
    ext = app.extensions.get(EXTENSION_KEY)
    if isinstance(ext, TemplatingExtension):
        ext.app_frozen()


@hookimpl
def erlen_startup(app: Any) -> None:
    """Build the environment at server startup, not at the first request."""
    ext = app.extensions.get(EXTENSION_KEY)
    if isinstance(ext, TemplatingExtension):
        ext.jinja_env  # noqa: B018 - built on first access


def __getattr__(name: str) -> Any:
    # jinja2-based names, imported only on use.
    if name == "Environment":
        from . import environment

        return getattr(environment, name)
    if name == "DispatchingJinjaLoader":
        from .loaders import DispatchingJinjaLoader

        return DispatchingJinjaLoader
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
