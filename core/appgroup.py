"""The click group of an app's or a blueprint's commands (``app.cli``, ``bp.cli``) and
:func:`with_appcontext`, which runs a command inside the app's app context.

Below the app in the kernel's layers: the app and blueprints build their groups from
here (Flask's shape: the protocol-independent scaffold only declares ``cli``), and the
``kernel`` command line (:mod:`erlen.cli`) re-exports both names.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .discovery import ScriptInfo
from .globals import _cv_app

__all__ = ["AppGroup", "with_appcontext"]

F = TypeVar("F", bound=Callable[..., Any])


def _leave_app_context(ctx: Any, exc: BaseException | None) -> None:
    """Pop an app context pushed synchronously (outside any event loop).

    ``AppContext.pop`` is a coroutine, and ``asyncio.run`` runs it in a copy of the
    context, where resetting the context variable is refused; so the teardown functions
    run in the loop and the variable is reset here, in the context that set it.
    """

    async def teardown() -> None:
        if len(ctx._tokens) == 1:
            await ctx.app.do_teardown_appcontext(exc)

    try:
        asyncio.run(teardown())
    finally:
        _cv_app.reset(ctx._tokens.pop())


def _refuse_running_loop() -> None:
    # The app context is pushed and popped with asyncio.run, which cannot run inside a
    # loop: say so before the command runs, instead of failing half-way through it.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "app.cli commands run outside any event loop, as from a terminal: call"
        " app.test_cli_runner().invoke() from a sync test (def, not async def)"
    )


def with_appcontext(f: F) -> F:
    """Run a click command inside the app's app context.

    The command runs in the calling thread with no event loop running, so it may call
    ``asyncio.run`` itself; an ``async def`` command is run with ``asyncio.run``.
    """
    return _in_app_context(f, None)


def _in_app_context(f: F, owner: Callable[[], Any] | None) -> F:
    """:func:`with_appcontext`, where ``owner`` (a weak reference) may name the app.

    A command of an app's own ``app.cli`` runs in that app's context: the app is known,
    so ``app.cli.main(["cmd"])`` works without a :class:`ScriptInfo` that can load it (as
    in Quart, whose commands do not load the app). Other commands load the app through
    the context's :class:`ScriptInfo`, as Flask's do.
    """

    @click.pass_context
    @functools.wraps(f)
    def decorator(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        _refuse_running_loop()
        app = owner() if owner is not None else None
        if app is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
        app_ctx = app.app_context()
        app_ctx.push()
        error: BaseException | None = None
        try:
            rv = ctx.invoke(f, *args, **kwargs)
            if inspect.isawaitable(rv):
                rv = asyncio.run(_awaited(rv))
            return rv
        except BaseException as exc:
            error = exc
            raise
        finally:
            _leave_app_context(app_ctx, error if isinstance(error, Exception) else None)

    return decorator  # type: ignore[return-value]


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


class AppGroup(click.Group):
    """A click group for ``app.cli``: its commands run in the app context by default.

    Pass ``with_appcontext=False`` to ``command`` for a command that does not need it.
    The app's own group (``app.cli``, and the groups made from it with ``group``) runs
    its commands in that app's context; a blueprint's group, or one made by hand, loads
    the app through the command line's :class:`ScriptInfo`.
    """

    #: A weak reference to the app whose ``cli`` this group is (set by the app), or None.
    owner: Callable[[], Any] | None = None

    def command(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like ``click.Group.command``, wrapped in :func:`with_appcontext` unless told not."""
        wrap = kwargs.pop("with_appcontext", True)

        def decorator(f: Callable[..., Any]) -> click.Command:
            if wrap:
                f = _in_app_context(f, self.owner)
            return click.Group.command(self, *args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like ``click.Group.group``, defaulting to :class:`AppGroup`."""
        kwargs.setdefault("cls", AppGroup)
        made = click.Group.group(self, *args, **kwargs)
        if self.owner is None:
            return made

        def decorator(f: Callable[..., Any]) -> click.Group:
            group = made(f)
            if isinstance(group, AppGroup) and group.owner is None:
                group.owner = self.owner
            return group  # type: ignore[no-any-return]

        return decorator
