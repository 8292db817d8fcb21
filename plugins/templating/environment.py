"""The async-enabled jinja2 environment of an app, and how it is built.

Building it is startup work: the options, the loaders, the default globals, the
plugins' ``erlen_prepare_template_environment`` and ``erlen_template_loaders`` hooks
and the app's registered filters/tests/globals are all applied once, here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import jinja2
from erlen.globals import g, request, session
from erlen.helpers import get_flashed_messages
from jinja2 import BaseLoader, ChoiceLoader

from .loaders import DispatchingJinjaLoader

if TYPE_CHECKING:
    from erlen import Erlen


class Environment(jinja2.Environment):
    """A jinja2 environment bound to an app, with async rendering always on.

    Without a ``loader`` option it uses ``app.create_global_jinja_loader()`` (a
    :class:`DispatchingJinjaLoader`: the app's ``templates/`` folder, then the
    blueprints' template folders).
    """

    def __init__(self, app: Erlen, **options: Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        options["enable_async"] = True
        super().__init__(**options)
        self.app = app


def auto_reload_setting(app: Erlen) -> bool:
    """``TEMPLATES_AUTO_RELOAD``, or the debug flag when that is None (Flask's rule)."""
    value = app.config["TEMPLATES_AUTO_RELOAD"]
    return bool(app.debug if value is None else value)


def flatten_loaders(results: Iterable[Any]) -> list[BaseLoader]:
    """The loaders of all ``erlen_template_loaders`` results, in call order."""
    loaders: list[BaseLoader] = []
    for result in results:
        if result is None:
            continue
        if isinstance(result, BaseLoader):
            loaders.append(result)
        else:
            loaders.extend(item for item in result if item is not None)
    return loaders


def add_extra_loaders(env: jinja2.Environment, loaders: list[BaseLoader]) -> None:
    """Search ``loaders`` after the environment's own loader."""
    if not loaders:
        return
    if isinstance(env.loader, DispatchingJinjaLoader):
        env.loader.extra_loaders.extend(loaders)
    elif env.loader is None:
        env.loader = ChoiceLoader(loaders)
    else:
        env.loader = ChoiceLoader([env.loader, *loaders])


def build_environment(app: Erlen, registry: dict[str, dict[str, Any]]) -> jinja2.Environment:
    """Create the jinja2 environment of ``app`` (see the module docstring)."""
    options = dict(app.jinja_options)
    if "autoescape" not in options:
        options["autoescape"] = app.select_jinja_autoescape
    if "auto_reload" not in options:
        options["auto_reload"] = auto_reload_setting(app)
    env_class = app.jinja_environment or Environment
    env: jinja2.Environment = env_class(app, **options)
    env.globals.update(
        url_for=app.url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        # Proxies: a render in a request sees its own request/session/g (the session
        # is only opened if the template uses it).
        request=request,
        session=session,
        g=g,
    )
    env.policies["json.dumps_function"] = app.json.dumps
    hook = app.plugin_manager.hook
    call_template_hooks(
        app, env, hook.erlen_template_loaders, hook.erlen_prepare_template_environment
    )
    apply_registry(env, registry)
    return env


def call_template_hooks(
    app: Erlen, env: jinja2.Environment, loaders_hook: Any, prepare_hook: Any
) -> None:
    """Add the loaders ``loaders_hook`` returns to ``env``, then call ``prepare_hook``.

    An error names the plugin whose implementation raised it.
    """
    name = "erlen_template_loaders"
    try:
        add_extra_loaders(env, flatten_loaders(loaders_hook(app=app)))
        name = "erlen_prepare_template_environment"
        prepare_hook(app=app, env=env)
    except Exception as exc:
        raise app.plugin_manager.plugin_error(name, exc) from exc


def apply_registry(env: jinja2.Environment, registry: dict[str, dict[str, Any]]) -> None:
    """Copy the app's ``template_filter``/``template_test``/``template_global``
    registrations into ``env``."""
    env.filters.update(registry.get("filters", {}))
    env.tests.update(registry.get("tests", {}))
    env.globals.update(registry.get("globals", {}))
