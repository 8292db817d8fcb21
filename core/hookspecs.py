"""The kernel's pluggy hook specifications.

Every hook is prefixed ``erlen_``. Each docstring says when the kernel calls it, with
which arguments, and how results combine. Plugins implement hooks with
:data:`erlen.hookimpl`; plugins may add their own specs through :func:`erlen_addhooks`
(the websocket and templating plugins do).

Cost rule: hooks marked *startup* are plain pluggy calls made once per app or per serve.
Hooks marked *compiled* run per request, but the kernel never calls them through pluggy:
at freeze (first request or lifespan startup) it reads the implementations in pluggy's
order (``tryfirst``/``trylast`` applied) into a tuple of plain callables. A hook nothing
implements costs nothing per request. Hooks marked *on demand* run only for some
requests (an unhandled exception, an unusual return value), compiled the same way once
the app has frozen; ``erlen_unknown_scope`` is a pluggy call made once per unknown
scope type.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .app import Erlen
    from .ctx import RequestContext
    from .pluginmanager import ErlenPluginManager
    from .sessions import SessionInterface
    from .typing import ProtocolHandler
    from .wrappers.request import Request
    from .wrappers.response import Response

PROJECT_NAME = "erlen"

#: Marker for hook specifications (``@hookspec``).
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marker for hook implementations (``@hookimpl``), for plugin authors.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- plugin and app setup (startup) ------------------------------------------------


@hookspec(historic=True)
def erlen_addhooks(pluginmanager: ErlenPluginManager) -> None:
    """Add hook specifications of a plugin's own (``pluginmanager.add_hookspecs(module)``).

    Called once when the plugin is registered (historic: a plugin registered later still
    gets the call). Startup; all implementations run; results are ignored.
    """


@hookspec
def erlen_configure(app: Erlen) -> None:
    """Configure a newly constructed app.

    Called once at the end of ``Erlen.__init__``, after the config defaults are set and
    every selected plugin is registered, and again for a plugin registered later with
    ``app.register_plugin``. Register routes, config defaults (``app.config.setdefault``),
    template globals, extensions (``app.extensions[name] = ...``), CLI commands
    (``app.cli``) or lifecycle functions here. Startup; all run in plugin order; results
    are ignored.
    """


@hookspec
def erlen_app_frozen(app: Erlen) -> None:
    """The app is about to serve: its routes, config and plugins are final.

    Called once, at the first request or lifespan startup, after the compiled hook tables
    and the router are built. Setup methods raise from now on. Startup; all run.
    """


# --- routing (startup) --------------------------------------------------------------


@hookspec
def erlen_url_converters(app: Erlen) -> dict[str, type] | None:
    """Contribute URL converters: return ``{name: werkzeug BaseConverter subclass}``.

    Called once in ``Erlen.__init__`` (before any route is added). All run; the dicts
    are merged into ``app.url_map.converters`` in call order, so when two plugins define
    the same name the one called later wins (a ``trylast`` implementation overrides).
    """


# --- unknown scope types (slow path) -----------------------------------------------


@hookspec(firstresult=True)
def erlen_unknown_scope(app: Erlen, scope_type: str) -> ProtocolHandler | None:
    """Resolve a handler for an ASGI scope type that no protocol handler claimed.

    Slow path: called the first time a scope of that type arrives; the answer is cached.
    The first non-None result wins; if all return None the kernel raises
    ``RuntimeError("ASGI scope type ... is unknown")`` as Quart does.
    """


# --- protocol upgrade (startup) -----------------------------------------------------


@hookspec
def erlen_protocol_handlers(app: Erlen) -> dict[str, ProtocolHandler] | None:
    """Declare which coroutine serves each ASGI scope type (``http``, ``websocket``, ...).

    Called once at freeze. Return ``{scope_type: handler}`` where
    ``handler(scope, receive, send)`` serves one connection for ``app``. All run; for a
    scope type claimed twice the implementation called first wins (use ``tryfirst`` to
    override the kernel's ``http`` or ``lifespan`` handlers). The result is stored in a
    dict, so dispatch per connection is one lookup.
    """


@hookspec
def erlen_asgi_middleware(app: Erlen) -> list[Any] | None:
    """Wrap the ASGI app: return a list of ``callable(asgi_app) -> asgi_app``.

    Called once at freeze; the wrappers are applied in call order around the dispatcher
    (the first one returned ends up innermost). All run.
    """


# --- request lifecycle (compiled, per request) --------------------------------------


@hookspec
def erlen_before_request(app: Erlen, request: Request) -> Any:
    """A request's context is pushed; runs before the ``@app.before_request`` functions.

    Compiled. May be sync or async. Called for every HTTP request, also one that matched
    no route (``request.routing_exception`` is set; the 404/405 is raised after the
    before-request functions, as in Flask). Implementations are called in pluggy order
    (``tryfirst`` first). The first one returning a non-None value short-circuits: that
    value (anything a view may return) becomes the response, and the remaining hooks,
    the app's ``before_request`` functions and the view are skipped; the after-request
    functions and hooks still run.
    """


@hookspec
def erlen_after_request(app: Erlen, request: Request, response: Response) -> Response | None:
    """The response is built; runs after the ``@app.after_request`` functions.

    Compiled. May be sync or async. Called for every response made for an HTTP request,
    error responses (404, 500, ...) included, before the session is saved. A pipeline in
    pluggy order (``trylast`` last, so it sees the final response): an implementation
    may return a new response object, or None to keep the one it was given (perhaps
    modified in place).
    """


@hookspec
def erlen_teardown_request(app: Erlen, request: Request, exc: BaseException | None) -> None:
    """The request is finished, whatever happened; ``exc`` is the unhandled error or None.

    Compiled. May be sync or async. Runs after the app's ``teardown_request`` functions,
    with the request context still pushed. All run in pluggy order; an exception in one
    is logged, not raised.
    """


# --- errors and unusual return values (on demand, compiled) ------------------------


@hookspec(firstresult=True)
def erlen_handle_exception(app: Erlen, request: Any, exc: BaseException) -> Any:
    """An exception escaped the view and the app's error handlers.

    On demand, compiled at freeze. Called before the kernel's own 500 handling, and
    before the exception is propagated under ``TESTING``/``PROPAGATE_EXCEPTIONS``.
    ``request`` is the current request, or None outside a request. The first non-None
    result is used as the response (it may be an awaitable resolving to a response
    value); if all return None the kernel goes on as usual.
    """


@hookspec(firstresult=True)
def erlen_convert_return_value(app: Erlen, value: Any) -> Response | None:
    """Turn a view return value of an unknown type into a ``Response``.

    On demand, compiled at freeze: only for values that are not str, bytes, dict, list,
    tuple, a response, an iterator or an async iterator (a view returning a type a
    plugin converts makes no pluggy call per request). First non-None result wins; if
    every implementation returns None the kernel raises ``TypeError``.
    """


# --- JSON (startup) -----------------------------------------------------------------


@hookspec(firstresult=True)
def erlen_json_provider(app: Erlen) -> Any:
    """Return the JSON provider for ``app`` (stored as ``app.json``).

    Called once in ``Erlen.__init__``. First result wins. A provider has Flask's API:
    ``dumps(obj, **kw) -> str``, ``loads(s, **kw)``, ``response(*args, **kw)`` and
    ``dumps_bytes(obj) -> bytes``; ``loads`` raises ``ValueError`` on invalid input. The
    kernel answers last with a stdlib-``json`` provider.
    """


# --- sessions (startup) -------------------------------------------------------------


@hookspec(firstresult=True)
def erlen_session_interface(app: Erlen) -> SessionInterface | None:
    """Return the session interface for ``app`` (stored as ``app.session_interface``).

    Called once in ``Erlen.__init__``, after the plugins are registered and before
    ``erlen_configure``, unless the app's class sets ``session_interface`` itself (Quart's
    way, which wins); again for a plugin implementing it that ``app.register_plugin``
    adds while the app has no session interface. First result wins: the ``sessions``
    plugin answers with its signed-cookie interface (``tryfirst`` lets another plugin
    win). With no answer the app gets a :class:`~erlen.sessions.NullSessionInterface`:
    ``session`` reads empty and writing it raises ``RuntimeError``. An interface may be
    shared by several apps. Startup.
    """


# --- serving lifecycle (startup) ----------------------------------------------------


@hookspec
def erlen_startup(app: Erlen) -> Any:
    """The server is starting (ASGI lifespan startup), before ``@app.before_serving``.

    Startup; may be async (awaited); all run in call order inside an app context. An
    exception fails the startup: the server gets ``lifespan.startup.failed``.
    """


@hookspec
def erlen_shutdown(app: Erlen) -> Any:
    """The server is stopping (ASGI lifespan shutdown), after ``@app.after_serving``.

    Startup; may be async (awaited); all run, in reverse call order. Errors are logged.
    """


# --- serving (startup) -------------------------------------------------------------


@hookspec(firstresult=True)
def erlen_serve(
    app: Erlen, host: str | None, port: int | None, options: dict[str, Any]
) -> bool | None:
    """Serve ``app`` on ``host:port`` until interrupted (``kernel run`` and ``app.run()``);
    return True when served.

    Startup; blocking. First non-None result wins; the ``serving`` plugin answers last,
    with hypercorn. ``host``/``port`` are None when not given (127.0.0.1:5000, or a
    config file's bind). ``options`` holds the rest of the command line (``debug``,
    ``certfile``, ``workers``, ``use_reloader``, ``app_spec``, ...; see docs/cli.md). If
    every implementation returns None (no serving plugin loaded), ``app.run()`` raises
    ``RuntimeError`` and ``kernel run`` says which plugin is missing.
    """


@hookspec(firstresult=True)
def erlen_serve_task(
    app: Erlen, host: str, port: int, options: dict[str, Any]
) -> Awaitable[None] | None:
    """Return a coroutine serving ``app`` in the running event loop (``app.run_task()``).

    Startup. First non-None result wins; the ``serving`` plugin answers last, with
    hypercorn. ``options`` holds ``ca_certs``, ``certfile``, ``keyfile``,
    ``shutdown_trigger`` (an awaitable factory; the server stops when it returns, else
    on SIGINT/SIGTERM) and the other keyword arguments of ``run_task`` (an implementation
    raises ``TypeError`` for one it does not know). None from every implementation makes
    ``app.run_task()`` raise ``RuntimeError``.
    """


# --- CLI (startup) ------------------------------------------------------------------


@hookspec
def erlen_cli_commands(cli: click.Group) -> None:
    """Add commands to the ``kernel`` command group (``cli.add_command(cmd)``).

    Called once when the CLI is built, for plugins installed through the ``erlen``
    entry point group (``cli`` is the ``kernel`` group: its commands run without the app
    context unless declared with ``with_appcontext=True``), and once when the app is
    loaded, for plugins given to it as objects (``cli`` is then ``app.cli``). All run.
    """


# --- testing (startup) --------------------------------------------------------------


@hookspec(firstresult=True)
def erlen_test_client_class(app: Erlen) -> type | None:
    """Return the class ``app.test_client()`` instantiates.

    Startup: called when ``app.test_client_class`` is read (``app.test_client()`` reads
    it), unless a class is set on the app or its class. First non-None result wins; the
    ``testing`` plugin answers with its ``TestClient``. The class is called as
    ``cls(app, use_cookies=..., **kwargs)``.
    """


@hookspec(firstresult=True)
def erlen_test_app_class(app: Erlen) -> type | None:
    """Return the class ``app.test_app()`` instantiates.

    Startup: called when ``app.test_app_class`` is read (``app.test_app()`` reads it),
    unless a class is set on the app or its class. First non-None result wins; the
    ``testing`` plugin answers with its ``TestApp``. The class is called as ``cls(app)``.
    """


@hookspec(firstresult=True)
def erlen_test_cli_runner_class(app: Erlen) -> type | None:
    """Return the class ``app.test_cli_runner()`` instantiates.

    Startup: called when ``app.test_cli_runner_class`` is read (``app.test_cli_runner()``
    reads it), unless a class is set on the app or its class. First non-None result wins;
    the ``testing`` plugin answers with its ``ErlenCliRunner``. The class is called as
    ``cls(app, **kwargs)``.
    """


@hookspec(firstresult=True)
def erlen_test_request_context(
    app: Erlen, path: str, options: dict[str, Any]
) -> RequestContext | None:
    """Return a request context for a made-up request to ``path`` (``app.test_request_context``).

    Startup: called at each ``app.test_request_context()`` call. First non-None result
    wins; the ``testing`` plugin answers. ``options`` holds the other arguments of
    ``test_request_context`` (``method``, ``headers``, ``query_string``, ``scheme``,
    ``data``, ``form``, ``json`` when given, ``root_path``, ``http_version``,
    ``scope_base``, ``auth``, ``subdomain``). The request is already matched and has its
    complete body.
    """
