"""The ``kernel`` command line (click), following Flask's conventions.

``kernel --app pkg.mod:app run --host H --port P``; also ``routes``, ``shell``, ``plugins``,
commands registered on ``app.cli`` and commands contributed by plugins through
``erlen_cli_commands``. ``python -m erlen`` runs the same group. The guide is
``docs/cli.md``.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import importlib
import inspect
import os
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.testing import CliRunner

if TYPE_CHECKING:
    from .app import Erlen

F = TypeVar("F", bound=Callable[..., Any])
APP_ENV = "KERNEL_APP"
#: Read when ``KERNEL_APP`` is unset, with a one-line deprecation hint on stderr.
LEGACY_APP_ENVS = ("QUART_APP", "FLASK_APP")
#: Files tried, in this order, when no app is named.
DEFAULT_APP_FILES = ("asgi.py", "wsgi.py", "app.py")
#: Environment files loaded (when python-dotenv is installed) before the command line is
#: read; the first one wins for a variable both set, and the real environment beats both.
DOTENV_FILES = (".env", ".kernelenv")
SKIP_DOTENV_ENV = "KERNEL_SKIP_DOTENV"


class NoAppException(click.ClickException):
    """The app could not be found or imported: shown as one ``Error:`` line, exit code 2."""

    exit_code = 2


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
            app = _call_user_code(factory, f"{module.__name__}:{name}()")
            if isinstance(app, Erlen):
                return app
            raise NoAppException(
                f"'{module.__name__}:{name}()' returned {type(app).__name__}, not an Erlen app."
            )
    raise NoAppException(
        f"Failed to find an Erlen application or factory in module '{module.__name__}'."
        f" Use '--app {module.__name__}:name' to specify one."
    )


def _where(exc: BaseException) -> str:
    """``(file, line N)`` of the innermost frame of ``exc``, for a one-line report."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" ({exc.filename}, line {exc.lineno})"
    frames = traceback.extract_tb(exc.__traceback__)
    # The innermost frame outside importlib's machinery is where the user's code failed.
    frames = [f for f in frames if "importlib" not in f.filename]
    if not frames:
        return ""
    return f" ({frames[-1].filename}, line {frames[-1].lineno})"


def _describe(exc: BaseException) -> str:
    message = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    return f"{type(exc).__name__}: {message}{_where(exc)}"


def _call_user_code(func: Callable[..., Any], label: str, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except click.ClickException:
        raise
    except Exception as exc:
        raise NoAppException(f"Calling '{label}' raised {_describe(exc)}") from None


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
                f"Failed to parse the arguments of {expr!r} as literal values."
            ) from None
    else:
        raise NoAppException(f"Failed to parse {expr!r} as an attribute name or function call.")
    try:
        attr = getattr(module, name)
    except AttributeError:
        raise NoAppException(
            f"Failed to find attribute {name!r} in module '{module.__name__}'."
        ) from None
    if inspect.iscoroutinefunction(attr):
        raise NoAppException(
            f"'{module.__name__}:{name}' is an async function, not an app or app factory."
        )
    if inspect.isfunction(attr):
        app = _call_user_code(attr, f"{module.__name__}:{expr.strip()}", *args, **kwargs)
    elif isinstance(node, ast.Call):
        raise NoAppException(f"'{module.__name__}:{name}' is not a function; it cannot be called.")
    else:
        app = attr
    if not isinstance(app, Erlen):
        raise NoAppException(
            f"A valid Erlen application was not obtained from '{module.__name__}:{expr}'"
            f" (got {type(app).__name__})."
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


def _split_import_path(import_path: str) -> tuple[str, str]:
    """``module_or_file[:expression]``; a Windows drive letter is not a separator."""
    head = ""
    if len(import_path) > 2 and import_path[1] == ":" and import_path[2] in "\\/":
        head, import_path = import_path[:2], import_path[2:]
    module_part, _, app_part = import_path.partition(":")
    return head + module_part, app_part


def locate_app(import_path: str) -> Erlen:
    """Import ``module[:name or factory(...)]`` (or a ``.py`` path) and return the app.

    Every failure is a :class:`NoAppException` with one line that names the cause: the
    module is missing, or importing it raised (the real error, with file and line).
    """
    module_part, app_part = _split_import_path(import_path)
    if module_part.endswith(".py") or os.sep in module_part or "/" in module_part:
        if not os.path.exists(module_part):
            raise NoAppException(f"Could not find the app file {module_part!r}.")
        module_name = prepare_import(module_part)
    else:
        module_name = module_part
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name == module_name or (exc.name and module_name.startswith(exc.name + ".")):
            raise NoAppException(
                f"Could not import {module_name!r}: no such module or file"
                f" (looked in {os.getcwd()!r} and sys.path)."
            ) from None
        raise NoAppException(f"While importing {module_name!r}: {_describe(exc)}") from None
    except Exception as exc:
        raise NoAppException(f"While importing {module_name!r}: {_describe(exc)}") from None
    if app_part:
        return _call_factory(module, app_part)
    return _find_app_in_module(module)


def app_import_path_from_env() -> str | None:
    """``KERNEL_APP``, else ``QUART_APP``/``FLASK_APP`` with a deprecation hint on stderr."""
    value = os.environ.get(APP_ENV)
    if value:
        return value
    for name in LEGACY_APP_ENVS:
        value = os.environ.get(name)
        if value:
            click.echo(
                f"Warning: {name} is deprecated for the kernel command; set {APP_ENV} instead.",
                err=True,
            )
            return value
    return None


class ScriptInfo:
    """How the CLI finds the app: an import path or a factory.

    After :meth:`load_app`, :attr:`resolved_import_path` is the path the app came from
    (``--app``, the environment or a default file), so worker processes can load it again.
    """

    def __init__(
        self, app_import_path: str | None = None, create_app: Callable[..., Erlen] | None = None
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.resolved_import_path: str | None = None
        self._loaded_app: Erlen | None = None

    def load_app(self) -> Erlen:
        """Load (once) and return the app."""
        if self._loaded_app is not None:
            return self._loaded_app
        if self.create_app is not None:
            app = self.create_app()
        else:
            path = self.app_import_path or app_import_path_from_env()
            if not path:
                path = next((f for f in DEFAULT_APP_FILES if os.path.isfile(f)), None)
            if not path:
                raise NoAppException(
                    "Could not locate an Erlen application. Use the 'kernel --app'"
                    f" option, the {APP_ENV} environment variable, or an 'app.py' file"
                    " in the current directory."
                )
            app = locate_app(path)
            self.resolved_import_path = path
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def _leave_app_context(ctx: Any, exc: BaseException | None) -> None:
    """Pop an app context pushed synchronously (outside any event loop).

    ``AppContext.pop`` is a coroutine, and ``asyncio.run`` runs it in a copy of the
    context, where resetting the context variable is refused; so the teardown functions
    run in the loop and the variable is reset here, in the context that set it.
    """
    from .globals import _cv_app

    async def teardown() -> None:
        if len(ctx._tokens) == 1:
            await ctx.app.do_teardown_appcontext(exc)

    try:
        asyncio.run(teardown())
    finally:
        _cv_app.reset(ctx._tokens.pop())


def with_appcontext(f: F) -> F:
    """Run a click command inside the app's app context.

    The command runs in the calling thread with no event loop running, so it may call
    ``asyncio.run`` itself; an ``async def`` command is run with ``asyncio.run``.
    """

    @click.pass_context
    @functools.wraps(f)
    def decorator(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
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


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or ctx.resilient_parsing:
        return value
    ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Load ``path`` (if given), then ``.env`` and ``.kernelenv``, into ``os.environ``.

    Variables already set are never overridden, so the real environment wins, then
    ``path``, then ``.env``, then ``.kernelenv``. The default files are searched for from
    the current directory upwards. Returns whether a file was loaded. Without
    python-dotenv nothing is loaded (a tip is printed when a default file exists).
    """
    try:
        import dotenv
    except ImportError:
        if path or any(os.path.isfile(name) for name in DOTENV_FILES):
            click.secho(
                " * Tip: there are .env files present. Install python-dotenv to use them.",
                fg="yellow",
                err=True,
            )
        return False
    loaded = False
    if path is not None:
        loaded = bool(dotenv.load_dotenv(path, encoding="utf-8", override=False))
    if load_defaults:
        for name in DOTENV_FILES:
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                dotenv.load_dotenv(found, encoding="utf-8", override=False)
                loaded = True
    return loaded


def _skip_dotenv() -> bool:
    return os.environ.get(SKIP_DOTENV_ENV, "").lower() in {"1", "true", "yes", "on"}


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
    if value is not None or not _skip_dotenv():
        load_dotenv(value, load_defaults=not _skip_dotenv())
    return None


class KernelGroup(AppGroup):
    """The ``kernel`` group: built-in commands, plugin commands and ``app.cli`` commands.

    Options of every command can also come from ``KERNEL_<COMMAND>_<OPTION>`` environment
    variables (``KERNEL_RUN_PORT=8000``), as Flask reads ``FLASK_RUN_PORT``.
    """

    def __init__(self, **kwargs: Any) -> None:
        params = list(kwargs.pop("params", None) or ())
        params.append(
            click.Option(
                ["-e", "--env-file"],
                type=click.Path(exists=True, dir_okay=False),
                help="Load environment variables from this file (needs python-dotenv);"
                " .env and .kernelenv are loaded too.",
                is_eager=True,
                expose_value=False,
                callback=_env_file_callback,
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
        settings = dict(kwargs.pop("context_settings", None) or {})
        settings.setdefault("auto_envvar_prefix", "KERNEL")
        super().__init__(params=params, context_settings=settings, **kwargs)
        self._plugin_commands_loaded = False
        self._entry_point_plugins: list[object] = []

    def command(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like :meth:`AppGroup.command`, but without the app context unless asked for
        (``with_appcontext=True``): an installed plugin's command on the ``kernel`` group
        must also work where there is no app."""
        kwargs.setdefault("with_appcontext", False)
        return super().command(*args, **kwargs)

    def _load_plugin_commands(self) -> None:
        if self._plugin_commands_loaded:
            return
        self._plugin_commands_loaded = True
        from .pluginmanager import ErlenPluginManager, available_plugins

        pm = ErlenPluginManager()
        disabled = {n.strip() for n in os.environ.get("ERLEN_DISABLE_PLUGINS", "").split(",")}
        for name, ep in available_plugins().items():
            if name in disabled:
                continue
            try:
                plugin = ep.load()
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

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> click.Context:  # type: ignore[override]
        # Tells app.run() in the imported module that the CLI serves (it must not).
        os.environ.setdefault("KERNEL_RUN_FROM_CLI", "true")
        if "obj" not in extra and "obj" not in (self.context_settings or {}):
            extra["obj"] = ScriptInfo()
        return super().make_context(info_name, args, parent=parent, **extra)


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
@click.option("--certfile", "--cert", default=None, help="TLS certificate file (PEM).")
@click.option("--keyfile", "--key", default=None, help="TLS private key file (PEM).")
@click.option("--ca-certs", default=None, help="CA bundle to verify client certificates with.")
@click.option("--root-path", default=None, help="The ASGI root path the app is mounted under.")
@click.option("--access-log/--no-access-log", default=None, help="Log every request to stderr.")
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
    """Serve the app with hypercorn until SIGINT/SIGTERM, then shut down gracefully."""
    app = info.load_app()
    if debug is not None:
        app.debug = debug
    use_reloader = app.debug if reload is None else reload
    app.plugin_manager.hook.erlen_serve(
        app=app,
        host=host,
        port=port,
        options={
            "debug": debug,
            "use_reloader": use_reloader,
            "extra_files": _extra_files(extra_files),
            "workers": workers,
            "certfile": certfile,
            "keyfile": keyfile,
            "ca_certs": ca_certs,
            "root_path": root_path,
            "access_log": access_log,
            "graceful_timeout": graceful_timeout,
            "config_file": config_file,
            "app_spec": info.resolved_import_path,
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
    from .pluginmanager import BUILTINS_NAME, available_plugins

    try:
        app = info.load_app()
        rows = app.plugin_manager.describe()
    except NoAppException:
        rows = []
        for name, ep in available_plugins().items():
            rows.append(
                {"name": name, "version": ep.dist.version if ep.dist else None, "hooks": []}
            )
    for row in rows:
        if row["name"] == BUILTINS_NAME and not show_all:
            continue
        hooks = ", ".join(row["hooks"]) or "-"
        click.echo(f"{row['name']} {row['version'] or ''}".rstrip() + f": {hooks}")


@click.command("shell", short_help="Run a Python shell in the app context.")
@pass_script_info
def shell_command(info: ScriptInfo) -> None:
    """Run an interactive Python shell in the app context.

    The namespace holds ``app``, ``g`` and whatever the ``@app.shell_context_processor``
    functions return; ``PYTHONSTARTUP`` is run first, as the plain interpreter does.
    """
    import code

    app = info.load_app()
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\nInstance: {app.instance_path}"
    )
    ctx = app.app_context()
    ctx.push()
    try:
        namespace = app.make_shell_context()
        startup = os.environ.get("PYTHONSTARTUP")
        if startup and os.path.isfile(startup):
            with open(startup) as f:
                exec(compile(f.read(), startup, "exec"), namespace)
        code.interact(banner=banner, local=namespace, exitmsg="")
    finally:
        _leave_app_context(ctx, None)


def make_cli() -> KernelGroup:
    """A new ``kernel`` group with the built-in commands (``cli`` is the one ``main`` runs)."""
    group = KernelGroup(
        name="kernel",
        help="Run and manage an Erlen application.\n\nFind the app with --app, the"
        f" {APP_ENV} environment variable, or an app.py file in the current directory."
        " See docs/cli.md.",
    )
    for command in (run_command, routes_command, plugins_command, shell_command):
        group.add_command(command)
    return group


cli = make_cli()


def main(prog_name: str = "kernel") -> None:
    """The ``kernel`` console script (``python -m erlen`` too)."""
    cli.main(prog_name=prog_name)


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
