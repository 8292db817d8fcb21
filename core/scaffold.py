"""Registries and decorators shared by :class:`~erlen.Erlen` and :class:`~erlen.Blueprint`.

This module does no I/O: it only records what the app should do. The app compiles these
registries into per-endpoint call chains when it starts serving.
"""

from __future__ import annotations

import functools
import os
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.utils import cached_property

from .asyncfile import ResourceOpener
from .helpers import get_root_path as get_root_path
from .typing import (
    T_after_request,
    T_before_request,
    T_error_handler,
    T_route,
    T_teardown,
    T_websocket,
)

if TYPE_CHECKING:
    from jinja2 import BaseLoader

    from .appgroup import AppGroup

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_sentinel = object()


def setupmethod(f: F) -> F:
    """Mark a method that may only run before the app starts serving."""
    name = f.__name__

    @functools.wraps(f)
    def wrapper(self: Scaffold, *args: Any, **kwargs: Any) -> Any:
        self._check_setup_finished(name)
        return f(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Scaffold:
    """Route and lifecycle registration common to apps and blueprints."""

    name: str
    #: The click group of the app's or blueprint's commands: the app and blueprint
    #: classes build it (this protocol-independent half only declares it).
    cli: AppGroup
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder  # type: ignore[assignment]
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.root_path = root_path if root_path is not None else get_root_path(import_name)
        self.view_functions: dict[str, Callable[..., Any]] = {}
        self.error_handler_spec: dict[
            str | None, dict[int | None, dict[type[BaseException], Callable[..., Any]]]
        ] = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.after_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.teardown_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.template_context_processors: dict[str | None, list[Callable[..., Any]]] = defaultdict(
            list
        )
        self.url_value_preprocessors: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.url_default_functions: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.before_websocket_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.after_websocket_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.teardown_websocket_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(
            list
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    # --- static folder ------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, if one is set."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is set."""
        return self._static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix the static folder is served under."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self._static_folder is not None:
            basename = os.path.basename(self._static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """A jinja2 loader for :attr:`template_folder` (None without one). The templating
        plugin searches it; override it to load this app's or blueprint's templates
        from elsewhere."""
        if self.template_folder is None:
            return None
        from jinja2 import FileSystemLoader

        return FileSystemLoader(os.path.join(self.root_path, os.fspath(self.template_folder)))

    def open_resource(self, path: str, mode: str = "rb") -> ResourceOpener:
        """Open ``path``, relative to :attr:`root_path`, for reading: ``"rb"``
        (default), ``"r"`` or ``"rt"``. Quart's spelling (async reads in a thread)::

            async with await app.open_resource("schema.sql") as f:
                data = await f.read()

        and Flask's (a plain file, blocking reads: for commands and start-up)::

            with app.open_resource("schema.sql") as f:
                data = f.read()
        """
        if mode not in {"r", "rb", "rt"}:
            raise ValueError("Resources can only be opened for reading.")
        return ResourceOpener(os.path.join(self.root_path, path), mode)

    # --- routes -------------------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register a URL rule; see :meth:`route`."""
        raise NotImplementedError

    def _method_route(
        self, method: str, rule: str, options: dict[str, Any]
    ) -> Callable[[T_route], T_route]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def route(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """Decorate a view function to serve ``rule`` (werkzeug rule syntax).

        Options are werkzeug ``Rule`` options plus ``endpoint``, ``methods`` and
        ``provide_automatic_options``.
        """

        def decorator(f: T_route) -> T_route:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    def get(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def websocket(self, rule: str, **options: Any) -> Callable[[T_websocket], T_websocket]:
        """Decorate a handler to serve websocket connections to ``rule``."""

        def decorator(f: T_websocket) -> T_websocket:
            endpoint = options.pop("endpoint", None)
            self.add_websocket(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_websocket(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        """Register a websocket handler for ``rule`` (like ``add_url_rule``)."""
        self.add_url_rule(
            rule,
            endpoint,
            view_func,
            provide_automatic_options=False,
            methods={"GET"},
            websocket=True,
            **options,
        )

    @setupmethod
    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Decorate a view function to serve an endpoint added with ``add_url_rule``."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # --- lifecycle functions ------------------------------------------------------

    @setupmethod
    def before_request(self, f: T_before_request) -> T_before_request:
        """Run ``f()`` before each request; a non-None return value is the response."""
        self.before_request_funcs.setdefault(None, []).append(f)  # type: ignore[arg-type]
        return f

    @setupmethod
    def after_request(self, f: T_after_request) -> T_after_request:
        """Run ``f(response)`` after each request; it returns the (new) response."""
        self.after_request_funcs.setdefault(None, []).append(f)  # type: ignore[arg-type]
        return f

    @setupmethod
    def teardown_request(self, f: T_teardown) -> T_teardown:
        """Run ``f(exc)`` when the request context is popped, whatever happened."""
        self.teardown_request_funcs.setdefault(None, []).append(f)  # type: ignore[arg-type]
        return f

    @setupmethod
    def before_websocket(self, func: T_before_request) -> T_before_request:
        """Run ``func()`` before each websocket handler; a non-None return rejects it."""
        self.before_websocket_funcs.setdefault(None, []).append(func)  # type: ignore[arg-type]
        return func

    @setupmethod
    def after_websocket(self, func: T_after_request) -> T_after_request:
        """Run ``func(response)`` after each websocket handler."""
        self.after_websocket_funcs.setdefault(None, []).append(func)  # type: ignore[arg-type]
        return func

    @setupmethod
    def teardown_websocket(self, func: T_teardown) -> T_teardown:
        """Run ``func(exc)`` when the websocket context is popped."""
        self.teardown_websocket_funcs.setdefault(None, []).append(func)  # type: ignore[arg-type]
        return func

    @setupmethod
    def context_processor(self, f: T) -> T:
        """Register ``f() -> dict`` adding variables to every template context."""
        self.template_context_processors[None].append(f)  # type: ignore[arg-type]
        return f

    @setupmethod
    def url_value_preprocessor(self, f: T) -> T:
        """Run ``f(endpoint, values)`` on the matched URL values before the view."""
        self.url_value_preprocessors[None].append(f)  # type: ignore[arg-type]
        return f

    @setupmethod
    def url_defaults(self, f: T) -> T:
        """Run ``f(endpoint, values)`` when building URLs, to fill in default values."""
        self.url_default_functions[None].append(f)  # type: ignore[arg-type]
        return f

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[BaseException] | int
    ) -> Callable[[T_error_handler], T_error_handler]:
        """Decorate ``f(error)`` to handle an HTTP status code or exception class."""

        def decorator(f: T_error_handler) -> T_error_handler:
            self.register_error_handler(code_or_exception, f)  # type: ignore[arg-type]
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, f: Callable[..., Any]
    ) -> None:
        """Register ``f(error)`` for an HTTP status code or exception class."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[BaseException] | int,
    ) -> tuple[type[BaseException], int | None]:
        exc_class: type[BaseException]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a"
                    " subclass of HTTPException with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, BaseException):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers can only be"
                " registered for Exception classes or HTTP error codes."
            )
        if not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{exc_class.__name__}' is not a subclass of Exception. Handlers can only"
                " be registered for Exception classes or HTTP error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None


def endpoint_from_view_func(view_func: Callable[..., Any]) -> str:
    """The default endpoint name for a view function: its ``__name__``."""
    assert view_func is not None, "expected view func if endpoint is not provided."
    return view_func.__name__
