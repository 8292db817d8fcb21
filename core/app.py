"""The application object: ``Erlen(__name__)``.

It owns the configuration, the URL map, the plugin manager and the registries inherited
from :class:`~erlen.scaffold.Scaffold`. ``Erlen.__call__`` is the ASGI entry point: it
looks the scope type up in a table built once at freeze from ``erlen_protocol_handlers``.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from . import appplugins, lifespan, signals
from .appbase import AppBase, make_timedelta
from .appgroup import AppGroup
from .config import ConfigAttribute
from .ctx import AppContext, RequestContext, WebsocketContext
from .globals import _cv_request, _cv_websocket
from .helpers import send_from_directory
from .json.provider import JSONProvider
from .pipeline import connection, errors, http, steps
from .pipeline.errors import ErrorHandlers
from .pipeline.match import match_request
from .pipeline.plan import STEP_MARK, Pipeline, Plan, plan_for, step
from .pipeline.steps import HttpSteps
from .pluginmanager import BUILTINS_NAME, ErlenPluginManager
from .protocols import protocol_table
from .scaffold import _sentinel, setupmethod
from .sessions import DefaultSessionInterface, SessionInterface, open_session_lazily
from .swappable import PluginClass
from .typing import AppOrBlueprintKey as AppOrBlueprintKey
from .utils import run_sync as run_sync
from .utils import run_sync_iterable as run_sync_iterable
from .wrappers.request import Request
from .wrappers.response import Response

if TYPE_CHECKING:
    from .blueprints import Blueprint
    from .typing import ProtocolHandler, Receive, Scope, Send


def _no_server_message(call: str) -> str:
    return (
        f"{call} needs the 'serving' plugin, which is not loaded (check"
        " Erlen(plugins=...) / exclude_plugins and ERLEN_DISABLE_PLUGINS), or another"
        " plugin implementing erlen_serve; or serve the app with any ASGI server."
    )


class Erlen(AppBase):
    """An ASGI application with Quart's API.

    :param import_name: the app's module name, usually ``__name__``.
    :param plugins: exactly the plugins to load: entry-point names, modules or objects.
        ``None`` (the default) loads the default plugins: the ones Erlen ships (or the
        names in the ``ERLEN_PLUGINS`` environment variable). An installed third-party
        plugin is loaded only when named here, in ``extra_plugins`` or with
        :meth:`register_plugin`.
    :param extra_plugins: plugins to load besides ``plugins`` (or the defaults), e.g.
        ``extra_plugins=["cors"]`` for an installed third-party plugin.
    :param exclude_plugins: entry-point names to leave out (as does the
        ``ERLEN_DISABLE_PLUGINS`` environment variable).
    """

    request_class = Request
    response_class = Response
    #: The classes ``test_client()``, ``test_app()`` and ``test_cli_runner()`` build: the
    #: ones the ``erlen_test_*_class`` hooks give (the testing plugin's; None without
    #: it) unless set on the app or a subclass, as in Quart.
    test_client_class: type[Any] = PluginClass(  # type: ignore[assignment]
        "erlen.testing:ErlenClient", "erlen_test_client_class"
    )
    test_app_class: type[Any] = PluginClass(  # type: ignore[assignment]
        "erlen.testing:TestApp", "erlen_test_app_class"
    )
    test_cli_runner_class: type[Any] = PluginClass(  # type: ignore[assignment]
        "erlen.testing:ErlenCliRunner", "erlen_test_cli_runner_class"
    )
    #: How sessions are opened and saved. Read on the class, Quart's shared cookie
    #: interface; an app gets the one the ``erlen_session_interface`` hook gives (the
    #: ``sessions`` plugin's) unless a subclass sets its own here.
    session_interface: SessionInterface = DefaultSessionInterface()  # type: ignore[assignment]
    event_class = asyncio.Event
    lock_class = asyncio.Lock
    #: The jinja2 environment class: the templating plugin's ``Environment`` unless set.
    jinja_environment: type[Any] = PluginClass(  # type: ignore[assignment]
        "erlen.templating:Environment"
    )
    #: The websocket class: the websocket plugin's :class:`~erlen.Websocket` unless set.
    websocket_class: type[Any] = PluginClass("erlen:Websocket")  # type: ignore[assignment]
    #: The JSON provider class; None means the one the ``erlen_json_provider`` hook picks
    #: (the ``json`` plugin's msgspec provider). Set it in a subclass to use your own; the
    #: instance attribute then names the class of :attr:`json` actually in use.
    json_provider_class: type | None = None
    #: The app's JSON provider (``app.json.dumps(...)``), made when the app is.
    json: JSONProvider
    #: Quart's swappable ASGI connection classes. None (the default) serves the scope
    #: type through the ``erlen_protocol_handlers`` plugins. A class set here is used
    #: as in Quart: ``await cls(app, scope)(receive, send)`` for every scope of its type.
    asgi_http_class: type | None = None
    asgi_websocket_class: type | None = None
    asgi_lifespan_class: type | None = None
    _serving_gens: list[Any]
    #: Whether plugin middleware wraps the entry (a class default: one instance attribute
    #: more would cost every attribute read of the app, see bench/RESULTS.md).
    _wrapped = False
    # On this class (the session interface checks them here to know they are stock).
    secret_key = ConfigAttribute[Any]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta | None](
        "PERMANENT_SESSION_LIFETIME", make_timedelta
    )

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
        extra_plugins: Sequence[str | object] = (),
        exclude_plugins: Iterable[str] = (),
    ) -> None:
        super().__init__(
            import_name,
            static_url_path,
            static_folder,
            host_matching,
            subdomain_matching,
            template_folder,
            instance_path,
            instance_relative_config,
            root_path,
        )
        # Read on every request: an attribute of the app is found faster than one of
        # its class (a subclass's own class value is the one copied).
        self.response_class = self.response_class
        self.cli = AppGroup(self.name)
        self.cli.owner = weakref.ref(self)  # its commands run in this app's context
        self.background_tasks: set[asyncio.Task[Any]] = set()
        self.shutdown_event: asyncio.Event | None = None
        self._protocols: dict[str, ProtocolHandler] = {}
        self._asgi_entry: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None
        # The protocol table ``__call__`` may use directly (set by ``freeze``; empty
        # while something wraps the entry).
        self._direct_protocols: dict[str, ProtocolHandler] = {}

        self.plugin_manager = ErlenPluginManager()
        appplugins.load_app_plugins(self, plugins, exclude_plugins, extra_plugins)

        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise AssertionError("Invalid static_host/host_matching combination")
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=self.send_static_file,
            )
        appplugins.configure(self)

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
        """Register one more plugin on this app (before it serves) and configure it.

        ``plugin`` is a plugin object (a module, a class instance) or the name of an
        installed entry-point plugin: ``app.register_plugin("cors")`` (a no-op when the app
        already has a plugin of that name).
        """
        appplugins.register_plugin(self, plugin, name)

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

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Register ``blueprint`` (options: ``url_prefix``, ``subdomain``, ``name``...)."""
        blueprint.register(self, options)

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
        json: Any = _sentinel,
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
        options = {k: v for k, v in locals().items() if k not in ("self", "path")}
        if json is _sentinel:
            del options["json"]
        ctx = self.plugin_manager.hook.erlen_test_request_context(
            app=self, path=path, options=options
        )
        if ctx is None:
            raise RuntimeError(
                "app.test_request_context() needs the 'testing' plugin, which is not loaded"
            )
        return ctx  # type: ignore[no-any-return]

    #: Open the session of ``connection`` (on first use of ``session``; sync interfaces).
    open_session_for = open_session_lazily

    # --- the pipeline: Quart's methods, each a thin wrapper over its step ------------------
    # An app may override any of them: the compiled pipeline then calls the override in
    # that step's place (erlen.pipeline.steps.Overrides), and the override's super() call
    # runs the step. tests/core/test_pipeline_steps.py covers each.

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

    def _error_handlers(self) -> ErrorHandlers:
        ctx: Any = _cv_request.get(None) or _cv_websocket.get(None)
        return plan_for(self, ctx._connection if ctx is not None else None).errors

    async def handle_http_exception(self, error: HTTPException) -> Any:
        """Answer an HTTP exception with its registered handler, or the exception itself."""
        return await errors.handle_http_exception(self, error, self._error_handlers())

    @step
    async def handle_user_exception(self, error: Exception) -> Any:
        """Route an exception from the view to its handler; re-raise if there is none."""
        return await errors.handle_user_exception(self, error, self._error_handlers())

    @step
    async def handle_exception(self, error: Exception) -> Response:
        """The 500 path: signal, plugins, propagate in testing/debug, else log and answer."""
        ctx = _cv_request.get(None)
        plan = plan_for(self, ctx.request if ctx is not None else None)
        return await steps.handle_exception(self, ctx, plan, self._http_steps(), error)  # type: ignore[no-any-return]

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
        protocol = self.extensions.get("erlen.websocket") or connection.Protocol(
            "websocket", WebsocketContext, tearing_down=signals.websocket_tearing_down
        )
        await connection.teardown(self, ctx, protocol, exc)

    def freeze(self) -> None:
        """Build the dispatch tables; called at the first request or lifespan startup.

        A setup method called after this (a route added once the app serves, as Quart
        0.22 accepts) undoes it (``_thaw``): the next connection freezes again, with
        the change. Connections already running finish with what they started with.
        """
        if self._frozen:
            return
        pm = self.plugin_manager
        hook = pm.hook
        # The pipeline first: protocol handlers are built from it.
        self._pipeline = Pipeline(self)
        self._http = HttpSteps(self, self._pipeline)
        protocols = protocol_table(self)
        self._protocols = protocols
        if self._asgi_entry is None:  # once: middleware keeps its state across freezes
            entry: Callable[[Scope, Receive, Send], Awaitable[None]] = self._dispatch_scope
            for wrappers in hook.erlen_asgi_middleware(app=self):
                for wrap in wrappers or ():
                    entry = wrap(entry)
                    self._wrapped = True
            self._asgi_entry = entry
        cls = type(self)
        if (
            not self._wrapped
            and cls.asgi_app is Erlen.asgi_app
            and cls._dispatch_scope is Erlen._dispatch_scope
            and "asgi_app" not in self.__dict__
        ):
            self._direct_protocols = protocols
        self._frozen = True
        hook.erlen_app_frozen(app=self)

    def _thaw(self) -> None:
        """Setup goes on after serving started: drop what :meth:`freeze` compiled. The
        protocol table is emptied, so the next connection finds no handler and freezes
        again (:meth:`_resolve_unknown_scope`): nothing is checked per request.
        tests/core/test_setup_after_serving.py."""
        self._frozen = False
        self.__dict__.pop("_pipeline", None)
        self.__dict__.pop("_http", None)
        self._protocols = {}
        self._direct_protocols = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "asgi_app":
            # ``app.asgi_app = Middleware(app.asgi_app)``, even after the first request:
            # from now on __call__ goes through it (this keeps that test off __call__).
            object.__setattr__(self, "_direct_protocols", {})
        elif name in _COMPILED_NAMES and self.__dict__.get("_frozen"):
            self._thaw()  # something the pipeline reads at freeze, replaced on the instance
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
        if not self._frozen:  # setup went on after serving started (_thaw)
            self.freeze()
            handler = self._protocols.get(scope_type)
            if handler is not None:
                return handler
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

    async def startup(self) -> None:
        """Lifespan startup: plugin startup hooks, ``before_serving``, ``while_serving``."""
        await lifespan.startup(self)

    async def shutdown(self) -> None:
        """Lifespan shutdown: wait for background tasks, finish ``while_serving``, run
        ``after_serving``, then the plugins' shutdown hooks."""
        await lifespan.shutdown(self)

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
        """Serve the app until interrupted (blocking), with the ``serving`` plugin's
        ``erlen_serve`` (hypercorn).

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
        if not kwargs.get("config_file"):  # with one, None keeps the file's bind
            host = host or "127.0.0.1"
            port = 5000 if port is None else port
        served = self.plugin_manager.hook.erlen_serve(
            app=self, host=host, port=port, options=options
        )
        if served is None:
            raise RuntimeError(_no_server_message("app.run()"))

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
        """A coroutine serving the app (for an existing event loop), from the ``serving``
        plugin's ``erlen_serve_task``.

        Without ``shutdown_trigger`` it stops on SIGINT/SIGTERM. Also takes
        ``root_path``, ``access_log``, ``graceful_timeout`` and ``config_file``.
        """
        task = self.plugin_manager.hook.erlen_serve_task(
            app=self,
            host=host,
            port=port,
            options={
                "ca_certs": ca_certs,
                "certfile": certfile,
                "keyfile": keyfile,
                "shutdown_trigger": shutdown_trigger,
                **kwargs,
            },
        )
        if task is None:
            raise RuntimeError(_no_server_message("app.run_task()"))
        if debug is not None:
            self.debug = debug
        return task  # type: ignore[no-any-return]

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> Any:
        """A test client for this app (from the testing plugin)."""
        client_class = appplugins.testing_class(self, "test_client_class")
        return client_class(self, use_cookies=use_cookies, **kwargs)

    def test_app(self) -> Any:
        """A wrapper driving lifespan startup/shutdown (``async with app.test_app()``)."""
        return appplugins.testing_class(self, "test_app_class")(self)

    def test_cli_runner(self, **kwargs: Any) -> Any:
        """A click test runner invoking this app's CLI (from the testing plugin)."""
        return appplugins.testing_class(self, "test_cli_runner_class")(self, **kwargs)

    async def send_static_file(self, filename: str) -> Response:
        """Serve ``filename`` from the static folder."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        return await send_from_directory(
            self.static_folder,  # type: ignore[arg-type]
            filename,
            max_age=self.get_send_file_max_age(filename),
        )


_ = _sentinel  # re-exported for blueprints

_COMPILED_NAMES = frozenset(
    (
        *(name for name, value in vars(Erlen).items() if getattr(value, STEP_MARK, False)),
        "create_url_adapter",
        "request_class",
        "websocket_class",
        "session_interface",
    )
)
