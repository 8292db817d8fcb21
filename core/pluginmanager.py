"""Plugin discovery, selection and registration.

Every plugin, first-party or not, is found the same way: through the ``erlen`` entry
point group. Installed is not loaded: an app loads the *default* plugins (the ones Erlen
ships, the entry points under ``erlen.plugins``; or the names in the ``ERLEN_PLUGINS``
environment variable) and a third-party plugin only when it asks for it by name
(``Erlen(__name__, extra_plugins=["cors"])``, ``plugins=[...]`` or
``app.register_plugin("cors")``). The kernel adds its own built-in hook implementations
(``erlen.builtins``), which are not optional.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from importlib.metadata import (
    EntryPoint,
    PackageNotFoundError,
    entry_points,
    packages_distributions,
)
from importlib.metadata import version as version_of
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from .exceptions import PluginError, UnknownPluginError

ENTRY_POINT_GROUP = "erlen"
#: Environment variable naming entry-point plugins to leave out (comma separated).
DISABLE_ENV = "ERLEN_DISABLE_PLUGINS"
#: Environment variable naming the default plugins (comma separated): what an app that
#: passes no ``plugins=`` loads, instead of the first-party set.
DEFAULT_ENV = "ERLEN_PLUGINS"
#: Entry points whose module is under this package are Erlen's own (first-party) plugins.
FIRST_PARTY_PACKAGE = "erlen.plugins."
BUILTINS_NAME = "erlen.builtins"


@lru_cache(maxsize=1)
def available_plugins() -> dict[str, EntryPoint]:
    """Installed plugins by name (entry point group ``erlen``), read once per process."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def _load_entry_point(name: str, ep: EntryPoint) -> Any:
    try:
        return ep.load()
    except Exception as exc:  # a broken plugin must say which one it is
        raise PluginError(f"Erlen plugin {name!r} ({ep.value}) failed to load: {exc!r}") from exc


def first_party_plugins() -> list[str]:
    """The names of the installed plugins Erlen itself ships (entry points whose module is
    under ``erlen.plugins``), in entry-point order."""
    return [
        name
        for name, ep in available_plugins().items()
        if ep.module.startswith(FIRST_PARTY_PACKAGE)
    ]


def _names(value: str) -> list[str]:
    return [n.strip() for n in value.split(",") if n.strip()]


def default_plugins() -> list[str]:
    """The plugins an app loads when it passes no ``plugins=``: the names in the
    ``ERLEN_PLUGINS`` environment variable when it is set, else :func:`first_party_plugins`.
    Third-party plugins are never among them unless ``ERLEN_PLUGINS`` names them."""
    chosen = os.environ.get(DEFAULT_ENV)
    if chosen is None:
        return first_party_plugins()
    names = _names(chosen)
    unknown = [n for n in names if n not in available_plugins()]
    if unknown:
        raise UnknownPluginError(
            _unknown_message(unknown, available_plugins(), f"load ({DEFAULT_ENV})")
        )
    return names


def excluded_plugins(exclude: Iterable[str] = ()) -> set[str]:
    """``exclude`` plus the names in ``ERLEN_DISABLE_PLUGINS``; an unknown name fails."""
    installed = available_plugins()
    excluded = {n.strip() for n in exclude if n.strip()}
    excluded |= set(_names(os.environ.get(DISABLE_ENV, "")))
    unknown = sorted(n for n in excluded if n not in installed)
    if unknown:
        raise UnknownPluginError(_unknown_message(unknown, installed, "exclude"))
    return excluded


def load_plugin(name: str) -> object:
    """The plugin object of the installed entry point ``name`` (:class:`UnknownPluginError`
    naming the installed ones when there is none, :class:`PluginError` when it fails to
    import)."""
    installed = available_plugins()
    if name not in installed:
        raise UnknownPluginError(_unknown_message([name], installed, "load"))
    return _load_entry_point(name, installed[name])


def resolve_plugins(
    plugins: Sequence[str | object] | None,
    exclude: Iterable[str] = (),
    extra: Sequence[str | object] = (),
) -> list[tuple[str, object]]:
    """Turn the ``plugins=``/``extra_plugins=``/``exclude_plugins=`` arguments into
    ``(name, plugin)`` pairs.

    ``plugins`` is the exact selection; ``None`` means :func:`default_plugins`. ``extra``
    adds to it (a name already selected is loaded once). Strings name installed entry
    points; any other object (a module, a class instance) is registered as it is.
    Excluded names (``exclude`` and ``ERLEN_DISABLE_PLUGINS``) are left out of both.
    """
    excluded = excluded_plugins(exclude)
    selection = [*(default_plugins() if plugins is None else plugins), *extra]
    chosen: list[tuple[str, object]] = []
    named: set[str] = set()
    for item in selection:
        if isinstance(item, str):
            if item not in excluded and item not in named:  # a name given twice loads once
                named.add(item)
                chosen.append((item, load_plugin(item)))
        else:
            chosen.append((plugin_name(item), item))
    return chosen


def _unknown_message(names: list[str], installed: dict[str, EntryPoint], verb: str) -> str:
    known = ", ".join(sorted(installed)) or "none"
    return (
        f"Cannot {verb} unknown Erlen plugin(s) {', '.join(map(repr, names))}; "
        f"installed plugins (entry point group {ENTRY_POINT_GROUP!r}): {known}"
    )


def plugin_name(plugin: object) -> str:
    """The name a plugin object is registered under when none is given."""
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    name = getattr(plugin, "name", None) or getattr(plugin, "__name__", None)
    return str(name) if name else f"{type(plugin).__module__}.{type(plugin).__qualname__}"


class ErlenPluginManager(pluggy.PluginManager):
    """A pluggy manager with the kernel's specs, counting changes to its plugins.

    ``generation`` grows on every register/unregister; compiled per-request hook tables
    remember the generation they were built at.
    """

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.generation = 0
        self.hook.erlen_addhooks.call_historic(kwargs={"pluginmanager": self})

    def register(self, plugin: object, name: str | None = None) -> str | None:
        """Register ``plugin``; see :meth:`pluggy.PluginManager.register`."""
        rv = super().register(plugin, name)
        self.generation += 1
        return rv

    def get_canonical_name(self, plugin: object) -> str:
        """The name of a plugin registered without one: see :func:`plugin_name`."""
        return plugin_name(plugin)

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        """Unregister ``plugin`` (or the one registered as ``name``)."""
        rv = super().unregister(plugin, name)
        self.generation += 1
        return rv

    def import_plugin(self, dotted: str) -> ModuleType:
        """Import a plugin module by dotted path (for ``plugins=["pkg.mod"]`` style use)."""
        return importlib.import_module(dotted)

    def describe(self) -> list[dict[str, Any]]:
        """Name, version and implemented hooks of every registered plugin (``kernel plugins``).

        The version is the one of the distribution that ships the plugin: the entry
        point's distribution, else the plugin's ``__version__``, else the distribution
        that installed the plugin's top-level module.
        """
        installed = available_plugins()
        rows = []
        for name, plugin in self.list_name_plugin():
            hooks = sorted(caller.name for caller in self.get_hookcallers(plugin) or [])
            ep = installed.get(name)
            rows.append({"name": name, "version": plugin_version(plugin, ep), "hooks": hooks})
        return rows

    def plugin_error(self, hook_name: str, exc: BaseException) -> PluginError:
        """A :class:`PluginError` naming the plugin whose ``hook_name`` implementation raised
        ``exc`` (found from the traceback), for startup hooks called through pluggy."""
        name = self._raising_plugin(hook_name, exc)
        who = f"Erlen plugin {name!r}" if name else "An Erlen plugin"
        return PluginError(f"{who} failed in {hook_name}: {exc!r}")

    def _raising_plugin(self, hook_name: str, exc: BaseException) -> str | None:
        caller = getattr(self.hook, hook_name, None)
        if caller is None:
            return None
        owners = {
            impl.function.__code__: impl.plugin_name
            for impl in caller.get_hookimpls()
            if hasattr(impl.function, "__code__")
        }
        found = None
        tb = exc.__traceback__
        while tb is not None:  # the innermost implementation frame is the one that raised
            found = owners.get(tb.tb_frame.f_code, found)
            tb = tb.tb_next
        return found


def describe_installed(
    enabled: Iterable[str] | None = None, kernel: Iterable[tuple[object, str]] = ()
) -> list[dict[str, Any]]:
    """:meth:`ErlenPluginManager.describe` rows for every installed plugin, without an app
    (``kernel plugins``). Each row has ``enabled``: whether the name is in ``enabled``
    (default: what an app that names no plugins loads). A plugin that fails to load gets a
    row with an ``error`` message and no hooks instead of stopping the listing.
    ``kernel``: ``(plugin, name)`` pairs registered first, as an app registers its
    built-in implementations (the command line passes ``erlen.builtins``)."""
    if enabled is None:
        enabled = set(default_plugins()) - excluded_plugins()
    enabled = set(enabled)
    pm = ErlenPluginManager()
    for plugin, name in kernel:
        pm.register(plugin, name)
    failed: dict[str, dict[str, Any]] = {}
    for name, ep in available_plugins().items():
        try:
            pm.register(_load_entry_point(name, ep), name)
        except PluginError as exc:
            version = str(ep.dist.version) if ep.dist is not None else None
            failed[name] = {"name": name, "version": version, "hooks": [], "error": str(exc)}
    rows = {row["name"]: row for row in pm.describe()}
    rows.update(failed)
    for name, row in rows.items():
        row["enabled"] = name == BUILTINS_NAME or name in enabled
    return [rows[name] for name in (BUILTINS_NAME, *available_plugins()) if name in rows]


def plugin_version(plugin: object, ep: EntryPoint | None = None) -> str | None:
    """The version of the distribution providing ``plugin`` (None when unknown)."""
    dist = getattr(ep, "dist", None) if ep is not None else None
    if dist is not None:
        return str(dist.version)
    version = getattr(plugin, "__version__", None)
    if version is not None:
        return str(version)
    module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
    for dist_name in _module_distributions().get(module.partition(".")[0], ()):
        try:
            return version_of(dist_name)
        except PackageNotFoundError:
            continue
    return None


@lru_cache(maxsize=1)
def _module_distributions() -> dict[str, list[str]]:
    # Scans every installed distribution: only ever used by ``kernel plugins``.
    return dict(packages_distributions())


# --- per-request hooks, compiled --------------------------------------------------------
# pluggy's hook caller does a dispatch per call even with no implementation: the hooks run
# per request (or per connection) are read once, at freeze, in pluggy's own call order,
# into ``(callable, is_async)`` pairs taking the spec's arguments positionally; an
# unimplemented hook becomes an empty tuple, which the pipeline skips.

Compiled = tuple[tuple[Callable[..., Any], bool], ...]


def compile_hook(pm: pluggy.PluginManager, name: str, argnames: tuple[str, ...]) -> Compiled:
    """The implementations of hook ``name`` as positional callables, in call order."""
    caller = getattr(pm.hook, name)
    compiled = []
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            raise PluginError(
                f"Plugin {impl.plugin_name!r}: per-request hook {name} cannot be a wrapper;"
                " use erlen_asgi_middleware to wrap requests"
            )
        function = impl.function
        positions = tuple(argnames.index(arg) for arg in impl.argnames)
        if positions == tuple(range(len(argnames))):
            adapter = function
        else:
            adapter = _select_args(function, positions)
        compiled.append((adapter, inspect.iscoroutinefunction(function)))
    return tuple(compiled)


def compile_on_demand(
    pm: pluggy.PluginManager, name: str, argnames: tuple[str, ...]
) -> Compiled | None:
    """:func:`compile_hook` for a hook that runs for some requests only: None when an
    implementation is a wrapper (pluggy's ``wrapper``/``hookwrapper``, which a tuple of
    plain callables cannot keep), and the hook is then called through pluggy."""
    if any(impl.hookwrapper or impl.wrapper for impl in getattr(pm.hook, name).get_hookimpls()):
        return None
    return compile_hook(pm, name, argnames)


def first_result(compiled: Compiled, *args: Any) -> Any:
    """Call a ``firstresult`` hook's compiled implementations (:func:`compile_hook`) in
    pluggy's order with ``args``: the first result that is not None, else None."""
    for function, _is_async in compiled:
        result = function(*args)
        if result is not None:
            return result
    return None


def _select_args(function: Callable[..., Any], positions: tuple[int, ...]) -> Callable[..., Any]:
    def adapter(*args: Any) -> Any:
        return function(*[args[i] for i in positions])

    return adapter
