"""The ``kernel`` command line (click), following Flask's conventions.

``kernel --app pkg.mod:app run --host H --port P``; also ``routes``, ``shell``, ``plugins``,
commands registered on ``app.cli`` and commands contributed by plugins through
``erlen_cli_commands``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.testing import CliRunner

if TYPE_CHECKING:
    from .app import Erlen

F = TypeVar("F", bound=Callable[..., Any])
APP_ENV = "KERNEL_APP"


class NoAppException(click.UsageError):
    """The app could not be found or imported."""


def _find_app_in_module(module: Any) -> Erlen:
    from .app import Erlen

    for name in ("app", "application"):
        candidate = getattr(module, name, None)
        if isinstance(candidate, Erlen):
            return candidate
    matches = [v for v in vars(module).values() if isinstance(v, Erlen)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise NoAppException(
            f"Detected multiple Erlen applications in module '{module.__name__}'."
            f" Use '--app {module.__name__}:name' to specify the correct one."
        )
    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if inspect.isfunction(factory):
            app = factory()
            if isinstance(app, Erlen):
                return app
    raise NoAppException(
        f"Failed to find Erlen application or factory in module '{module.__name__}'."
        f" Use '--app {module.__name__}:name' to specify one."
    )


def _call_factory(module: Any, expr: str) -> Erlen:
    from .app import Erlen

    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Failed to parse {expr!r} as an attribute name or function call."
        ) from None
    if isinstance(node, ast.Name):
        name, args, kwargs = node.id, [], {}
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        try:
            args = [ast.literal_eval(arg) for arg in node.args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
        except ValueError:
            raise NoAppException(
                f"Failed to parse arguments as literal values: {expr!r}."
            ) from None
    else:
        raise NoAppException(f"Failed to parse {expr!r} as an attribute name or function call.")
    try:
        attr = getattr(module, name)
    except AttributeError:
        raise NoAppException(f"Failed to find attribute {name!r} in {module.__name__!r}.") from None
    app = attr(*args, **kwargs) if inspect.isfunction(attr) else attr
    if not isinstance(app, Erlen):
        raise NoAppException(
            f"A valid Erlen application was not obtained from '{module.__name__}:{expr}'."
        )
    return app


def prepare_import(path: str) -> str:
    """Turn a file path into an importable module name, fixing ``sys.path``."""
    path = os.path.realpath(path)
    fname, ext = os.path.splitext(path)
    if ext == ".py":
        path = fname
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    module_name = []
    while True:
        path, name = os.path.split(path)
        module_name.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(module_name[::-1])


def locate_app(import_path: str) -> Erlen:
    """Import ``module[:name or factory(...)]`` (or a ``.py`` path) and return the app."""
    module_part, _, app_part = import_path.partition(":")
    if module_part.endswith(".py") or os.sep in module_part:
        module_name = prepare_import(module_part)
    else:
        module_name = module_part
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name == module_name or (exc.name and module_name.startswith(exc.name + ".")):
            raise NoAppException(f"Could not import {module_name!r}.") from None
        raise NoAppException(
            f"While importing {module_name!r}, an ImportError was raised: {exc}"
        ) from None
    if app_part:
        return _call_factory(module, app_part)
    return _find_app_in_module(module)


class ScriptInfo:
    """How the CLI finds the app: an import path or a factory."""

    def __init__(
        self, app_import_path: str | None = None, create_app: Callable[..., Erlen] | None = None
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self._loaded_app: Erlen | None = None

    def load_app(self) -> Erlen:
        """Load (once) and return the app."""
        if self._loaded_app is not None:
            return self._loaded_app
        if self.create_app is not None:
            app = self.create_app()
        else:
            path = self.app_import_path or os.environ.get(APP_ENV)
            if path:
                app = locate_app(path)
            else:
                for candidate in ("wsgi.py", "app.py"):
                    if os.path.exists(candidate):
                        app = locate_app(candidate)
                        break
                else:
                    raise NoAppException(
                        "Could not locate an Erlen application. Use the 'kernel --app'"
                        f" option, the '{APP_ENV}' environment variable, or an 'app.py'"
                        " file in the current directory."
                    )
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run a click command inside the app's app context."""
    import asyncio
    import functools

    @click.pass_context
    @functools.wraps(f)
    def decorator(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        app = ctx.ensure_object(ScriptInfo).load_app()

        async def _run() -> Any:
            async with app.app_context():
                return ctx.invoke(f, *args, **kwargs)

        return asyncio.run(_run())

    return decorator  # type: ignore[return-value]


class AppGroup(click.Group):
    """A click group for ``app.cli``; ``command(with_appcontext=True)`` wraps in the app context."""

    def command(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like ``click.Group.command``; ``with_appcontext=True`` runs it in an app context."""
        wrap = kwargs.pop("with_appcontext", False)

        def decorator(f: Callable[..., Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            return click.Group.command(self, *args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like ``click.Group.group``, defaulting to :class:`AppGroup`."""
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or ctx.resilient_parsing:
        return value
    ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


class KernelGroup(AppGroup):
    """The ``kernel`` group: built-in commands, plugin commands and ``app.cli`` commands."""

    def __init__(self, **kwargs: Any) -> None:
        params = list(kwargs.pop("params", None) or ())
        params.append(
            click.Option(
                ["-A", "--app"],
                metavar="IMPORT",
                help="The app to load: 'module:name', 'module' or 'path/to/file.py'"
                f" (or set {APP_ENV}).",
                is_eager=True,
                expose_value=False,
                callback=_set_app,
            )
        )
        super().__init__(params=params, **kwargs)
        self._plugin_commands_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugin_commands_loaded:
            return
        self._plugin_commands_loaded = True
        from .pluginmanager import ErlenPluginManager, available_plugins

        pm = ErlenPluginManager()
        for name, ep in available_plugins().items():
            try:
                pm.register(ep.load(), name)
            except Exception as exc:  # a broken plugin must not break the CLI
                click.echo(f"Warning: plugin {name!r} failed to load: {exc}", err=True)
        pm.hook.erlen_cli_commands(cli=self)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:  # type: ignore[override]
        self._load_plugin_commands()
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None
        return app.cli.get_command(ctx, name)  # type: ignore[no-any-return]

    def list_commands(self, ctx: click.Context) -> list[str]:  # type: ignore[override]
        self._load_plugin_commands()
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException:
            pass
        return sorted(rv)

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> click.Context:  # type: ignore[override]
        os.environ.setdefault("KERNEL_RUN_FROM_CLI", "true")
        if "obj" not in extra and "obj" not in (self.context_settings or {}):
            extra["obj"] = ScriptInfo()
        return super().make_context(info_name, args, parent=parent, **extra)


@click.command("run", short_help="Serve the app with hypercorn.")
@click.option(
    "--host", "-h", default="127.0.0.1", show_default=True, help="The interface to bind to."
)
@click.option(
    "--port", "-p", default=5000, show_default=True, type=int, help="The port to bind to."
)
@click.option("--debug/--no-debug", default=None, help="Enable debug mode.")
@click.option(
    "--certfile",
    "--cert",
    type=click.Path(exists=True, dir_okay=False),
    help="TLS certificate file.",
)
@click.option(
    "--keyfile", "--key", type=click.Path(exists=True, dir_okay=False), help="TLS key file."
)
@click.option("--root-path", default="", help="The ASGI root path the app is mounted under.")
@click.option("--access-log/--no-access-log", default=False, help="Log every request.")
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    debug: bool | None,
    certfile: str | None,
    keyfile: str | None,
    root_path: str,
    access_log: bool,
) -> None:
    """Serve the app with hypercorn until SIGINT/SIGTERM."""
    app = info.load_app()
    if debug is not None:
        app.debug = debug
    app.plugin_manager.hook.erlen_serve(
        app=app,
        host=host,
        port=port,
        options={
            "debug": debug,
            "certfile": certfile,
            "keyfile": keyfile,
            "root_path": root_path,
            "access_log": access_log,
        },
    )


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


@click.command("plugins", short_help="List the loaded plugins.")
@click.option("--all", "show_all", is_flag=True, help="Also show the kernel's built-in hooks.")
@pass_script_info
def plugins_command(info: ScriptInfo, show_all: bool) -> None:
    """List loaded plugins with their versions and the hooks each implements."""
    from .pluginmanager import BUILTINS_NAME, describe_installed

    try:
        rows = info.load_app().plugin_manager.describe()
    except NoAppException:  # no app: every installed plugin, as an app would load them
        rows = describe_installed()
    for row in rows:
        if row["name"] == BUILTINS_NAME and not show_all:
            continue
        hooks = row.get("error") or ", ".join(row["hooks"]) or "-"
        click.echo(f"{row['name']} {row['version'] or ''}".rstrip() + f": {hooks}")


@click.command("shell", short_help="Run a Python shell in the app context.")
@pass_script_info
def shell_command(info: ScriptInfo) -> None:
    """Run an interactive Python shell with ``app`` and ``g`` in the namespace."""
    import asyncio
    import code

    app = info.load_app()
    banner = f"Python {sys.version} on {sys.platform}\nApp: {app.import_name}"
    ctx = app.app_context()
    ctx.push()
    namespace = app.make_shell_context()
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            exec(compile(f.read(), startup, "exec"), namespace)
    try:
        code.interact(banner=banner, local=namespace)
    finally:
        asyncio.run(ctx.pop(None))


cli = KernelGroup(
    name="kernel",
    help="Run and manage an Erlen application.\n\nFind the app with --app or the"
    f" {APP_ENV} environment variable.",
)
for _command in (run_command, routes_command, plugins_command, shell_command):
    cli.add_command(_command)


def main() -> None:
    """The ``kernel`` console script."""
    cli.main(prog_name="kernel")


class ErlenCliRunner(CliRunner):
    """A click test runner that invokes ``app.cli`` (or another group) with the app loaded."""

    def __init__(self, app: Erlen, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """Invoke ``cli`` (default ``app.cli``) with a ScriptInfo for the app."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)
