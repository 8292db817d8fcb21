"""The protocol-independent half of the application: configuration, routing, URL
building and the registries (Flask's ``sansio`` split: no request handling, no I/O).

:class:`~erlen.Erlen` builds on :class:`AppBase` with the plugins, the request pipeline
and the ASGI entry point. Nothing here reads a connection but through the context
variables (``url_for`` in a request builds URLs relative to it).
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
from collections import defaultdict
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from werkzeug.datastructures import ImmutableDict
from werkzeug.exceptions import Aborter, BadRequestKeyError, NotFound
from werkzeug.routing import BuildError, Map, MapAdapter, Rule
from werkzeug.urls import quote as _url_quote

from .asyncfile import ResourceOpener
from .config import DEFAULT_CONFIG, Config, ConfigAttribute
from .ctx import _AppCtxGlobals
from .globals import _cv_app, _cv_request, _cv_websocket, g
from .helpers import _redirect_response, find_package, get_debug_flag
from .logging import create_logger, printable
from .routing import INVALID_SUBDOMAIN, ErlenMap, ErlenRule, subdomain_of, warn_foreign_host
from .scaffold import Scaffold, endpoint_from_view_func, setupmethod
from .utils import run_sync
from .wrappers.response import Response

if TYPE_CHECKING:
    from .blueprints import Blueprint

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def make_timedelta(value: timedelta | int | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


def _blueprint_chain(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


class AppBase(Scaffold):
    """Configuration, URL map and registries of an app (see :class:`~erlen.Erlen`)."""

    aborter_class = Aborter
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    response_class = Response
    url_map_class: type[Map] = ErlenMap
    url_rule_class: type[Rule] = ErlenRule
    jinja_options: dict[str, Any] = {}

    testing = ConfigAttribute[bool]("TESTING")

    default_config = ImmutableDict(DEFAULT_CONFIG)

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
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
        self.aborter = self.make_aborter()
        self.extensions: dict[str, Any] = {}
        self.blueprints: dict[str, Blueprint] = {}
        self.url_build_error_handlers: list[Callable[..., Any]] = []
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []
        self.before_serving_funcs: list[Callable[..., Any]] = []
        self.after_serving_funcs: list[Callable[..., Any]] = []
        self.while_serving_gens: list[AsyncGenerator[Any, None]] = []
        self.subdomain_matching = subdomain_matching
        self.url_map = self.url_map_class(host_matching=host_matching)
        #: URL-building adapters shared by connections (``_url_builder``), bounded.
        self._url_builders: dict[tuple[str, ...], MapAdapter] = {}
        self._frozen = False

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
        prefix, package_path = find_package(self.import_name)
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
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    @property
    def debug(self) -> bool:
        """``config["DEBUG"]``."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value

    @functools.cached_property
    def logger(self) -> logging.Logger:
        """The ``logging`` logger named after the app (:func:`erlen.logging.create_logger`).

        Configured once, at the first access, as in Flask and Quart: its level follows
        ``debug`` as it is then, and a handler the app removes afterwards (the
        ``default_handler``) stays removed.
        """
        return create_logger(self)

    @property
    def frozen(self) -> bool:
        """Whether the app has frozen (first request or lifespan startup): its routes,
        hooks and plugins are final."""
        return self._frozen

    def _check_setup_finished(self, f_name: str) -> None:
        if self._frozen:  # setup after serving started: accepted, as Quart 0.22 does
            self._thaw()

    def _thaw(self) -> None:
        """Undo :meth:`freeze` so that setup may go on (the app compiles again at its
        next connection). The app class defines it."""

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
        try:
            self.url_map.add(rule_obj)
        except LookupError as exc:  # werkzeug: "the converter 'integer' does not exist"
            known = ", ".join(sorted(self.url_map.converters))
            raise LookupError(
                f"{exc} (in the rule {rule!r}). The converters are: {known}; add one to"
                " app.url_map.converters to use another name."
            ) from None
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing"
                    f" endpoint function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func

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

    def _binding(self, request: Any) -> tuple[str, str, str, str]:
        """``(server_name, script_name, subdomain, url_scheme)`` of the adapter bound to
        ``request``; reading the host raises 400 for a ``Host`` outside
        ``TRUSTED_HOSTS``."""
        config = self.config
        trusted = config["TRUSTED_HOSTS"]
        if trusted is not None:
            request.trusted_hosts = trusted
        host = request.host
        subdomain = None
        server_name = config["SERVER_NAME"] or host
        if self.url_map.host_matching:
            # Rules are matched against the request's host, even with SERVER_NAME set
            # (Flask 3.1; Quart matches SERVER_NAME): tests/core/test_host_routing.py.
            server_name = host
        elif not self.subdomain_matching and self.url_map.default_subdomain:
            subdomain = self.url_map.default_subdomain
        elif config["SERVER_NAME"]:
            # Quart's rule, whatever subdomain_matching says: the subdomain is what
            # the host has before SERVER_NAME (ErlenMap.bind_to_request).
            subdomain = subdomain_of(host, server_name, request.scheme)
            if subdomain is None:
                warn_foreign_host(host, server_name)
                # werkzeug's "<invalid>" subdomain is meant to 404 but would match a
                # "<user>" wildcard rule, so the request is refused here (dispatch
                # raises it; Quart serves the wildcard rule).
                request.routing_exception = NotFound()
                subdomain = INVALID_SUBDOMAIN
        return (
            server_name.lower(),
            request.root_path or "/",
            subdomain if subdomain is not None else "",
            request.scheme,
        )

    def _bind_adapter(self, request: Any) -> MapAdapter:
        server_name, script_name, subdomain, url_scheme = self._binding(request)
        adapter = MapAdapter(
            self.url_map,
            server_name,
            script_name,
            subdomain,
            url_scheme,
            request.path,
            request.method,
            request.query_string.decode("latin-1") if request.query_string else None,
        )
        request._url_adapter = adapter
        return adapter

    def _url_builder(self, connection: Any) -> MapAdapter:
        """An adapter building URLs relative to ``connection``: the one bound to it if
        any, else one shared by the connections with the same binding and method.

        Building reads only the map and the binding (server name, script name,
        subdomain, scheme) and the default method, never the path or the query
        (werkzeug's ``MapAdapter.build``), so a shared adapter builds what one bound to
        the connection builds. An app overriding ``create_url_adapter`` gets its own
        method's adapter. tests/core/test_url_for.py pins both."""
        adapter = getattr(connection, "_url_adapter", None)
        if adapter is not None:
            return adapter  # type: ignore[no-any-return]
        if "create_url_adapter" in self.__dict__ or (
            type(self).create_url_adapter is not AppBase.create_url_adapter
        ):
            return self.create_url_adapter(connection)  # type: ignore[return-value]
        key = (*self._binding(connection), connection.method)
        builders = self._url_builders
        adapter = builders.get(key)
        if adapter is None or adapter.map is not self.url_map:
            adapter = MapAdapter(self.url_map, *key[:4], "/", key[4], None)
            if len(builders) >= 256:
                builders.clear()
            builders[key] = adapter
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
        url_adapter: MapAdapter | None
        if conn_ctx is not None:
            connection = conn_ctx._connection
            url_adapter = self._url_builder(connection)
            if endpoint[:1] == ".":
                blueprint_name = connection.blueprint
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
        return _redirect_response(self.response_class, location, code)

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
        code after it at shutdown.

        A plain generator function or an ``async def`` without ``yield`` is refused here
        with a ``TypeError`` saying so; it failed at startup with ``'generator' object has
        no attribute '__anext__'`` (Quart's message too).
        """
        kind = None
        if inspect.isgeneratorfunction(func):
            kind = "a generator function (def with yield)"
        elif inspect.iscoroutinefunction(func):
            kind = "an async function without yield"
        if kind is not None:
            name = getattr(func, "__qualname__", repr(func))
            short = getattr(func, "__name__", "lifespan")
            raise TypeError(
                f"while_serving needs an async generator function (async def with one"
                f" yield), but {name!r} is {kind}: write 'async def {short}():' with the"
                " startup code before its 'yield' and the shutdown code after it."
            )
        self.while_serving_gens.append(func)  # type: ignore[arg-type]
        return func

    def make_shell_context(self) -> dict[str, Any]:
        """The namespace of ``kernel shell``: ``app``, ``g`` and processor results."""
        rv: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    def ensure_async(self, func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        """Return ``func`` if it is async, else a wrapper running it in a thread."""
        # An ``async def`` function or a method of one (MethodView's handlers, called per
        # request): its code says so, and inspect.iscoroutinefunction would say the same
        # after its unwrapping. Anything else takes the full checks below.
        # tests/core/test_views.py (async and sync handlers of a MethodView).
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if code is not None and code.co_flags & inspect.CO_COROUTINE:
            return func
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

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether a template is autoescaped: strings and ``.html``, ``.htm``, ``.xml``,
        ``.xhtml`` and ``.svg`` files are."""
        if filename is None:
            return True
        return filename.lower().endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

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

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Cache max age for ``send_file`` (``SEND_FILE_MAX_AGE_DEFAULT``), in seconds."""
        value = self.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    # --- errors, templating facade, instance files -------------------------------------

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP exception is raised like any other error (a debugging aid:
        ``TRAP_HTTP_EXCEPTIONS``, ``TRAP_BAD_REQUEST_ERRORS``)."""
        config = self.config
        if config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequestKeyError) or getattr(e, "code", None) == 400
        return False

    def should_propagate(self) -> bool:
        """Whether unhandled errors are re-raised (``PROPAGATE_EXCEPTIONS``, or testing/debug)."""
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is not None:
            return bool(propagate)
        return bool(self.testing or self.debug)

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

    async def update_template_context(self, context: dict[str, Any]) -> None:
        """Add the context processors' variables to ``context`` (templating plugin)."""
        await self._templating().update_template_context(context)

    def open_instance_resource(self, path: str, mode: str = "rb") -> ResourceOpener:
        """Open ``path``, relative to :attr:`instance_path`, in any mode (``"rb"`` by
        default), as in Quart::

            async with await app.open_instance_resource("state.json", "w") as f:
                await f.write(data)

        or as in Flask, a plain file: ``with app.open_instance_resource(path) as f:``
        (see :meth:`open_resource`).
        """
        return ResourceOpener(os.path.join(self.instance_path, path), mode)

    async def make_default_options_response(self) -> Response:
        """The automatic ``OPTIONS`` answer: an empty 200 with ``Allow``."""
        adapter = self.create_url_adapter(_cv_request.get().request)
        rv = self.response_class("")  # an empty body with its length, as Quart's
        rv.allow.update(adapter.allowed_methods())  # type: ignore[union-attr]
        return rv

    def log_exception(self, exception_info: Any) -> None:
        """Log an unhandled exception once, naming the request or websocket."""
        ctx: Any = _cv_request.get(None)
        if ctx is not None:
            where = f"request {printable(ctx.request.method)} {printable(ctx.request.path)}"
        else:
            ws_ctx: Any = _cv_websocket.get(None)
            where = f"websocket {printable(ws_ctx.websocket.path)}" if ws_ctx else "background task"
        self.logger.error(f"Exception on {where}", exc_info=exception_info)
