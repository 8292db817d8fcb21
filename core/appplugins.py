"""An app's plugins: the ones it loads when it is made, one more registered later, and
what they give the app (URL converters, its JSON provider, its session interface, the
test classes).

:class:`~erlen.app.Erlen` calls these; they are apart from it so the app module holds the
app's own API and its ASGI entry only.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import builtins
from .exceptions import PluginError
from .pluginmanager import BUILTINS_NAME, load_plugin, resolve_plugins
from .sessions import DefaultSessionInterface, NullSessionInterface, default_session_interface

if TYPE_CHECKING:
    from .app import Erlen


def load_app_plugins(
    app: Erlen,
    plugins: Sequence[str | object] | None,
    exclude_plugins: Iterable[str],
    extra_plugins: Sequence[str | object],
) -> None:
    """Register the kernel's built-ins and the plugins ``app`` selects (``Erlen``'s
    arguments of the same names), then take what they give: URL converters, the JSON
    provider (unless the app's class sets ``json_provider_class``) and the session
    interface (unless the app's class sets its own)."""
    pm = app.plugin_manager
    pm.register(builtins, BUILTINS_NAME)
    for name, plugin in resolve_plugins(plugins, exclude_plugins, extra_plugins):
        register(app, plugin, name)
    hook = pm.hook
    for converters in hook.erlen_url_converters(app=app):
        if converters:
            app.url_map.converters.update(converters)
    provider_class = app.json_provider_class
    if provider_class is not None:
        app.json = provider_class(app)
    else:
        app.json = hook.erlen_json_provider(app=app)
        app.json_provider_class = type(app.json)
    declared = inspect.getattr_static(type(app), "session_interface")
    if isinstance(declared, DefaultSessionInterface):
        app.session_interface = default_session_interface(app)
    else:  # a subclass's own (Quart's way), kept on the instance too
        app.session_interface = app.session_interface


def register(app: Erlen, plugin: object, name: str | None) -> None:
    """Register ``plugin`` on ``app``'s plugin manager; a :class:`PluginError` saying
    which plugin when pluggy refuses it (a name taken, a hook without a spec...)."""
    try:
        app.plugin_manager.register(plugin, name)
    except ValueError as exc:
        raise PluginError(f"Cannot register Erlen plugin {name!r}: {exc}") from exc


def register_plugin(app: Erlen, plugin: object, name: str | None = None) -> None:
    """``app.register_plugin(plugin, name)``: register one more plugin (an object, or an
    installed entry point's name: a no-op when ``app`` already has a plugin of that name),
    give the app its session interface if it had none, and run its ``erlen_configure``."""
    pm = app.plugin_manager
    if isinstance(plugin, str):
        if pm.get_plugin(plugin) is not None:
            return  # already enabled under that name: selecting it again changes nothing
        name = name or plugin
        plugin = load_plugin(plugin)
    register(app, plugin, name)
    if getattr(plugin, "erlen_session_interface", None) is not None and isinstance(
        app.session_interface, NullSessionInterface
    ):
        app.session_interface = default_session_interface(app)
    if getattr(plugin, "erlen_configure", None) is not None:
        others = [p for p in pm.get_plugins() if p is not plugin]
        try:
            pm.subset_hook_caller("erlen_configure", others)(app=app)
        except Exception as exc:
            raise pm.plugin_error("erlen_configure", exc) from exc


def configure(app: Erlen) -> None:
    """Run every plugin's ``erlen_configure``; an error names the plugin that raised."""
    try:
        app.plugin_manager.hook.erlen_configure(app=app)
    except Exception as exc:  # name the plugin: a bare traceback hides whose code it was
        raise app.plugin_manager.plugin_error("erlen_configure", exc) from exc


def testing_class(app: Erlen, attribute: str) -> Any:
    """The class ``app.test_client()`` (``attribute`` ``"test_client_class"``),
    ``test_app()`` or ``test_cli_runner()`` builds: the app's own, else the one the
    ``erlen_<attribute>`` hook gives (the testing plugin's); a ``RuntimeError`` saying
    which plugin is missing when there is none."""
    cls = getattr(app, attribute) or getattr(app.plugin_manager.hook, f"erlen_{attribute}")(app=app)
    if cls is None:
        call = attribute.removesuffix("_class")
        raise RuntimeError(f"app.{call}() needs the 'testing' plugin, which is not loaded")
    return cls
