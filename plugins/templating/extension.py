"""The object the kernel's template API delegates to: ``app.extensions["erlen.templating"]``.

Per-render work is kept small: the environment is built once (lazily), context
processor chains are compiled once the app is frozen, compiled template strings are
cached, and no pluggy hook is called while rendering.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from erlen.globals import app_context_var, request_context_var, websocket_context_var

from . import render as _render

if TYPE_CHECKING:
    from erlen import Erlen
    from jinja2 import BaseLoader, Environment, Template

    from .sync import SyncTwins

#: The key of the extension object in ``app.extensions``.
EXTENSION_KEY = "erlen.templating"
#: Config key: how many compiled ``render_template_string`` sources to keep (0: none).
STRING_CACHE_CONFIG = "TEMPLATE_STRING_CACHE_SIZE"
DEFAULT_STRING_CACHE_SIZE = 256

_REGISTRY_KINDS = ("filters", "tests", "globals")


class _RegistryDict(dict):  # type: ignore[type-arg]
    """One of the app's template registries; writes go through to a built environment.

    ``app.add_template_filter`` and friends store into these dicts, so a registration
    made after the first render (but before the app serves) is still seen.
    """

    def __init__(self, ext: TemplatingExtension, kind: str, initial: dict[str, Any]) -> None:
        super().__init__(initial)
        self._ext = ext
        self._kind = kind

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        env = self._ext._env
        if env is not None:
            getattr(env, self._kind)[key] = value

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


class TemplatingExtension:
    """Templates for one app: its jinja2 environment, context and render functions."""

    def __init__(self, app: Erlen) -> None:
        self.app = app
        self._env: Environment | None = None
        self._generation = -1
        self._applied_plugins: list[object] = []
        self._strings: dict[str, Template] = {}
        self._string_cache_size = DEFAULT_STRING_CACHE_SIZE
        self._chains: dict[str | None, tuple[Any, ...]] = {}
        self._building = False
        self._twins: SyncTwins | None = None
        registry = app.template_registry
        for kind in _REGISTRY_KINDS:
            registry[kind] = _RegistryDict(self, kind, dict(registry.get(kind, {})))

    # --- the environment --------------------------------------------------------------

    @property
    def jinja_env(self) -> Environment:
        """The app's environment, created on first use."""
        env = self._env
        if env is None or self._generation != self.app.plugin_manager.generation:
            env = self._refresh_environment()
        return env

    def create_jinja_environment(self) -> Environment:
        """Build a new environment for the app (options, loaders, globals, plugin hooks,
        the app's filters/tests/globals). ``app.jinja_env`` is the one built first."""
        from .environment import build_environment

        return build_environment(self.app, self.app.template_registry)

    def create_global_jinja_loader(self) -> BaseLoader:
        """The loader searching the app's template folder, then the blueprints' folders
        (and, once the environment is built, the plugins' loaders)."""
        from .loaders import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self.app)

    def _refresh_environment(self) -> Environment:
        pm = self.app.plugin_manager
        if self._building:
            raise RuntimeError(
                "app.jinja_env was used while the environment is being built; a"
                " template hook should use the 'env' argument it is given"
            )
        if self._env is None:
            self._building = True
            try:
                # Through the app, so a subclass overriding create_jinja_environment
                # is used.
                env = self.app.create_jinja_environment()
            finally:
                self._building = False
            size = self.app.config.get(STRING_CACHE_CONFIG, DEFAULT_STRING_CACHE_SIZE)
            self._string_cache_size = max(0, int(size or 0))
            self._strings.clear()
            self._env = env
        else:
            self._catch_up_plugins(self._env)
        self._applied_plugins = list(pm.get_plugins())
        self._generation = pm.generation
        return self._env

    def _catch_up_plugins(self, env: Environment) -> None:
        # A plugin registered after the environment was built gets its hooks called now.
        from .environment import apply_registry, call_template_hooks

        pm = self.app.plugin_manager
        old = [p for p in self._applied_plugins if pm.is_registered(p)]
        if len(old) == len(pm.get_plugins()):
            return
        call_template_hooks(
            self.app,
            env,
            pm.subset_hook_caller("erlen_template_loaders", old),
            pm.subset_hook_caller("erlen_prepare_template_environment", old),
        )
        apply_registry(env, self.app.template_registry)

    def app_frozen(self) -> None:
        """The config is final: follow ``TEMPLATES_AUTO_RELOAD``/``DEBUG`` as they are now."""
        from .environment import auto_reload_setting

        self._chains.clear()
        if self._env is not None and "auto_reload" not in self.app.jinja_options:
            self._env.auto_reload = auto_reload_setting(self.app)

    # --- the context ------------------------------------------------------------------

    def _processor_chain(self, blueprint: str | None) -> tuple[Any, ...]:
        chain = self._chains.get(blueprint)
        if chain is None:
            app = self.app
            names: list[str | None] = [None]
            if blueprint:
                parts = blueprint.split(".")
                names.extend(".".join(parts[: i + 1]) for i in range(len(parts)))
            processors = app.template_context_processors
            chain = tuple(app.ensure_async(f) for name in names for f in processors.get(name, ()))
            if app.frozen:  # before that, processors may still be added
                self._chains[blueprint] = chain
        return chain

    async def update_template_context(self, context: dict[str, Any]) -> None:
        """Add the default variables and the context processors' results to ``context``;
        values already in ``context`` win."""
        connection: Any = None
        defaults: dict[str, Any] = {}
        request_ctx = request_context_var.get(None)
        if request_ctx is not None:
            connection = defaults["request"] = request_ctx.request
        else:
            websocket_ctx = websocket_context_var.get(None)
            if websocket_ctx is not None:
                connection = defaults["websocket"] = websocket_ctx.websocket
        app_ctx = app_context_var.get(None)
        if app_ctx is not None:
            defaults["g"] = app_ctx.g
        chain = self._processor_chain(connection.blueprint if connection is not None else None)
        for processor in chain:
            defaults.update(await processor())
        for key, value in defaults.items():
            if key not in context:
                context[key] = value

    # --- rendering ----------------------------------------------------------------------

    def _from_string(self, source: str) -> Template:
        template = self._strings.get(source)
        if template is None:
            template = self.jinja_env.from_string(source)
            size = self._string_cache_size
            if size:
                strings = self._strings
                if len(strings) >= size:
                    del strings[next(iter(strings))]  # drop the oldest entry
                strings[source] = template
        return template

    def _sync_twins(self, env: Environment) -> SyncTwins:
        twins = self._twins
        if twins is None or not twins.is_current(env):
            from .sync import SyncTwins  # jinja2-based, as the environment

            twins = self._twins = SyncTwins(env)
        return twins

    async def render_template(self, template_name_or_list: Any, **context: Any) -> str:
        """Render a template file (or the first existing one of a list)."""
        await self.update_template_context(context)
        env = self.jinja_env
        template = env.get_or_select_template(template_name_or_list)
        twins = self._sync_twins(env)
        return await _render.render(self.app, template, context, twins, twins.of_file(template))

    async def render_template_string(self, source: str, **context: Any) -> str:
        """Render a template source string (autoescaped)."""
        await self.update_template_context(context)
        template = self._from_string(source)
        twin = None
        twins = self._sync_twins(self.jinja_env)
        if self._string_cache_size:  # else a new template each time: a twin would not pay
            twin = twins.of_string(template, source)
        return await _render.render(self.app, template, context, twins, twin)

    async def stream_template(
        self, template_name_or_list: Any, **context: Any
    ) -> AsyncIterator[str]:
        """Render a template file as an async iterator of chunks."""
        await self.update_template_context(context)
        template = self.jinja_env.get_or_select_template(template_name_or_list)
        return await _render.stream(self.app, template, context)

    async def stream_template_string(self, source: str, **context: Any) -> AsyncIterator[str]:
        """Render a template source string as an async iterator of chunks."""
        await self.update_template_context(context)
        return await _render.stream(self.app, self._from_string(source), context)

    async def get_template_attribute(self, template_name: str, attribute: str) -> Any:
        """A macro or variable a template exports (its module is built asynchronously)."""
        template = self.jinja_env.get_template(template_name)
        module = await template.make_module_async()
        return getattr(module, attribute)
