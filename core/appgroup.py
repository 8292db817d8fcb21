"""The click group of an app's or a blueprint's commands (``app.cli``, ``bp.cli``) and
:func:`with_appcontext`, which runs a command inside the app's app context.

Below the app in the kernel's layers: the app and blueprints build their groups from
here (Flask's shape: the protocol-independent scaffold only declares ``cli``), and the
``kernel`` command line (:mod:`erlen.cli`) re-exports both names.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .ctx import loop_running
from .discovery import ScriptInfo

__all__ = ["AppGroup", "with_appcontext"]

F = TypeVar("F", bound=Callable[..., Any])


def _refuse_running_loop() -> None:
    # The app context is pushed and popped with asyncio.run, which cannot run inside a
    # loop: say so before the command runs, instead of failing half-way through it.
    if not loop_running():
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


def _in_app_context(f: F, owner: Callable[[], Any] | None, *, as_quart: bool = False) -> F:
    """:func:`with_appcontext`, where ``owner`` (a weak reference) may name the app.

    A command of an app's own ``app.cli`` runs in that app's context: the app is known,
    so ``app.cli.main(["cmd"])`` works without a :class:`ScriptInfo` that can load it (as
    in Quart, whose commands do not load the app). Other commands load the app through
    the context's :class:`ScriptInfo`, as Flask's do.

    ``as_quart``: a command Quart runs without the app context (a plain click command
    given to :meth:`AppGroup.add_command`, or one made with ``app.cli.command`` without
    ``with_appcontext=True``). Invoked while an event loop runs (an async test calling
    ``app.test_cli_runner().invoke`` or ``app.cli.main``), a sync one runs as Quart runs
    it, without the app context, instead of being refused: code written for Quart did so
    (tests/core/test_cli_in_running_loop.py). An ``async def`` one is refused there (it
    could not be awaited), and so is one declared ``with_appcontext=True``.
    """
    lenient = as_quart and not inspect.iscoroutinefunction(f)

    @click.pass_context
    @functools.wraps(f)
    def decorator(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        if lenient and loop_running():
            return ctx.invoke(f, *args, **kwargs)
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
            # No loop runs here (refused above): the teardown functions run at once, a
            # sync one in this thread, where the command used what it tears down.
            app_ctx.pop(error if isinstance(error, Exception) else None)

    decorator.__erlen_app_context__ = True  # type: ignore[attr-defined]
    return decorator  # type: ignore[return-value]


def _in_context_command(command: click.Command, owner: Callable[[], Any] | None) -> Any:
    """``command`` as :meth:`AppGroup.add_command` adds it: a plain click command (Flask's
    tutorial writes ``@click.command("init-db")`` then ``app.cli.add_command``) is copied
    with its callback run in the app context, and awaited when it is ``async def``, as a
    command made with ``app.cli.command`` is. Flask 2.2+ pushes the app context for every
    command of ``app.cli`` too; without this, the command failed with "Working outside of
    application context", or an ``async def`` one silently did nothing (its coroutine was
    never awaited). The command given is never changed (the same command object is
    often added to every app a factory makes)."""
    if isinstance(command, click.Group):
        # Left as given: an AppGroup runs its commands in the context itself, and a plain
        # group's commands may be added after it (a copy would not see them).
        return command
    callback = command.callback
    if callback is None or getattr(callback, "__erlen_app_context__", False):
        return command
    copied = copy.copy(command)
    copied.callback = _in_app_context(callback, owner, as_quart=True)
    return copied


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
        wrap = kwargs.pop("with_appcontext", None)

        def decorator(f: Callable[..., Any]) -> click.Command:
            if wrap is not False:
                # Not asked for: Quart runs it without the app context (as_quart).
                f = _in_app_context(f, self.owner, as_quart=wrap is None)
            if self.command_class and kwargs.get("cls") is None:
                kwargs["cls"] = self.command_class  # as click.Group.command does
            made = click.command(*args, **kwargs)(f)
            click.Group.add_command(self, made)  # as made: with_appcontext=False is kept
            return made

        return decorator

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Like ``click.Group.add_command``; a plain click command runs in the app context
        and is awaited when it is ``async def``, as one made with :meth:`command`."""
        click.Group.add_command(self, _in_context_command(cmd, self.owner), name)

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
