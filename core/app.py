"""The application object: ``Erlen(__name__)``.

It owns the configuration, the URL map, the plugin manager and the registries inherited
from :class:`~erlen.scaffold.Scaffold`. ``Erlen.__call__`` is the ASGI entry point: it
looks the scope type up in a table built once at freeze from ``erlen_protocol_handlers``.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import inspect
import logging
import os
import sys
from collections import defaultdict
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from werkzeug.datastructures import ImmutableDict
from werkzeug.exceptions import Aborter, HTTPException
from werkzeug.routing import BuildError, Map, MapAdapter, Rule
from werkzeug.urls import quote as _url_quote

from . import signals
from .asyncfile import AsyncFileOpener
from .config import DEFAULT_CONFIG, Config, ConfigAttribute
from .ctx import AppContext, RequestContext, WebsocketContext, _AppCtxGlobals
from .exceptions import AppFrozenError, PluginError
from .globals import _cv_app, _cv_request, _cv_websocket
from .logging import create_logger
from .pipeline import connection, errors, http, steps
from .pipeline.errors import ErrorHandlers
from .pipeline.match import match_request
from .pipeline.plan import Pipeline, Plan, plan_for, step
from .pipeline.steps import HttpSteps
from .pluginmanager import BUILTINS_NAME, ErlenPluginManager, resolve_plugins
from .scaffold import Scaffold, _sentinel, endpoint_from_view_func, setupmethod
from .sessions import SecureCookieSessionInterface, open_session_lazily
from .testrequest import sentinel as _test_sentinel
from .utils import run_sync as run_sync
from .utils import run_sync_iterable as run_sync_iterable
from .wrappers.request import Request
from .wrappers.response import Response

if TYPE_CHECKING:
    from .blueprints import Blueprint
    from .typing import ProtocolHandler, Receive, Scope, Send

T = TypeVar("T")


class _NoConnection:
    """What the error handlers see outside any request or websocket: no endpoint."""

    url_rule = None


_NO_CONNECTION = _NoConnection()
#: The websocket teardown (functions and signal) when the websocket plugin is not loaded.
_WEBSOCKET_TEARDOWN = connection.Protocol(
    "websocket", WebsocketContext, tearing_down=signals.websocket_tearing_down
)
F = TypeVar("F", bound=Callable[..., Any])


def _make_timedelta(value: timedelta | int | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


class Erlen(Scaffold):
    """An ASGI application with Quart's API.

    :param import_name: the app's module name, usually ``__name__``.
    :param plugins: the plugins to load: entry-point names, modules or objects. ``None``
        (the default) loads every installed plugin of the ``erlen`` entry point group.
    :param exclude_plugins: entry-point names to leave out of the default set.
    """

    aborter_class = Aborter
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    request_class = Request
    response_class = Response
    url_map_class = Map
    url_rule_class = Rule
    test_client_class: type | None = None
    test_app_class: type | None = None
    test_cli_runner_class: type | None = None
    session_interface = SecureCookieSessionInterface()
    event_class = asyncio.Event
    lock_class = asyncio.Lock
    jinja_options: dict[str, Any] = {}
    #: The jinja2 environment class; None means the templating plugin's ``Environment``.
    jinja_environment: type | None = None
    #: The websocket class; None means the websocket plugin's :class:`~erlen.Websocket`.
    websocket_class: type | None = None
    #: The JSON provider class; None means the one the ``erlen_json_provider`` hook picks
    #: (the ``json`` plugin's msgspec provider). Set it in a subclass to use your own; the
    #: instance attribute then names the class of :attr:`json` actually in use.
    json_provider_class: type | None = None
    #: Quart's swappable ASGI connection classes. None (the default) serves the scope
    #: type through the ``erlen_protocol_handlers`` plugins. A class set here is used
    #: as in Quart: ``await cls(app, scope)(receive, send)`` for every scope of its type.
    asgi_http_class: type | None = None
    asgi_websocket_class: type | None = None
    asgi_lifespan_class: type | None = None

    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute[Any]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta | None](
        "PERMANENT_SESSION_LIFETIME", _make_timedelta
    )

    default_config = ImmutableDict(DEFAULT_CONFIG)

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
        *,
        plugins: Sequence[str | object] | None = None,
        exclude_plugins: Iterable[str] = (),
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        self.name = self._compute_name(import_name)
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute."
                " A relative path was given instead."
            )
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        # Read on every request: an attribute of the app is found faster than one of
        # its class (a subclass's own class value is the one copied).
        self.session_interface = self.session_interface
        self.response_class = self.response_class
        self.aborter = self.make_aborter()
        self.extensions: dict[str, Any] = {}
        self.blueprints: dict[str, Blueprint] = {}
        self.url_build_error_handlers: list[Callable[..., Any]] = []
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []
        self.before_serving_funcs: list[Callable[..., Any]] = []
        self.after_serving_funcs: list[Callable[..., Any]] = []
        self.while_serving_gens: list[AsyncGenerator[Any, None]] = []
        self.background_tasks: set[asyncio.Task[Any]] = set()
        self.shutdown_event: asyncio.Event | None = None
        self.subdomain_matching = subdomain_matching
        self.url_map = self.url_map_class(host_matching=host_matching)
        self._frozen = False
        self._protocols: dict[str, ProtocolHandler] = {}
        self._asgi_entry: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None
        # The protocol table ``__call__`` may use directly (set by ``freeze``; empty
        # while something wraps the entry).
        self._direct_protocols: dict[str, ProtocolHandler] = {}

        self.plugin_manager = ErlenPluginManager()
        from . import builtins as _builtins

        self.plugin_manager.register(_builtins, BUILTINS_NAME)
        for name, plugin in resolve_plugins(plugins, exclude_plugins):
            self._register(plugin, name)
        hook = self.plugin_manager.hook
        for converters in hook.erlen_url_converters(app=self):
            if converters:
                self.url_map.converters.update(converters)
        provider_class = self.json_provider_class
        if provider_class is not None:
            self.json = provider_class(self)
        else:
            self.json = hook.erlen_json_provider(app=self)
            self.json_provider_class = type(self.json)

        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise AssertionError("Invalid static_host/host_matching combination")
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=self.send_static_file,
            )
        try:
            hook.erlen_configure(app=self)
        except Exception as exc:  # name the plugin: a bare traceback hides whose code it was
            raise self.plugin_manager.plugin_error("erlen_configure", exc) from exc

    # --- plugins ------------------------------------------------------------------

    def _register(self, plugin: object, name: str | None) -> None:
        try:
            self.plugin_manager.register(plugin, name)
        except ValueError as exc:
            raise PluginError(f"Cannot register Erlen plugin {name!r}: {exc}") from exc

    @property
    def plugins(self) -> dict[str, object]:
        """The loaded plugins by name (the kernel's own built-ins excluded)."""
        return {
            name: plugin
            for name, plugin in self.plugin_manager.list_name_plugin()
            if name != BUILTINS_NAME
        }

    @setupmethod
    def register_plugin(self, plugin: object, name: str | None = None) -> None:
        """Register one more plugin on this app (before it serves) and configure it."""
        self._register(plugin, name)
        configure = getattr(plugin, "erlen_configure", None)
        if configure is not None:
            try:
                self.plugin_manager.subset_hook_caller(
                    "erlen_configure",
                    [p for p in self.plugin_manager.get_plugins() if p is not plugin],
                )(app=self)
            except Exception as exc:
                raise self.plugin_manager.plugin_error("erlen_configure", exc) from exc

    # --- configuration ------------------------------------------------------------

    @staticmethod
    def _compute_name(import_name: str) -> str:
        if import_name == "__main__":
            fn = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return import_name

    def auto_find_instance_path(self) -> str:
        """The default :attr:`instance_path`: an ``instance`` folder next to the app's
        package or module, or ``{sys.prefix}/var/{name}-instance`` when the app is
        installed (in ``site-packages``), as in Flask."""
        prefix, package_path = _find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def make_aborter(self) -> Aborter:
        """The object behind ``abort()``: an instance of :attr:`aborter_class`."""
        return self.aborter_class()  # type: ignore[no-any-return]

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Flask's hook to hide ``error`` from teardown functions. Returns False; like
        Quart, Erlen does not consult it (teardown functions always see the error)."""
        return False

    def make_config(self, instance_relative: bool = False) -> Config:
        """Create the config object from :attr:`default_config`."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = _debug_from_env()
        return self.config_class(root_path, defaults)

    @property
    def debug(self) -> bool:
        """``config["DEBUG"]``."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value

    @property
    def logger(self) -> logging.Logger:
        """The ``logging`` logger named after the app (:func:`erlen.logging.create_logger`)."""
        return create_logger(self)

    @property
    def frozen(self) -> bool:
        """Whether the app has frozen (first request or lifespan startup): its routes,
        hooks and plugins are final."""
        return self._frozen

    def _check_setup_finished(self, f_name: str) -> None:
        if self._frozen:
            raise AppFrozenError(
                f"The setup method '{f_name}' can no longer be called on the application."
                " It has already started serving, so changes would not be applied"
                " consistently. Make sure all routes, hooks and plugins are registered"
                " before the first request or the server's startup."
            )

    # --- routing ------------------------------------------------------------------

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Connect ``rule`` to ``view_func`` under ``endpoint`` (Flask semantics)."""
        if endpoint is None:
            endpoint = endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, "
                "for example: @app.route(..., methods=['POST'])"
            )
        methods = {item.upper() for item in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        methods |= required_methods
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options  # type: ignore[attr-defined]
        self.url_map.add(rule_obj)
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing"
                    f" endpoint function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Register ``blueprint`` (options: ``url_prefix``, ``subdomain``, ``name``...)."""
        blueprint.register(self, options)

    def iter_blueprints(self) -> Iterable[Blueprint]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    def create_url_adapter(self, request: Any | None) -> MapAdapter | None:
        """A URL adapter bound to ``request``, or to ``SERVER_NAME`` without one."""
        if request is not None:
            adapter = getattr(request, "_url_adapter", None)
            if adapter is not None:
                return adapter  # type: ignore[no-any-return]
            return self._bind_adapter(request)
        server_name = self.config["SERVER_NAME"]
        if server_name is None:
            return None
        return self.url_map.bind(
            server_name,
            script_name=self.config["APPLICATION_ROOT"],
            url_scheme="https"
            if self.config["PREFER_SECURE_URLS"]
            else self.config["PREFERRED_URL_SCHEME"],
        )

    def _bind_adapter(self, request: Any) -> MapAdapter:
        trusted = self.config["TRUSTED_HOSTS"]
        if trusted is not None:
            request.trusted_hosts = trusted
        host = request.host
        subdomain = None
        server_name = self.config["SERVER_NAME"] or host
        if self.url_map.host_matching:
            server_name = host
        elif not self.subdomain_matching:
            subdomain = self.url_map.default_subdomain or ""
        elif self.config["SERVER_NAME"]:
            subdomain = _subdomain_of(host, self.config["SERVER_NAME"])
            if subdomain is None:
                # The host is not under SERVER_NAME (an IP, another name). werkzeug's
                # "<invalid>" subdomain is meant to 404 but would match a "<user>"
                # wildcard rule, so the request is refused here (dispatch raises it).
                from werkzeug.exceptions import NotFound

                request.routing_exception = NotFound()
                subdomain = "<invalid>"
        adapter = MapAdapter(
            self.url_map,
            server_name.lower(),
            request.root_path or "/",
            subdomain if subdomain is not None else "",
            request.scheme,
            request.path,
            request.method,
            request.query_string.decode("latin-1") if request.query_string else None,
        )
        request._url_adapter = adapter
        return adapter

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Run the ``url_defaults`` functions for ``endpoint`` on ``values``."""
        names: Iterable[str | None] = (None,)
        if "." in endpoint:
            names = (None, *reversed(_blueprint_chain(endpoint.rpartition(".")[0])))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str:
        """Try the ``url_build_error_handlers``; re-raise ``error`` if none answers."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv  # type: ignore[no-any-return]
        if error is sys.exc_info()[1]:
            raise
        raise error

    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _external: bool | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        **values: Any,
    ) -> str:
        """Build the URL of ``endpoint`` with ``values`` (unknown ones go to the query)."""
        conn_ctx: Any = _cv_request.get(None) or _cv_websocket.get(None)
        if conn_ctx is not None:
            connection = conn_ctx._connection
            url_adapter = self.create_url_adapter(connection)
            blueprint_name = connection.blueprint
            if endpoint[:1] == ".":
                endpoint = f"{blueprint_name}{endpoint}" if blueprint_name else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            app_ctx = _cv_app.get(None)
            url_adapter = (
                app_ctx.url_adapter if app_ctx is not None else self.create_url_adapter(None)
            )
            if url_adapter is None:
                raise RuntimeError(
                    "Unable to create URL adapter for request-independent URL generation."
                    " You might be able to fix this by setting the SERVER_NAME config variable."
                )
            if _external is None:
                _external = True
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        assert url_adapter is not None
        self.inject_url_defaults(endpoint, values)
        try:
            rv = url_adapter.build(
                endpoint,
                values,
                method=_method,
                url_scheme=_scheme,
                force_external=bool(_external),
            )
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            rv = f"{rv}#{_url_quote(_anchor, safe='%!#$&()*+,/:;=?@')}"
        return rv

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response to ``location``."""
        from .helpers import _redirect_response

        return _redirect_response(self.response_class, location, code)

    # --- lifecycle registration ------------------------------------------------------

    @setupmethod
    def teardown_appcontext(self, f: T) -> T:
        """Run ``f(exc)`` when the app context is popped."""
        self.teardown_appcontext_funcs.append(f)  # type: ignore[arg-type]
        return f

    @setupmethod
    def shell_context_processor(self, f: T) -> T:
        """Add ``f() -> dict`` to the ``kernel shell`` namespace."""
        self.shell_context_processors.append(f)  # type: ignore[arg-type]
        return f

    @setupmethod
    def before_serving(self, func: T) -> T:
        """Run ``func()`` at server startup (ASGI lifespan), before requests are served."""
        self.before_serving_funcs.append(func)  # type: ignore[arg-type]
        return func

    @setupmethod
    def after_serving(self, func: T) -> T:
        """Run ``func()`` at server shutdown."""
        self.after_serving_funcs.append(func)  # type: ignore[arg-type]
        return func

    @setupmethod
    def while_serving(self, func: T) -> T:
        """Register an async generator function: code before its ``yield`` runs at startup,
        code after it at shutdown."""
        self.while_serving_gens.append(func)  # type: ignore[arg-type]
        return func

    def make_shell_context(self) -> dict[str, Any]:
        """The namespace of ``kernel shell``: ``app``, ``g`` and processor results."""
        from .globals import g

        rv: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    # --- sync/async ----------------------------------------------------------------

    def ensure_async(self, func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        """Return ``func`` if it is async, else a wrapper running it in a thread."""
        if inspect.iscoroutinefunction(func) or getattr(func, "_erlen_sync_wrapped", False):
            return func
        if isinstance(func, functools.partial) and inspect.iscoroutinefunction(func.func):
            return func
        call = getattr(func, "__call__", None)  # noqa: B004 - callable objects
        if call is not None and not inspect.isfunction(func) and inspect.iscoroutinefunction(call):
            return func
        return self.sync_to_async(func)

    def sync_to_async(self, func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        """Run ``func`` in the thread pool when awaited (Quart's ``run_sync``)."""
        return run_sync(func)

    def add_background_task(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``func(*args, **kwargs)`` in its own task, in a copy of the app context.

        Exceptions go to :meth:`handle_background_exception`. Shutdown waits for
        background tasks up to ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT`` seconds.
        """
        call = self.ensure_async(func)

        async def _wrapper() -> None:
            try:
                async with self.app_context():
                    await call(*args, **kwargs)
            except Exception as error:
                await self.handle_background_exception(error)

        task = asyncio.get_running_loop().create_task(_wrapper())
        self.background_tasks.add(task)
        task.add_done_callback(self.background_tasks.discard)

    async def handle_background_exception(self, error: Exception) -> None:
        """Send ``got_background_exception`` and log the error."""
        if signals.got_background_exception.receivers:
            await signals.send_async(signals.got_background_exception, self, exception=error)
        self.log_exception((type(error), error, error.__traceback__))

    # --- contexts ---------------------------------------------------------------------

    def app_context(self) -> AppContext:
        """A new app context: ``async with app.app_context(): ...``."""
        return AppContext(self)

    @step
    def request_context(self, request: Request) -> RequestContext:
        """A request context for ``request``."""
        return RequestContext(self, request)

    def websocket_context(self, websocket: Any) -> WebsocketContext:
        """A websocket context for ``websocket``."""
        return WebsocketContext(self, websocket)

    def test_request_context(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: Any = None,
        query_string: Any = None,
        scheme: str = "http",
        send_push_promise: Callable[[str, Any], Awaitable[None]] | None = None,
        data: Any = None,
        form: Any = None,
        json: Any = _test_sentinel,
        root_path: str = "",
        http_version: str = "1.1",
        scope_base: dict[str, Any] | None = None,
        auth: Any = None,
        subdomain: str | None = None,
    ) -> RequestContext:
        """A request context for a made-up request with a complete body, already
        matched: ``async with app.test_request_context("/path"): ...``.

        ``send_push_promise(path, headers)`` receives the request's server pushes
        (``make_push_promise``); by default they are dropped.
        """
        from .testrequest import make_test_request_context

        ctx = make_test_request_context(
            self,
            path,
            method=method,
            headers=headers,
            query_string=query_string,
            scheme=scheme,
            data=data,
            form=form,
            json=json,
            root_path=root_path,
            http_version=http_version,
            scope_base=scope_base,
            auth=auth,
            subdomain=subdomain,
        )
        # The form limits follow the config, as for a served request.
        ctx.request.max_form_memory_size = self.config["MAX_FORM_MEMORY_SIZE"]
        ctx.request.max_form_parts = self.config["MAX_FORM_PARTS"]
        if send_push_promise is not None:
            request = ctx.request

            async def _push(push_path: str) -> None:
                await send_push_promise(push_path, request.headers)

            request.send_push_promise = _push  # type: ignore[method-assign,assignment]
        return ctx

    # --- sessions -----------------------------------------------------------------------

    #: Open the session of ``connection`` (called on first use of ``session``): the
    #: function itself, not a method calling it, one call less on that first use.
    open_session_for = open_session_lazily

    # --- the pipeline: Quart's methods, each a thin wrapper over its step ------------------
    # An app may override any of them: the compiled pipeline then calls the override in
    # that step's place (erlen.pipeline.steps.Overrides), and the override's super() call
    # runs the step. tests/core/test_pipeline_steps.py covers each.

    def _compile_pipeline(self) -> None:
        self._pipeline = Pipeline(self)
        self._http = HttpSteps(self, self._pipeline)

    def _http_steps(self) -> HttpSteps:
        steps: HttpSteps | None = self.__dict__.get("_http")
        if steps is None:  # not frozen (a test request context): from the registries now
            steps = HttpSteps(self, Pipeline(self))
        return steps

    def plan_for(self, connection: Any) -> Plan:
        """The compiled plan of the endpoint ``connection`` matched."""
        return plan_for(self, connection)

    @step
    async def handle_request(self, request: Request) -> Response:
        """Match, push the context, dispatch, and return the response; errors become 500s."""
        return await http.handle(self, self._http_steps(), request)  # type: ignore[no-any-return]

    @step
    def match_request(self, request: Any, websocket: bool = False) -> None:
        """Match ``request`` against the URL map, storing the rule or routing exception."""
        pipeline = self.__dict__.get("_pipeline")
        match_request(self, pipeline.matcher if pipeline else None, request, websocket)

    @step
    async def full_dispatch_request(
        self, request_context: RequestContext | None = None
    ) -> Response:
        """Run preprocessing, the view and finalizing; user exceptions go to handlers."""
        ctx = request_context or _cv_request.get()
        plan = plan_for(self, ctx.request)
        return await steps.full_dispatch(self, ctx, plan, self._http_steps())  # type: ignore[no-any-return]

    @step
    async def preprocess_request(self, request_context: RequestContext | None = None) -> Any:
        """URL value preprocessors, plugin and app ``before_request``; first non-None wins."""
        ctx = request_context or _cv_request.get()
        hooks = self._http_steps().hooks
        return await steps.preprocess(self, ctx, plan_for(self, ctx.request), hooks)

    @step
    async def dispatch_request(self, request_context: RequestContext | None = None) -> Any:
        """Call the view (or answer automatic OPTIONS); raises the routing error if any."""
        request = (request_context or _cv_request.get()).request
        return await steps.dispatch(self, request, plan_for(self, request))

    def raise_routing_exception(self, request: Any) -> None:
        """Raise the stored routing error (404, 405, redirect, websocket mismatch)."""
        raise request.routing_exception

    @step
    async def finalize_request(
        self,
        result: Any,
        request_context: RequestContext | None = None,
        from_error_handler: bool = False,
    ) -> Response:
        """Make the response and run the after-request processing."""
        ctx = request_context or _cv_request.get()
        plan = plan_for(self, ctx.request)
        return await steps.finalize(  # type: ignore[no-any-return]
            self, ctx, plan, self._http_steps(), result, from_error_handler
        )

    @step
    async def make_response(self, result: Any) -> Response:
        """Turn a view's return value into a response (Flask's rules)."""
        return steps.make_response(self, result)

    @step
    async def process_response(
        self, response: Response, request_context: RequestContext | None = None
    ) -> Response:
        """``after_this_request``, ``after_request`` (innermost blueprint first), plugins,
        then save the session."""
        ctx = request_context or _cv_request.get()
        plan = plan_for(self, ctx.request)
        return await steps.process_response(self, ctx, plan, self._http_steps().hooks, response)

    @step
    async def do_teardown_request(
        self, exc: BaseException | None, request_context: RequestContext | None = None
    ) -> None:
        """Run the ``teardown_request`` functions and plugin teardown hooks."""
        request = (request_context or _cv_request.get()).request
        hooks = self._http_steps().hooks
        await steps.teardown(self, request, plan_for(self, request), hooks, exc)

    @step
    async def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions."""
        for func in reversed(self.teardown_appcontext_funcs):
            await self.ensure_async(func)(exc)
        if signals.appcontext_tearing_down.receivers:
            await signals.send_async(signals.appcontext_tearing_down, self, exc=exc)

    async def make_default_options_response(self) -> Response:
        """The automatic ``OPTIONS`` answer: an empty 200 with ``Allow``."""
        adapter = self.create_url_adapter(_cv_request.get().request)
        rv = self.response_class()
        rv.allow.update(adapter.allowed_methods())  # type: ignore[union-attr]
        return rv

    # --- errors -------------------------------------------------------------------------

    def _error_handlers(self) -> ErrorHandlers:
        ctx: Any = _cv_request.get(None) or _cv_websocket.get(None)
        return plan_for(self, ctx._connection if ctx is not None else _NO_CONNECTION).errors

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP exception should be raised like a code error (debugging aid)."""
        return errors.trap_http_exception(self, e)

    async def handle_http_exception(self, error: HTTPException) -> Any:
        """Answer an HTTP exception with its registered handler, or the exception itself."""
        return await errors.handle_http_exception(self, error, self._error_handlers())

    @step
    async def handle_user_exception(self, error: Exception) -> Any:
        """Route an exception from the view to its handler; re-raise if there is none."""
        return await errors.handle_user_exception(self, error, self._error_handlers())

    def should_propagate(self) -> bool:
        """Whether unhandled errors are re-raised (``PROPAGATE_EXCEPTIONS``, or testing/debug)."""
        return errors.should_propagate(self)

    @step
    async def handle_exception(self, error: Exception) -> Response:
        """The 500 path: signal, plugins, propagate in testing/debug, else log and answer."""
        ctx = _cv_request.get(None)
        plan = plan_for(self, ctx.request if ctx is not None else _NO_CONNECTION)
        return await steps.handle_exception(self, ctx, plan, self._http_steps(), error)  # type: ignore[no-any-return]

    def log_exception(self, exception_info: Any) -> None:
        """Log an unhandled exception once, naming the request or websocket."""
        ctx: Any = _cv_request.get(None)
        if ctx is not None:
            where = f"request {ctx.request.method} {ctx.request.path}"
        else:
            ws_ctx: Any = _cv_websocket.get(None)
            where = f"websocket {ws_ctx.websocket.path}" if ws_ctx else "background task"
        self.logger.error(f"Exception on {where}", exc_info=exception_info)

    # --- websockets: Quart's method names over erlen.pipeline.connection ----------------
    # The websocket plugin describes its connections (``app.extensions["erlen.websocket"]``,
    # a connection.Protocol); an app may override any stage, as in Quart.

    def _websocket_protocol(self) -> connection.Protocol:
        protocol = self.extensions.get("erlen.websocket")
        if protocol is None:
            raise RuntimeError(
                "Websockets need the 'websocket' plugin, which is not loaded"
                " (check Erlen(plugins=...) / exclude_plugins)"
            )
        return protocol  # type: ignore[no-any-return]

    @step
    async def handle_websocket(self, websocket: Any) -> Any:
        """Match, push the context and run the handler; returns the response that rejects
        the handshake, if any."""
        return await connection.handle(self, websocket, self._websocket_protocol())

    @step
    async def full_dispatch_websocket(self, websocket_context: Any = None) -> Any:
        """Preprocess, run the handler and finalize; user exceptions go to handlers."""
        ctx = websocket_context or _cv_websocket.get()
        return await connection.full_dispatch(self, ctx, self._websocket_protocol())

    @step
    async def preprocess_websocket(self, websocket_context: Any = None) -> Any:
        """URL value preprocessors and ``before_websocket``; first non-None wins."""
        ctx = websocket_context or _cv_websocket.get()
        return await connection.preprocess(self, ctx, self._websocket_protocol())

    @step
    async def dispatch_websocket(self, websocket_context: Any = None) -> Any:
        """Call the websocket handler (or raise the routing error)."""
        return await connection.dispatch(self, (websocket_context or _cv_websocket.get()).websocket)

    @step
    async def finalize_websocket(
        self, result: Any, websocket_context: Any = None, from_error_handler: bool = False
    ) -> Any:
        """Make the response (if any) and post-process it."""
        ctx = websocket_context or _cv_websocket.get()
        protocol = self._websocket_protocol()
        return await connection.finalize(self, ctx, protocol, result, from_error_handler)

    @step
    async def postprocess_websocket(self, response: Any, websocket_context: Any = None) -> Any:
        """``after_this_websocket``, ``after_websocket`` functions, session save."""
        ctx = websocket_context or _cv_websocket.get()
        return await connection.postprocess(self, ctx, self._websocket_protocol(), response)

    @step
    async def handle_websocket_exception(self, error: Exception) -> Any:
        """The unhandled-error path of a websocket handler (500 / close 1011)."""
        ctx = _cv_websocket.get()
        return await connection.handle_exception(self, ctx, self._websocket_protocol(), error)

    async def do_teardown_websocket(
        self, exc: BaseException | None, websocket_context: Any = None
    ) -> None:
        """Run the ``teardown_websocket`` functions."""
        ctx = websocket_context or _cv_websocket.get()
        protocol = self.extensions.get("erlen.websocket") or _WEBSOCKET_TEARDOWN
        await connection.teardown(self, ctx, protocol, exc)

    # --- freeze and ASGI ------------------------------------------------------------------

    def freeze(self) -> None:
        """Build the dispatch tables; called at the first request or lifespan startup.

        After this, setup methods raise :class:`~erlen.exceptions.AppFrozenError`.
        """
        if self._frozen:
            return
        pm = self.plugin_manager
        hook = pm.hook
        # The pipeline first: protocol handlers are built from it.
        self._compile_pipeline()
        protocols: dict[str, ProtocolHandler] = {}
        for table in hook.erlen_protocol_handlers(app=self):
            for scope_type, handler in (table or {}).items():
                protocols.setdefault(scope_type, handler)
        for scope_type, connection_class in (
            ("http", self.asgi_http_class),
            ("websocket", self.asgi_websocket_class),
            ("lifespan", self.asgi_lifespan_class),
        ):
            if connection_class is not None:
                protocols[scope_type] = _connection_class_handler(self, connection_class)
        self._protocols = protocols
        entry: Callable[[Scope, Receive, Send], Awaitable[None]] = self._dispatch_scope
        wrapped = False
        for wrappers in hook.erlen_asgi_middleware(app=self):
            for wrap in wrappers or ():
                entry = wrap(entry)
                wrapped = True
        self._asgi_entry = entry
        cls = type(self)
        if (
            not wrapped
            and cls.asgi_app is Erlen.asgi_app
            and cls._dispatch_scope is Erlen._dispatch_scope
            and "asgi_app" not in self.__dict__
        ):
            self._direct_protocols = protocols
        self._frozen = True
        hook.erlen_app_frozen(app=self)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "asgi_app":
            # ``app.asgi_app = Middleware(app.asgi_app)``, even after the first request:
            # from now on __call__ goes through it (this keeps that test off __call__).
            object.__setattr__(self, "_direct_protocols", {})
        object.__setattr__(self, name, value)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        # Straight to the protocol handler (two coroutine layers fewer per request)
        # unless something wraps the entry: a middleware plugin, a subclass, or
        # ``app.asgi_app = Middleware(app.asgi_app)`` (then the table is empty).
        handler = self._direct_protocols.get(scope["type"])
        if handler is not None:
            await handler(scope, receive, send)
        else:
            await self.asgi_app(scope, receive, send)

    async def asgi_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch by ``scope["type"]``; wrap this attribute to add ASGI middleware."""
        entry = self._asgi_entry
        if entry is None:
            self.freeze()
            entry = self._asgi_entry
            assert entry is not None
        await entry(scope, receive, send)

    async def _dispatch_scope(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._protocols.get(scope["type"])
        if handler is None:
            handler = self._resolve_unknown_scope(scope["type"])
        await handler(scope, receive, send)

    def _resolve_unknown_scope(self, scope_type: str) -> ProtocolHandler:
        handler = self.plugin_manager.hook.erlen_unknown_scope(app=self, scope_type=scope_type)
        if handler is None:
            if scope_type == "websocket":
                raise RuntimeError(
                    "ASGI scope type 'websocket' is unknown: the 'websocket' plugin is not"
                    " loaded (check Erlen(plugins=...) / exclude_plugins)"
                )
            raise RuntimeError(f"ASGI scope type {scope_type!r} is unknown")
        self._protocols[scope_type] = handler
        return handler  # type: ignore[no-any-return]

    # --- serving lifecycle ------------------------------------------------------------------

    async def startup(self) -> None:
        """Lifespan startup: plugin startup hooks, ``before_serving``, ``while_serving``."""
        self.freeze()
        self.shutdown_event = self.event_class()
        async with self.app_context():
            for result in self.plugin_manager.hook.erlen_startup(app=self):
                if inspect.isawaitable(result):
                    await result
            for func in self.before_serving_funcs:
                await self.ensure_async(func)()
            self._serving_gens = []
            for gen_func in self.while_serving_gens:
                gen = gen_func()  # type: ignore[operator]
                await gen.__anext__()
                self._serving_gens.append(gen)

    async def shutdown(self) -> None:
        """Lifespan shutdown: wait for background tasks, finish ``while_serving``, run
        ``after_serving``, then the plugins' shutdown hooks."""
        if self.shutdown_event is not None:
            self.shutdown_event.set()
        if self.background_tasks:
            _done, pending = await asyncio.wait(
                set(self.background_tasks),
                timeout=self.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"],
            )
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        async with self.app_context():
            # Quart's order: the while_serving generators finish (last started first),
            # then the after_serving functions run.
            for gen in reversed(getattr(self, "_serving_gens", [])):
                try:
                    await gen.__anext__()
                except StopAsyncIteration:
                    pass
                else:
                    raise RuntimeError("While serving generator didn't terminate")
            for func in self.after_serving_funcs:
                await self.ensure_async(func)()
            impls = self.plugin_manager.hook.erlen_shutdown.get_hookimpls()
            for impl in impls:  # pluggy calls last-registered first; shut down in reverse
                result = impl.function(**{name: self for name in impl.argnames})
                if inspect.isawaitable(result):
                    await result

    # --- serving and testing entry points --------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        use_reloader: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        ca_certs: str | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Serve the app with hypercorn until interrupted (blocking).

        ``use_reloader`` defaults to False (Quart: True): reloading runs the app in a
        worker process, which needs it importable as ``module:name``. With ``loop``, the
        server runs in that event loop (``run_task``) instead of a new one.
        """
        if debug is not None:
            self.debug = debug
        if loop is not None:
            loop.run_until_complete(
                self.run_task(
                    host or "127.0.0.1",
                    port or 5000,
                    ca_certs=ca_certs,
                    certfile=certfile,
                    keyfile=keyfile,
                )
            )
            return
        options = {
            "debug": debug,
            "use_reloader": use_reloader,
            "ca_certs": ca_certs,
            "certfile": certfile,
            "keyfile": keyfile,
            **kwargs,
        }
        self.plugin_manager.hook.erlen_serve(
            app=self, host=host or "127.0.0.1", port=port or 5000, options=options
        )

    def run_task(
        self,
        host: str = "127.0.0.1",
        port: int = 5000,
        debug: bool | None = None,
        ca_certs: str | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        shutdown_trigger: Callable[..., Awaitable[None]] | None = None,
        **kwargs: Any,
    ) -> Awaitable[None]:
        """A coroutine serving the app with hypercorn (for an existing event loop).

        Without ``shutdown_trigger`` it stops on SIGINT/SIGTERM. Also takes
        ``root_path``, ``access_log``, ``graceful_timeout`` and ``config_file``.
        """
        from .serving import TASK_OPTIONS, serve_coroutine

        unknown = sorted(set(kwargs) - TASK_OPTIONS)
        if unknown:
            raise TypeError(f"run_task() got unexpected keyword arguments: {', '.join(unknown)}")
        if debug is not None:
            self.debug = debug
        return serve_coroutine(
            self,
            host,
            port,
            ca_certs=ca_certs,
            certfile=certfile,
            keyfile=keyfile,
            shutdown_trigger=shutdown_trigger,
            **kwargs,
        )

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> Any:
        """A test client for this app (from the testing plugin)."""
        cls = self.test_client_class or self.plugin_manager.hook.erlen_test_client_class(app=self)
        if cls is None:
            raise RuntimeError("app.test_client() needs the 'testing' plugin, which is not loaded")
        return cls(self, use_cookies=use_cookies, **kwargs)

    def test_app(self) -> Any:
        """A wrapper driving lifespan startup/shutdown (``async with app.test_app()``)."""
        cls = self.test_app_class or self.plugin_manager.hook.erlen_test_app_class(app=self)
        if cls is None:
            raise RuntimeError("app.test_app() needs the 'testing' plugin, which is not loaded")
        return cls(self)

    def _configure_cli(self, group: Any) -> None:
        group.name = self.name

    def test_cli_runner(self, **kwargs: Any) -> Any:
        """A click test runner invoking this app's CLI."""
        from .cli import ErlenCliRunner

        cls = self.test_cli_runner_class or ErlenCliRunner
        return cls(self, **kwargs)

    # --- templating facade (the templating plugin provides the implementation) --------

    def _templating(self) -> Any:
        ext = self.extensions.get("erlen.templating")
        if ext is None:
            raise RuntimeError(
                "Templates are not available: the 'templating' plugin is not loaded"
                " (check Erlen(plugins=...) / exclude_plugins)"
            )
        return ext

    @property
    def jinja_env(self) -> Any:
        """The jinja2 environment (templating plugin)."""
        return self._templating().jinja_env

    def create_jinja_environment(self) -> Any:
        """Create the jinja2 environment (templating plugin)."""
        return self._templating().create_jinja_environment()

    def create_global_jinja_loader(self) -> Any:
        """The loader of the app's environment: the app's template folder, then the
        blueprints' (templating plugin)."""
        return self._templating().create_global_jinja_loader()

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether a template is autoescaped: strings and ``.html``, ``.htm``, ``.xml``,
        ``.xhtml`` and ``.svg`` files are."""
        if filename is None:
            return True
        return filename.lower().endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    async def update_template_context(self, context: dict[str, Any]) -> None:
        """Add the context processors' variables to ``context`` (templating plugin)."""
        await self._templating().update_template_context(context)

    @setupmethod
    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Register a jinja2 filter."""

        def decorator(f: F) -> F:
            self.add_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register a jinja2 filter."""
        self.template_registry["filters"][name or f.__name__] = f

    @setupmethod
    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Register a jinja2 test."""

        def decorator(f: F) -> F:
            self.add_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_test(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register a jinja2 test."""
        self.template_registry["tests"][name or f.__name__] = f

    @setupmethod
    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Register a jinja2 global."""

        def decorator(f: F) -> F:
            self.add_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register a jinja2 global."""
        self.template_registry["globals"][name or f.__name__] = f

    @property
    def template_registry(self) -> dict[str, dict[str, Any]]:
        """The jinja2 ``filters``, ``tests`` and ``globals`` registered on the app (by
        name), which the templating plugin applies to its environment."""
        reg = self.__dict__.get("_template_registry_data")
        if reg is None:
            reg = self.__dict__["_template_registry_data"] = defaultdict(dict)
        return reg  # type: ignore[no-any-return]

    # --- static files ---------------------------------------------------------------------

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Cache max age for ``send_file`` (``SEND_FILE_MAX_AGE_DEFAULT``), in seconds."""
        value = self.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    async def send_static_file(self, filename: str) -> Response:
        """Serve ``filename`` from the static folder."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        from .helpers import send_from_directory

        return await send_from_directory(
            self.static_folder,  # type: ignore[arg-type]
            filename,
            max_age=self.get_send_file_max_age(filename),
        )

    async def open_instance_resource(self, path: str, mode: str = "rb") -> AsyncFileOpener:
        """Open ``path``, relative to :attr:`instance_path`, in any mode (``"rb"`` by
        default), as in Quart::

            async with await app.open_instance_resource("state.json", "w") as f:
                await f.write(data)
        """
        return AsyncFileOpener(os.path.join(self.instance_path, path), mode)


def _connection_class_handler(app: Erlen, connection_class: type) -> ProtocolHandler:
    """A protocol handler serving each scope with Quart's connection-class interface."""

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await connection_class(app, scope)(receive, send)

    return handler


def _blueprint_chain(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _subdomain_of(host: str, server_name: str) -> str | None:
    """The subdomain of ``host`` under ``server_name``; None if it is not under it."""
    host = _without_port(host).lower()
    server = _without_port(server_name).lower()
    if host == server:
        return ""
    if host.endswith("." + server):
        return host[: -len(server) - 1]
    return None


def _without_port(host: str) -> str:
    name, sep, port = host.rpartition(":")
    return name if sep and port.isdigit() else host  # "[::1]" keeps its colons


def _find_package(import_name: str) -> tuple[str | None, str]:
    """``(install prefix or None, folder holding the top-level package or module)``."""
    root_name = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(root_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None, os.getcwd()  # __main__ of a script, an interactive session
    if spec.submodule_search_locations:
        if spec.origin in (None, "namespace"):
            package_path = os.path.dirname(list(spec.submodule_search_locations)[0])
        else:
            package_path = os.path.dirname(os.path.dirname(spec.origin))
    elif spec.origin in (None, "built-in", "frozen"):
        return None, os.getcwd()
    else:
        package_path = os.path.dirname(spec.origin)
    package_path = os.path.abspath(package_path)
    prefix = os.path.abspath(sys.prefix)
    try:
        installed = os.path.commonpath([prefix, package_path]) == prefix
    except ValueError:  # different drives (Windows)
        installed = False
    if installed:
        return prefix, package_path
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() == "site-packages":
        lib_parent, lib_folder = os.path.split(site_parent)
        if lib_folder.lower() == "lib":  # Windows: {prefix}/Lib/site-packages
            return lib_parent, package_path
        if os.path.basename(lib_parent).lower() == "lib":  # {prefix}/lib/pythonX.Y/...
            return os.path.dirname(lib_parent), package_path
    return None, package_path


def _debug_from_env() -> bool:
    # Like Quart's get_debug_flag(): the instance's DEBUG is a bool (False when unset),
    # while default_config keeps None.
    for var in ("KERNEL_DEBUG", "ERLEN_DEBUG"):
        value = os.environ.get(var)
        if value:
            return value.lower() not in {"0", "false", "no"}
    return False


_ = _sentinel  # re-exported for blueprints
