"""Hook specifications of the ``templating`` plugin (added through ``erlen_addhooks``).

Both hooks are *startup* hooks: they run when the app's jinja2 environment is created
(lazily, at the first render, or at lifespan startup), never per render.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from erlen import hookspec

if TYPE_CHECKING:
    from erlen import Erlen
    from jinja2 import BaseLoader, Environment


@hookspec
def erlen_prepare_template_environment(app: Erlen, env: Environment) -> None:
    """Customise the jinja2 environment of ``app``: add filters, tests, globals,
    extensions or policies (``env.filters["name"] = f``, ``env.add_extension(...)``).

    Called once when the environment is created, after the default globals (``config``,
    ``url_for``, ``request``...) are set and the plugins' loaders are added, and before
    the app's own ``template_filter``/``template_test``/``template_global`` registrations
    are applied, so the app wins a name clash. A plugin registered later
    (``app.register_plugin``) is called for the existing environment at its next use.
    Use ``env``, not ``app.jinja_env`` (which is not ready yet and raises). All run, in
    pluggy's call order; results are ignored.
    """


@hookspec
def erlen_template_loaders(app: Erlen) -> BaseLoader | Iterable[BaseLoader] | None:
    """Contribute jinja2 loaders (one loader or an iterable of them).

    Called once when the environment is created (and, for a plugin registered later,
    at the environment's next use). The loaders are searched after the app's
    ``templates/`` folder and the blueprints' template folders, so an app can override a
    template a plugin ships; among plugins, in pluggy's call order (the plugin registered
    last first; ``tryfirst``/``trylast`` adjust it). Use a ``jinja2.PrefixLoader`` to
    give a plugin's templates their own namespace. All run.
    """
