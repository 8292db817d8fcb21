"""The ``serving`` plugin: ``kernel run``, ``app.run()`` and ``app.run_task()`` with hypercorn.

It answers the kernel's ``erlen_serve`` and ``erlen_serve_task`` hooks (``trylast``: a
plugin serving with another server answers first), adds the ``run`` command to the
``kernel`` group, and owns the ``erlen_server_settings`` hook by which other plugins make
app config authoritative for the server. Leave it out with
``Erlen(__name__, exclude_plugins=["serving"])``: ``app.run()`` then raises a
``RuntimeError`` naming this plugin, and ``kernel run`` says what to do.

Modules: :mod:`.config` (hypercorn config, sockets, banner), :mod:`.graceful` (shutdown
order), :mod:`.hypercorn` (one serving process), :mod:`.supervisor` and :mod:`.reloader`
(``--workers``, ``--reload``), :mod:`.run` (choosing between them), :mod:`.command`
(``kernel run``). They are imported on first use: every app loads this plugin, and an app
that is only tested or imported should not pay for hypercorn, multiprocessing and ssl.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from erlen import hookimpl

from . import hookspecs

if TYPE_CHECKING:
    import click
    from erlen import Erlen
    from erlen.pluginmanager import ErlenPluginManager


@hookimpl
def erlen_addhooks(pluginmanager: ErlenPluginManager) -> None:
    """Add ``erlen_server_settings``."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def erlen_cli_commands(cli: click.Group) -> None:
    """Add ``kernel run``."""
    from .command import run_command

    cli.add_command(run_command)


@hookimpl(trylast=True)
def erlen_serve(app: Erlen, host: str | None, port: int | None, options: dict[str, Any]) -> bool:
    """Serve with hypercorn, in this process or from worker processes (blocking)."""
    from .run import serve

    serve(app, host, port, **options)
    return True


@hookimpl(trylast=True)
def erlen_serve_task(app: Erlen, host: str, port: int, options: dict[str, Any]) -> Awaitable[None]:
    """A coroutine serving with hypercorn in the running event loop."""
    from .run import serve_task

    return serve_task(app, host, port, **options)
