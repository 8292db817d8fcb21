"""Rendering without async generators: a template's sync twin, and when it may be used.

The app's environment is asynchronous (``enable_async=True``), so that a template may
call ``async`` functions and loop over async iterables, as in Quart. Its compiled code
runs every attribute lookup, call and loop through awaitables and async generators,
which costs more than the rendering itself when nothing in the template awaits.

So each template is also compiled by a synchronous *overlay* of the environment (same
loader, filters, tests, globals, policies and options; ``enable_async=False``), and a
render uses that *sync twin* unless the template turns out to need the async machinery:

* nothing in the render's context is async (an awaitable, an async iterable, an
  ``async def`` function) -- else the async template renders, as before;
* while the twin renders, a call of an ``async def`` function, filter or test (checked
  before calling), or a call, attribute, item, filter or test of the app that gives an
  awaitable stops it (:class:`NeedsAsync`), and so does a loop over an async iterable
  (the ``TypeError`` of a sync ``for``);
* then the async template renders from the start, and that template always renders
  asynchronously from then on.

Sync functions a template called before the point where it stopped are called again
by the async render (only on that first render that finds something async).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from jinja2.defaults import DEFAULT_FILTERS, DEFAULT_TESTS

if TYPE_CHECKING:
    from jinja2 import Environment, Template

#: Values jinja2's async code returns as they are, without an awaitable check.
_PLAIN_TYPES = frozenset({int, float, bool, str, list, dict, tuple, type(None)})
_MAX_TWINS = 1024  # templates with a known twin (or none) per environment


class NeedsAsync(Exception):
    """Raised inside a sync render that met something only the async render handles
    (``args[0]``: the awaitable it met, if any)."""


def _awaitable(value: Any) -> bool:
    return type(value) not in _PLAIN_TYPES and inspect.isawaitable(value)


def _discard(value: Any) -> None:
    # An awaitable the sync render met and the async render did not await (a coroutine
    # a call or property made for the sync render): close it, as never started.
    if inspect.iscoroutine(value) and inspect.getcoroutinestate(value) == inspect.CORO_CREATED:
        value.close()


def _async_callable(obj: Any) -> bool:
    return inspect.iscoroutinefunction(obj) or (
        not inspect.isroutine(obj) and inspect.iscoroutinefunction(getattr(obj, "__call__", None))  # noqa: B004
    )


def is_async_value(value: Any) -> bool:
    """Whether a context value needs the async render: awaitable, async iterable, or
    an ``async def`` function (or an object with an async ``__call__``)."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return False
    return (
        hasattr(kind, "__aiter__")
        or inspect.isawaitable(value)
        or (callable(value) and _async_callable(value))
    )


def _checked(func: Any) -> Any:
    """``func`` (a filter or test of the app) for the sync twin: a call stops the render
    before an ``async def`` one runs, or when it returns an awaitable."""
    if _async_callable(func):

        @functools.wraps(func)
        def stop(*args: Any, **kwargs: Any) -> Any:
            raise NeedsAsync(None)

        return stop

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        value = func(*args, **kwargs)
        if _awaitable(value):
            raise NeedsAsync(value)
        return value

    return checked


class _CheckedView(Mapping[str, Any]):
    """The environment's filters (or tests) as its sync overlay sees them: the same
    live dict, with the app's own functions wrapped by :func:`_checked` (jinja2's
    built-in ones never return awaitables for sync values and are used as they are)."""

    def __init__(self, live: dict[str, Any], builtins: dict[str, Any]) -> None:
        self.live = live
        self.builtins = builtins

    def __getitem__(self, name: str) -> Any:
        func = self.live[name]
        return func if self.builtins.get(name) is func else _checked(func)

    def __iter__(self) -> Iterator[str]:
        return iter(self.live)

    def __len__(self) -> int:
        return len(self.live)


def sync_overlay(env: Environment) -> Environment | None:
    """The sync overlay of ``env``; ``None`` for a sandboxed environment (whose calls go
    through its own checks) or one that is not asynchronous."""
    if not env.is_async or getattr(env, "sandboxed", False):
        return None
    size = env.cache.capacity if env.cache is not None else 0  # type: ignore[attr-defined]
    overlay = env.overlay(enable_async=False, cache_size=size)
    base_getattr, base_getitem = overlay.getattr, overlay.getitem

    def getattr_checked(obj: Any, attribute: str) -> Any:
        value = base_getattr(obj, attribute)
        if _awaitable(value):
            raise NeedsAsync(value)
        return value

    def getitem_checked(obj: Any, argument: Any) -> Any:
        value = base_getitem(obj, argument)
        if _awaitable(value):
            raise NeedsAsync(value)
        return value

    base_call = env.context_class.call

    def call_checked(__self: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if _async_callable(__obj):
            raise NeedsAsync(None)
        value = base_call(__self, __obj, *args, **kwargs)
        if _awaitable(value):
            raise NeedsAsync(value)
        return value

    overlay.filters = _CheckedView(env.filters, DEFAULT_FILTERS)  # type: ignore[assignment]
    overlay.tests = _CheckedView(env.tests, DEFAULT_TESTS)  # type: ignore[assignment]
    overlay.erlen_sync_twin_of = env  # type: ignore[attr-defined]  # see loaders.py
    overlay.getattr = getattr_checked  # type: ignore[method-assign]
    overlay.getitem = getitem_checked  # type: ignore[method-assign]
    overlay.context_class = type(  # type: ignore[misc]
        "SyncContext", (env.context_class,), {"call": call_checked}
    )
    return overlay


def context_is_sync(values: Any) -> bool:
    """Whether none of ``values`` needs the async render (see :func:`is_async_value`).

    A type found plain once is remembered (bounded): for it the answer depends on the
    type alone. Callables and generators are checked value by value.
    """
    plain = _KNOWN_PLAIN
    for value in values:
        kind = type(value)
        if kind in plain:
            continue
        if is_async_value(value):
            return False
        if not callable(value) and not inspect.isgenerator(value):
            if len(plain) >= _MAX_KNOWN_PLAIN:
                plain.clear()
                plain.update(_PLAIN_TYPES)
            plain.add(kind)
    return True


_KNOWN_PLAIN: set[type] = set(_PLAIN_TYPES)
_MAX_KNOWN_PLAIN = 256
_UNSET: Any = object()


def _compiled(load: Any, argument: str) -> Template | None:
    # jinja2 calls filters and tests on constants while compiling: an async one stops
    # the twin's compilation, and the template renders asynchronously.
    try:
        return load(argument)  # type: ignore[no-any-return]
    except NeedsAsync:
        return None


def _snapshot(env: Environment) -> tuple[Any, ...]:
    # Everything the overlay copied from the environment; a change (a new loader, the
    # auto_reload setting at freeze, ...) means a new overlay.
    return tuple(vars(env).values())


class SyncTwins:
    """The sync twins of one environment's templates, made on first use.

    A template's twin is ``None`` when it has none (a sandboxed environment, a template
    of another environment, a string not kept in the string cache) or when it was found
    to need the async render.
    """

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.snapshot = _snapshot(env)
        self.overlay = sync_overlay(env)
        self._twins: dict[Template, Template | None] = {}

    def is_current(self, env: Environment) -> bool:
        """Whether these twins still belong to ``env`` as it is now."""
        return env is self.env and _snapshot(env) == self.snapshot

    def of_file(self, template: Template) -> Template | None:
        """The twin of a template loaded by name from the environment."""
        twin = self._twins.get(template, _UNSET)
        if twin is _UNSET:
            twin = None
            name = template.name
            if self.overlay is not None and name is not None and template.environment is self.env:
                twin = _compiled(self.overlay.get_template, name)
            self._remember(template, twin)
        return twin  # type: ignore[no-any-return]

    def of_string(self, template: Template, source: str) -> Template | None:
        """The twin of a template compiled from ``source`` (and kept in a cache)."""
        twin = self._twins.get(template, _UNSET)
        if twin is _UNSET:
            twin = None if self.overlay is None else _compiled(self.overlay.from_string, source)
            self._remember(template, twin)
        return twin  # type: ignore[no-any-return]

    def _remember(self, template: Template, twin: Template | None) -> None:
        if len(self._twins) >= _MAX_TWINS:
            self._twins.clear()
        self._twins[template] = twin

    async def render(self, template: Template, twin: Template, context: dict[str, Any]) -> str:
        """``template`` rendered by its ``twin``, or asynchronously (from now on) if it
        needs to be."""
        met: Any = None
        if context_is_sync(context.values()):
            # The template's own globals (a ChainMap of its globals and the
            # environment's), as they are now. With none of its own, the environment's
            # dict itself: the same names and values, merged into the render's context
            # without ChainMap's Python-level iteration.
            globals_ = template.globals
            maps = getattr(globals_, "maps", None)
            if maps is not None and len(maps) == 2 and not maps[0]:
                globals_ = maps[1]
            twin.globals = globals_
            try:
                return twin.render(context)
            except NeedsAsync as stop:
                met = stop.args[0]
            except TypeError:  # a sync `for` over an async iterable (or a real error)
                pass
            self._twins[template] = None
        try:
            return await template.render_async(context)
        finally:
            if met is not None:
                _discard(met)
