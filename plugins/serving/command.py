"""The ``kernel run`` command, added to the ``kernel`` group through ``erlen_cli_commands``."""

from __future__ import annotations

import os
from typing import Any

import click
from erlen.cli import ScriptInfo, pass_script_info
from erlen.helpers import get_debug_flag

from .config import DEFAULT_HOST, DEFAULT_PORT, mark_cli_serving


def not_served_message(app_name: str) -> str:
    """What ``kernel run`` says when no loaded plugin serves the app."""
    return (
        f"The app {app_name!r} does not load the 'serving' plugin, and no other plugin"
        " serves it. Remove 'serving' from its exclude_plugins (or from"
        " ERLEN_DISABLE_PLUGINS), add it to plugins=[...], or run the app with another"
        " ASGI server (e.g. 'hypercorn module:app')."
    )


def _extra_files(value: str | None) -> list[str]:
    return [p for p in (value or "").split(os.pathsep) if p]


@click.command("run", short_help="Serve the app with hypercorn.")
@click.option("--host", "-h", default=None, help="The interface to bind to.  [default: 127.0.0.1]")
@click.option("--port", "-p", default=None, type=int, help="The port to bind to.  [default: 5000]")
@click.option(
    "--debug/--no-debug",
    default=None,
    envvar="KERNEL_DEBUG",
    help="Debug mode (also KERNEL_DEBUG); turns the reloader on unless --no-reload.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart when a Python file of the app or a template changes. [default: with --debug]",
)
@click.option(
    "--extra-files",
    default=None,
    help=f"More files the reloader watches, separated by '{os.pathsep}'.",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    default=None,
    help="Serve from this many worker processes.  [default: 1]",
)
@click.option(
    "--certfile",
    "--cert",
    default=None,
    help="TLS certificate file (PEM), or 'adhoc' for a throwaway self-signed one (needs the"
    " cryptography package).",
)
@click.option("--keyfile", "--key", default=None, help="TLS private key file (PEM).")
@click.option("--ca-certs", default=None, help="CA bundle to verify client certificates with.")
@click.option("--root-path", default=None, help="The ASGI root path the app is mounted under.")
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="Log one line per request (on unless a --config file says otherwise).",
)
@click.option(
    "--graceful-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds in-flight requests get to finish on shutdown.  [default: hypercorn's, 3]",
)
@click.option(
    "--config",
    "-c",
    "config_file",
    default=None,
    help="A hypercorn config file (.toml, .py or python:module) for every other setting;"
    " the options above override it.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str | None,
    port: int | None,
    debug: bool | None,
    reload: bool | None,
    extra_files: str | None,
    workers: int | None,
    certfile: str | None,
    keyfile: str | None,
    ca_certs: str | None,
    root_path: str | None,
    access_log: bool | None,
    graceful_timeout: float | None,
    config_file: str | None,
) -> None:
    """Serve the app with hypercorn until SIGINT/SIGTERM, then shut down gracefully.

    Serves through app.run(), as Quart's run command does, so an app class that overrides
    run is honoured. Debug mode comes from --debug/--no-debug or KERNEL_DEBUG (unset: off,
    whatever the app's code set), as in Flask and Quart.
    """  # plain text: click prints it as the command's --help
    app = info.load_app()
    plugin_manager = getattr(app, "plugin_manager", None)
    if plugin_manager is not None and not plugin_manager.hook.erlen_serve.get_hookimpls():
        raise click.ClickException(not_served_message(app.name))
    if debug is None:
        debug = get_debug_flag()
    # Without --host/--port a --config file's bind is kept (None), else Quart's defaults.
    if host is None and not config_file:
        host = DEFAULT_HOST
    if port is None and not config_file:
        port = DEFAULT_PORT
    given: dict[str, Any] = {
        "extra_files": _extra_files(extra_files) or None,
        "workers": workers,
        "ca_certs": ca_certs,
        "root_path": root_path,
        "access_log": access_log,
        "graceful_timeout": graceful_timeout,
        "config_file": config_file,
    }
    mark_cli_serving(app_spec=info.resolved_import_path)
    app.run(
        debug=debug,
        host=host,
        port=port,
        certfile=certfile,
        keyfile=keyfile,
        use_reloader=debug if reload is None else reload,
        **{name: value for name, value in given.items() if value is not None},
    )
