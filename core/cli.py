"""The ``kernel`` command line (click), following Flask's conventions.

``kernel --app pkg.mod:app run --host H --port P``; also ``routes``, ``shell``, ``plugins``,
commands registered on ``app.cli`` and commands contributed by plugins through
``erlen_cli_commands``. ``python -m erlen`` runs the same group. The guide is the
documentation site's ``cli.html`` (``docs/cli.md`` in the source).
"""

from __future__ import annotations

import ast
import asyncio
import code
import importlib.metadata
import inspect
import os
import platform
import sys
import types
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import builtins, discovery
from .appgroup import AppGroup as AppGroup
from .appgroup import with_appcontext as with_appcontext
from .discovery import (
    APP_ENV,
    DEFAULT_APP_FILES,
    DOTENV_FILES,
    LEGACY_APP_ENVS,
    LEGACY_ENV_PREFIXES,
    LEGACY_SETTINGS,
    SKIP_DOTENV_ENV,
    NoAppException,
    adopt_legacy_env,
    app_import_path_from_env,
    find_app_by_string,
    find_best_app,
    load_dotenv,
    locate_app,
    prepare_import,
    skip_dotenv,
)
from .exceptions import PluginError
from .pluginmanager import (
    BUILTINS_NAME,
    ErlenPluginManager,
    default_plugins,
    describe_installed,
    excluded_plugins,
    load_plugin,
)

if TYPE_CHECKING:
    from .app import Erlen

__all__ = [
    "APP_ENV",
    "DEFAULT_APP_FILES",
    "DOTENV_FILES",
    "LEGACY_APP_ENVS",
    "LEGACY_ENV_PREFIXES",
    "LEGACY_SETTINGS",
    "SKIP_DOTENV_ENV",
    "FROM_CLI_ENV",
    "QUART_API_VERSION",
    "VERSION_DISTRIBUTIONS",
    "AppGroup",
    "AsyncConsole",
    "ErlenGroup",
    "KernelGroup",
    "NoAppException",
    "ScriptInfo",
    "adopt_legacy_env",
    "app_import_path_from_env",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "get_version",
    "import_module",
    "load_dotenv",
    "locate_app",
    "main",
    "make_cli",
    "prepare_import",
    "run_command",  # noqa: F822  (made on first use by the module __getattr__ below)
    "version_option",
    "versions_report",
    "with_appcontext",
]

F = TypeVar("F", bound=Callable[..., Any])
#: Set while a ``kernel`` command runs: a module calling ``app.run()`` on import must not
#: start a server (Flask's ``FLASK_RUN_FROM_CLI``); the ``run`` command sets its own value.
FROM_CLI_ENV = "KERNEL_RUN_FROM_CLI"
#: The Quart release whose API Erlen follows (``kernel --version`` prints it).
QUART_API_VERSION = "0.22"
#: The distributions ``kernel --version`` reports after Python and Erlen: the libraries
#: Erlen's behaviour depends on (a bug report needs their versions).
VERSION_DISTRIBUTIONS = (
    "werkzeug",
    "hypercorn",
    "pluggy",
    "click",
    "jinja2",
    "msgspec",
    "itsdangerous",
    "blinker",
)


class ScriptInfo(discovery.ScriptInfo):
    """How the CLI finds the app: an import path or a factory (Flask's and Quart's class).

    The app's module is imported with this module's ``import_module``, looked up at call
    time, so a test may replace it (Quart's tests do). Everything else is
    ``erlen.discovery.ScriptInfo``.
    """

    def import_app_module(self, name: str) -> Any:
        """Import the app's module through ``erlen.cli.import_module``."""
        return import_module(name)


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)
#: The kernel's own hook implementations, which every app registers first.
_KERNEL_PLUGINS = ((builtins, BUILTINS_NAME),)


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or ctx.resilient_parsing:
        return value
    ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    # Eager: set before the app is imported, which reads KERNEL_DEBUG into config["DEBUG"].
    if value is None or ctx.resilient_parsing:
        return
    os.environ["KERNEL_DEBUG"] = "1" if value else "0"


def _env_file_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # Eager and declared first: the files are loaded before any other option is read, so
    # they can set KERNEL_APP or KERNEL_RUN_PORT.
    if ctx.resilient_parsing:
        return None
    if value is not None:
        try:
            import dotenv  # noqa: F401
        except ImportError:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file.", ctx=ctx, param=param
            ) from None
    # ErlenGroup(load_dotenv=False) reads only --env-file, as QuartGroup does.
    load_defaults = getattr(ctx.command, "load_dotenv", True) and not skip_dotenv()
    if value is not None or load_defaults:
        load_dotenv(value, load_defaults=load_defaults)
    adopt_legacy_env()  # QUART_DEBUG, FLASK_RUN_PORT...: from the files or the environment
    return None


def _distribution_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def versions_report() -> str:
    """What ``kernel --version`` prints: Python's, Erlen's and the key libraries' versions,
    one ``Name version`` per line (Flask's and Quart's ``--version`` print the first ones)."""
    lines = [
        f"Python {platform.python_version()}",
        f"Erlen {_distribution_version('erlen')} (Quart {QUART_API_VERSION} API)",
    ]
    for name in VERSION_DISTRIBUTIONS:
        try:
            meta_name = importlib.metadata.metadata(name)["Name"]
        except importlib.metadata.PackageNotFoundError:
            meta_name = name
        lines.append(f"{meta_name} {_distribution_version(name)}")
    return "\n".join(lines)


def get_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """The ``--version`` callback: print :func:`versions_report` and exit."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(versions_report(), color=ctx.color)
    ctx.exit()


#: ``kernel --version`` (the option :class:`ErlenGroup` adds unless told not to).
version_option = click.Option(
    ["--version"],
    help="Show the versions of Python, Erlen and the libraries it uses, and exit.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


class ErlenGroup(AppGroup):
    """The ``kernel`` group: built-in commands, plugin commands and ``app.cli`` commands.

    Options of every command can also come from ``KERNEL_<COMMAND>_<OPTION>`` environment
    variables (``KERNEL_RUN_PORT=8000``), as Flask reads ``FLASK_RUN_PORT``. The arguments
    are Quart's ``QuartGroup``'s: ``add_default_commands`` (``routes``, ``plugins``,
    ``shell`` and the default plugins' commands, ``run`` among them), ``create_app`` (a
    factory used instead of ``--app``), ``add_version_option``, ``load_dotenv`` (read the
    default ``.env`` files) and ``set_debug_flag`` (see :class:`ScriptInfo`).
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Callable[..., Erlen] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **kwargs: Any,
    ) -> None:
        params = list(kwargs.pop("params", None) or ())
        params.append(
            click.Option(
                ["-e", "--env-file"],
                type=click.Path(exists=True, dir_okay=False),
                help="Load environment variables from this file (needs python-dotenv);"
                " .env, .kernelenv, .quartenv and .flaskenv are loaded too.",
                is_eager=True,
                expose_value=False,
                callback=_env_file_callback,
            )
        )
        params.append(
            click.Option(
                ["--debug/--no-debug"],
                default=None,
                help="Debug mode for the app and every command (sets KERNEL_DEBUG before"
                " the app is loaded).",
                is_eager=True,
                expose_value=False,
                callback=_set_debug,
            )
        )
        params.append(
            click.Option(
                ["-A", "--app"],
                metavar="IMPORT",
                help="The app to load: 'module:name', 'module', 'module:create_app(...)' or"
                f" 'path/to/file.py' (or set {APP_ENV}).",
                is_eager=True,
                expose_value=False,
                callback=_set_app,
            )
        )
        if add_version_option:
            params.append(version_option)
        settings = dict(kwargs.pop("context_settings", None) or {})
        settings.setdefault("auto_envvar_prefix", "KERNEL")
        super().__init__(params=params, context_settings=settings, **kwargs)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        # Without the default commands, no plugin adds any either (Quart's group then
        # has no ``run``): the group holds the project's own commands alone.
        self._plugin_commands_loaded = not add_default_commands
        self._entry_point_plugins: list[object] = []
        if add_default_commands:
            for command in (routes_command, plugins_command, shell_command):
                self.add_command(command)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """``click.Group.add_command``: the ``kernel`` group's commands (the built-in ones,
        an installed plugin's) run where there may be no app, so none is pushed."""
        click.Group.add_command(self, cmd, name)

    def command(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like :meth:`AppGroup.command`, but without the app context unless asked for
        (``with_appcontext=True``): an installed plugin's command on the ``kernel`` group
        must also work where there is no app."""
        kwargs.setdefault("with_appcontext", False)
        return super().command(*args, **kwargs)

    def _load_plugin_commands(self) -> None:
        """Add the commands of the plugins every app loads by default (installed but not
        enabled plugins add theirs only through an app that selects them)."""
        if self._plugin_commands_loaded:
            return
        self._plugin_commands_loaded = True
        pm = ErlenPluginManager()
        try:
            names = [n for n in default_plugins() if n not in excluded_plugins()]
        except PluginError as exc:  # a bad ERLEN_PLUGINS must not break the CLI
            click.echo(f"Warning: {exc}", err=True)
            names = []
        for name in names:
            try:
                plugin = load_plugin(name)
                pm.register(plugin, name)
            except Exception as exc:  # a broken plugin must not break the CLI
                click.echo(f"Warning: plugin {name!r} failed to load: {exc}", err=True)
                continue
            self._entry_point_plugins.append(plugin)
        pm.hook.erlen_cli_commands(cli=self)

    def _load_app(self, ctx: click.Context) -> Erlen:
        """Load the app; plugins given to it as objects add their commands to ``app.cli``.

        Entry-point plugins added theirs to this group already; a plugin passed as
        ``Erlen(plugins=[obj])`` is only known once the app is imported.
        """
        app = ctx.ensure_object(ScriptInfo).load_app()
        if not getattr(app, "_erlen_cli_plugins_added", False):
            app._erlen_cli_plugins_added = True  # type: ignore[attr-defined]
            pm = app.plugin_manager
            known = [p for p in pm.get_plugins() if p in self._entry_point_plugins]
            pm.subset_hook_caller("erlen_cli_commands", remove_plugins=known)(cli=app.cli)
        return app

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:  # type: ignore[override]
        self._load_plugin_commands()
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv
        try:
            app = self._load_app(ctx)
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}", err=True, fg="red")
            return None
        return app.cli.get_command(ctx, name)  # type: ignore[no-any-return]

    def list_commands(self, ctx: click.Context) -> list[str]:  # type: ignore[override]
        self._load_plugin_commands()
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(self._load_app(ctx).cli.list_commands(ctx))
        except NoAppException as e:
            # `kernel --help` without an app still lists the built-in commands.
            if info.app_import_path or app_import_path_from_env():
                click.secho(f"Error: {e.format_message()}", err=True, fg="red")
        return sorted(rv)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Read the env files and ``KERNEL_APP`` first when only the help is asked for.

        ``kernel --help`` (and a bare ``kernel``) print the help as soon as the eager
        ``--help`` is seen, before the eager options the command line did not give run;
        their callbacks load ``.env``/``.flaskenv`` and set the app, so the help listed
        none of the commands of an app named in an env file (``kernel translate`` itself
        worked). Flask's group does the same, for the same reason."""
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            for param in self.params:
                if param.name in ("env_file", "app"):  # declared in this order
                    param.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> click.Context:  # type: ignore[override]
        # An app.run() the app's module makes at import time must not start a server.
        os.environ.setdefault(FROM_CLI_ENV, "true")
        if "obj" not in extra and "obj" not in (self.context_settings or {}):
            extra["obj"] = ScriptInfo(
                create_app=self.create_app, set_debug_flag=self.set_debug_flag
            )
        return super().make_context(info_name, args, parent=parent, **extra)


#: The name this class had first; both spellings are the same class.
KernelGroup = ErlenGroup


@click.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "rule", "match")),
    default="endpoint",
    help="How to sort the routes ('match' is the order they are matched in).",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@pass_script_info
def routes_command(info: ScriptInfo, sort: str, all_methods: bool) -> None:
    """List every route: endpoint, methods, protocol and rule."""
    app = info.load_app()
    rules = list(app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    ignored = set() if all_methods else {"HEAD", "OPTIONS"}
    rows = []
    for rule in rules:
        methods = ", ".join(sorted((rule.methods or set()) - ignored))
        kind = "websocket" if rule.websocket else "http"
        rows.append((rule.endpoint, methods, kind, rule.rule))
    if sort == "endpoint":
        rows.sort(key=lambda r: r[0])
    elif sort == "methods":
        rows.sort(key=lambda r: r[1])
    elif sort == "rule":
        rows.sort(key=lambda r: r[3])
    headers = ("Endpoint", "Methods", "Protocol", "Rule")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{{i}:<{w}}}" for i, w in enumerate(widths))
    click.echo(fmt.format(*headers).rstrip())
    click.echo(fmt.format(*("-" * w for w in widths)).rstrip())
    for row in rows:
        click.echo(fmt.format(*row).rstrip())


@click.command("plugins", short_help="List the enabled and the installed plugins.")
@click.option("--all", "show_all", is_flag=True, help="Also show the kernel's built-in hooks.")
@pass_script_info
def plugins_command(info: ScriptInfo, show_all: bool) -> None:
    """List the enabled plugins (the app's, or without an app the defaults) with their
    versions and the hooks each implements, then the installed plugins that are not
    enabled."""
    try:
        app = info.load_app()
    except NoAppException:  # no app: the plugins an app naming none would load
        rows = describe_installed(kernel=_KERNEL_PLUGINS)
    else:
        enabled = app.plugin_manager.describe()
        loaded = {row["name"] for row in enabled}
        rows = [{**row, "enabled": True} for row in enabled]
        installed = describe_installed((), kernel=_KERNEL_PLUGINS)
        rows += [row for row in installed if row["name"] not in loaded]
    for row in rows:
        if row["enabled"] and (row["name"] != BUILTINS_NAME or show_all):
            click.echo(_plugin_line(row))
    idle = [row for row in rows if not row["enabled"]]
    if idle:
        click.echo(
            "\nInstalled, not enabled (select one with Erlen(__name__,"
            " extra_plugins=[NAME]) or app.register_plugin(NAME)):"
        )
        for row in idle:
            click.echo("  " + _plugin_line(row))


def _plugin_line(row: dict[str, Any]) -> str:
    hooks = row.get("error") or ", ".join(row["hooks"]) or "-"
    return f"{row['name']} {row['version'] or ''}".rstrip() + f": {hooks}"


class AsyncConsole(code.InteractiveConsole):
    """The ``kernel shell`` console: Python's, plus top-level ``await`` (as ``python -m
    asyncio`` has), so the async functions an Erlen app is made of can be called as
    written: ``await db.fetch_all(...)``. Each awaited line runs to its end in one event
    loop kept for the session, with the app context the shell pushed."""

    def __init__(self, local: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(local)
        self.compile.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self.loop = loop

    def runcode(self, code: types.CodeType) -> None:
        """Run one compiled input; a coroutine (the input awaited something) runs in
        :attr:`loop` until it is done."""
        try:
            result = types.FunctionType(code, self.locals)()  # type: ignore[arg-type]
            if inspect.iscoroutine(result):
                self.loop.run_until_complete(result)
        except SystemExit:
            raise
        except BaseException:
            self.showtraceback()


@click.command("shell", short_help="Run a Python shell in the app context.")
@pass_script_info
def shell_command(info: ScriptInfo) -> None:
    """Run an interactive Python shell in the app context.

    The namespace holds app, g and whatever the @app.shell_context_processor functions
    return; PYTHONSTARTUP is run first, as the plain interpreter does. 'await' works at
    the top level.
    """  # plain text: click prints it as the command's --help
    app = info.load_app()
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\nInstance: {app.instance_path}\n"
        "Top-level 'await' works, in the app context."
    )
    ctx = app.app_context()
    ctx.push()
    loop = asyncio.new_event_loop()
    try:
        namespace = app.make_shell_context()
        startup = os.environ.get("PYTHONSTARTUP")
        if startup and os.path.isfile(startup):
            with open(startup) as f:
                exec(compile(f.read(), startup, "exec"), namespace)
        try:
            import readline  # noqa: F401  (line editing and history, as code.interact)
        except ImportError:
            pass
        AsyncConsole(namespace, loop).interact(banner=banner, exitmsg="")
    finally:
        loop.close()
        ctx.pop()  # no loop runs now: tears down at once, in this thread


def documentation_url(page: str = "") -> str | None:
    """The address of a page of the documentation site: the ``Documentation`` URL of the
    installed distribution's metadata (``[project.urls]``), or None without one."""
    try:
        urls = importlib.metadata.metadata("erlen").get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation":
            return url.strip().rstrip("/") + "/" + page
    return None


def make_cli() -> ErlenGroup:
    """A new ``kernel`` group with the built-in commands (``cli`` is the one ``main`` runs)."""
    guide = documentation_url("cli.html")
    return ErlenGroup(
        name="kernel",
        help="Run and manage an Erlen application.\n\nFind the app with --app, the"
        f" {APP_ENV} environment variable, or an app.py file in the current directory."
        + (f" Guide: {guide}" if guide else ""),
    )


cli = make_cli()


def __getattr__(name: str) -> Any:
    # Quart's ``quart.cli.run_command`` (quart-flask-patch re-exports it, a custom group
    # may add it): the ``run`` command of the default plugins, as ``kernel run`` finds it.
    # Asked of the plugins on first use, so that the kernel imports none of them.
    if name == "run_command":
        group = make_cli()
        group._load_plugin_commands()
        command = group.commands.get("run")
        if command is None:
            raise AttributeError(
                "erlen.cli.run_command: no enabled plugin adds a 'run' command"
                " (the serving plugin does)"
            )
        globals()[name] = command
        return command
    raise AttributeError(f"module 'erlen.cli' has no attribute {name!r}")


def main(prog_name: str = "kernel") -> None:
    """The ``kernel`` console script (``python -m erlen`` too)."""
    cli.main(prog_name=prog_name)
