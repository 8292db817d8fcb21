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

    @click.pass_context
    @functools.wraps(f)
    def decorator(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        _refuse_running_loop()
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
    """

    def command(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like ``click.Group.command``, wrapped in :func:`with_appcontext` unless told not."""
        wrap = kwargs.pop("with_appcontext", True)

        def decorator(f: Callable[..., Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            return click.Group.command(self, *args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like ``click.Group.group``, defaulting to :class:`AppGroup`."""
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)
