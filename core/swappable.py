"""Quart's swappable classes whose defaults belong to a plugin.

Quart lets an app swap the classes it builds objects from (``app.test_client_class``,
``app.websocket_class``, ``app.jinja_environment``...), and extensions subclass the
current value, as quart-schema does::

    app.test_client_class = new_class("TestClient", (Mixin, app.test_client_class))

In Erlen these classes belong to plugins, which the kernel does not import. A
:class:`PluginClass` attribute reads the class in use without the kernel naming it: on
an app, the value the app's plugins give (a hook or a plugin's class reached through a
kernel facade module, imported when read); on the class itself, the first-party
default. Setting the attribute on an app, or on a subclass, overrides it as in Quart,
and the app then uses the override.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PluginClass"]


class PluginClass:
    """A class attribute of :class:`~erlen.Erlen` whose default a plugin provides.

    :param facade: ``"module:name"``, a kernel facade module (``erlen.testing``,
        ``erlen.templating``, ``erlen``) and the name it serves lazily: the first-party
        default, read on the class and, without ``hook``, on an app.
    :param hook: the ``firstresult`` hook that answers for an app (``None`` when no
        loaded plugin provides one), e.g. ``"erlen_test_client_class"``.

    It is a non-data descriptor: a value set on an app lands in the app's ``__dict__``
    and wins, a subclass's class attribute shadows it, so overriding works as in Quart.
    """

    def __init__(self, facade: str, hook: str | None = None) -> None:
        self.module, _, self.name = facade.partition(":")
        self.hook = hook
        self.attribute = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = name

    def default(self) -> Any:
        """The first-party default class (imports the plugin module behind the facade)."""
        return getattr(importlib.import_module(self.module), self.name)

    def __get__(self, app: Any, owner: type | None = None) -> Any:
        if app is None:
            return self.default()
        if self.hook is None:
            return self.default()
        return getattr(app.plugin_manager.hook, self.hook)(app=app)
