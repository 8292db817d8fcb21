"""Finding the app for the ``kernel`` command line, as Flask does; loading ``.env`` files.

``locate_app("module:name")`` and :class:`ScriptInfo`, with the places it looks
(``--app``, ``KERNEL_APP``, the legacy ``QUART_APP``/``FLASK_APP``, default files).
Every failure is a :class:`NoAppException` whose message is one line naming the cause.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
import os
import sys
import sysconfig
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

import click

from .appbase import AppBase
from .helpers import DEBUG_ENV, get_debug_flag, get_load_dotenv
from .helpers import SKIP_DOTENV_ENV as SKIP_DOTENV_ENV

if TYPE_CHECKING:
    from .app import Erlen

APP_ENV = "KERNEL_APP"
#: Read when ``KERNEL_APP`` is unset, with a one-line deprecation hint on stderr.
LEGACY_APP_ENVS = ("QUART_APP", "FLASK_APP")
#: Quart's and Flask's names for the kernel command's settings, read when the ``KERNEL_``
#: one is unset, with the same hint (a ported project's ``.quartenv`` or ``.env`` sets
#: them): ``QUART_DEBUG``/``FLASK_DEBUG``, and ``run``'s options Flask and Quart share
#: (Flask's ``FLASK_RUN_CERT``/``_KEY`` are ``run``'s ``--certfile``/``--keyfile``).
LEGACY_ENV_PREFIXES = ("QUART", "FLASK")
LEGACY_SETTINGS = {
    "DEBUG": "DEBUG",
    "RUN_HOST": "RUN_HOST",
    "RUN_PORT": "RUN_PORT",
    "RUN_RELOAD": "RUN_RELOAD",
    "RUN_EXTRA_FILES": "RUN_EXTRA_FILES",
    "RUN_CERT": "RUN_CERTFILE",
    "RUN_CERTFILE": "RUN_CERTFILE",
    "RUN_KEY": "RUN_KEYFILE",
    "RUN_KEYFILE": "RUN_KEYFILE",
}
#: Files tried, in this order, when no app is named.
DEFAULT_APP_FILES = ("asgi.py", "wsgi.py", "app.py")
#: Environment files loaded (when python-dotenv is installed) before the command line is
#: read; an earlier file wins for a variable several set, and the real environment beats
#: them all. ``.quartenv`` and ``.flaskenv`` are read as Quart and Flask read them, so a
#: ported project keeps working: their ``QUART_APP``, ``FLASK_DEBUG``, ``FLASK_RUN_PORT``...
#: stand for the ``KERNEL_`` variables, each with a hint to rename it
#: (:func:`adopt_legacy_env`).
DOTENV_FILES = (".env", ".kernelenv", ".quartenv", ".flaskenv")


class NoAppException(click.ClickException):
    """The app could not be found or imported: shown as one ``Error:`` line, exit code 2."""

    exit_code = 2


def _is_app(value: object) -> TypeGuard[Erlen]:
    """Whether ``value`` is an app (an instance of the app class's protocol-independent
    half, which every app class is)."""
    return isinstance(value, AppBase)


def find_best_app(module: Any) -> Erlen:
    """The app of ``module``: its ``app`` or ``application``, its only ``Erlen``
    instance, or what its ``create_app()``/``make_app()`` returns (Flask's rules)."""
    for name in ("app", "application"):
        candidate = getattr(module, name, None)
        if _is_app(candidate):
            return candidate
    matches = [v for v in vars(module).values() if _is_app(v)]
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
            if _is_app(app):
                return app
            raise NoAppException(
                f"'{module.__name__}:{name}()' returned {type(app).__name__}, not an Erlen app."
            )
    raise NoAppException(
        f"Failed to find an Erlen application or factory in module '{module.__name__}'."
        f" Use '--app {module.__name__}:name' to specify one."
    )


#: Folders of code that is not the app's: Erlen's own, the standard library and the
#: installed packages (werkzeug, jinja2...).
_LIBRARY_FOLDERS = tuple(
    os.path.join(os.path.abspath(folder), "")
    for folder in {
        os.path.dirname(os.path.abspath(__file__)),
        *(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")),
    }
)


def _where(exc: BaseException) -> str:
    """``(file, line N)`` of the line of the app's code that raised ``exc``, for a
    one-line report: the innermost frame outside Erlen, the standard library and the
    installed packages (a blueprint registered twice names the app's
    ``register_blueprint`` line, not Erlen's check), else the innermost frame outside
    importlib's machinery."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" ({exc.filename}, line {exc.lineno})"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "importlib" not in f.filename]
    if not frames:
        return ""
    own = [f for f in frames if not os.path.abspath(f.filename).startswith(_LIBRARY_FOLDERS)]
    frame = (own or frames)[-1]
    return f" ({frame.filename}, line {frame.lineno})"


def _did_you_mean(name: str, candidates: list[str]) -> str:
    """`` Did you mean 'app'?`` for the closest of ``candidates`` to a mistyped ``name``."""
    close = difflib.get_close_matches(name, candidates, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _modules_in(folder: str) -> list[str]:
    """The modules and packages a name given to ``--app`` could mean in ``folder``."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    names = [e[:-3] for e in entries if e.endswith(".py")]
    names += [e for e in entries if os.path.isfile(os.path.join(folder, e, "__init__.py"))]
    return names


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


def find_app_by_string(module: Any, expr: str) -> Erlen:
    """The app ``expr`` names in ``module``: an attribute (``app``) or a factory call with
    literal arguments (``create_app("dev", debug=True)``)."""
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
        names = [n for n in vars(module) if not n.startswith("_")]
        raise NoAppException(
            f"Failed to find attribute {name!r} in module '{module.__name__}'."
            + _did_you_mean(name, names)
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
    if not _is_app(app):
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


def locate_app(
    import_path: str, import_module: Callable[[str], Any] = importlib.import_module
) -> Erlen:
    """Import ``module[:name or factory(...)]`` (or a ``.py`` path) and return the app.

    Every failure is a :class:`NoAppException` with one line that names the cause: the
    module is missing, or importing it raised (the real error, with file and line).
    ``import_module`` imports the module (:class:`erlen.cli.ScriptInfo` passes
    ``erlen.cli.import_module``, which tests may replace, as Quart's do).
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
        module = import_module(module_name)
    except ImportError as exc:
        if exc.name == module_name or (exc.name and module_name.startswith(exc.name + ".")):
            raise NoAppException(
                f"Could not import {module_name!r}: no such module or file"
                f" (looked in {os.getcwd()!r} and sys.path)."
                + ("" if "." in module_name else _did_you_mean(module_name, _modules_in(".")))
            ) from None
        raise NoAppException(f"While importing {module_name!r}: {_describe(exc)}") from None
    except Exception as exc:
        raise NoAppException(f"While importing {module_name!r}: {_describe(exc)}") from None
    if app_part:
        return find_app_by_string(module, app_part)
    return find_best_app(module)


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


def adopt_legacy_env() -> None:
    """Copy Quart's and Flask's variables for the kernel command's settings
    (:data:`LEGACY_SETTINGS`: ``QUART_DEBUG``, ``FLASK_RUN_PORT``...) to the ``KERNEL_``
    ones that are unset, each with a deprecation hint on stderr, as ``QUART_APP`` and
    ``FLASK_APP`` are read: a ported project's settings are kept, not dropped without a
    word. ``QUART_`` wins over ``FLASK_``; command-line options still decide over all."""
    for legacy, setting in LEGACY_SETTINGS.items():
        target = f"KERNEL_{setting}"
        if os.environ.get(target) or (setting == "DEBUG" and os.environ.get("ERLEN_DEBUG")):
            continue
        for prefix in LEGACY_ENV_PREFIXES:
            name = f"{prefix}_{legacy}"
            value = os.environ.get(name)
            if value:
                click.echo(
                    f"Warning: {name} is deprecated for the kernel command; set {target} instead.",
                    err=True,
                )
                os.environ[target] = value
                break


class ScriptInfo:
    """How the CLI finds the app: an import path or a factory (Flask's and Quart's class).

    ``load_app`` imports the app's module with :meth:`import_app_module` (the command
    line's subclass, :class:`erlen.cli.ScriptInfo`, imports through a name tests may
    replace, as Quart's do). With ``set_debug_flag``, a debug setting given on the command line or
    in ``KERNEL_DEBUG`` is applied to the loaded app, over what its code set; without
    one the app keeps its own. After :meth:`load_app`, :attr:`resolved_import_path` is
    the path the app came from (``--app``, the environment or a default file), so worker
    processes can load it again. :attr:`data` is free for commands to share state.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[..., Erlen] | None = None,
        set_debug_flag: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.set_debug_flag = set_debug_flag
        self.data: dict[Any, Any] = {}
        self.resolved_import_path: str | None = None
        self._loaded_app: Erlen | None = None

    def import_app_module(self, name: str) -> Any:
        """Import the module the app is in (``importlib.import_module``)."""
        return importlib.import_module(name)

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
                    f" option, the {APP_ENV} environment variable, or an 'asgi.py',"
                    " 'wsgi.py' or 'app.py' file in the current directory."
                )
            app = locate_app(path, import_module=self.import_app_module)
            self.resolved_import_path = path
        if self.set_debug_flag and os.environ.get(DEBUG_ENV):
            app.debug = get_debug_flag()
        self._loaded_app = app
        return app


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Load ``path`` (if given), then ``.env``, ``.kernelenv``, ``.quartenv``, ``.flaskenv``.

    Variables already set are never overridden, so the real environment wins, then
    ``path``, then the files in that order. The default files are searched from
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


def skip_dotenv() -> bool:
    """Whether KERNEL_SKIP_DOTENV turns the default .env files off."""
    return not get_load_dotenv()
