"""Types shared by the kernel and plugins: ASGI callables, view return values, and the
callable and protocol types of Quart's ``quart.typing`` (for annotating user code)."""

from __future__ import annotations

import os
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    MutableMapping,
)
from contextlib import AbstractAsyncContextManager
from http.cookiejar import CookieJar
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Protocol, TypeVar, Union

if TYPE_CHECKING:
    from hypercorn.typing import ASGIReceiveCallable as ASGIReceiveCallable
    from hypercorn.typing import ASGISendCallable as ASGISendCallable
    from hypercorn.typing import HTTPScope as HTTPScope
    from hypercorn.typing import LifespanScope as LifespanScope
    from hypercorn.typing import WebsocketScope as WebsocketScope
    from werkzeug.datastructures import Headers
    from werkzeug.wrappers import Response as WerkzeugResponse

    from .app import Erlen
    from .sessions import SessionMixin
    from .wrappers.response import Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: A protocol handler serves one ASGI connection of one scope type for an app.
ProtocolHandler = Callable[[Scope, Receive, Send], Awaitable[None]]

StatusCode = int
HeaderValue = Union[str, list[str], tuple[str, ...]]
HeadersValue = Union["Headers", Mapping[str, HeaderValue], Iterable[tuple[str, HeaderValue]]]
ResponseValue = Union[
    "Response",
    str,
    bytes,
    dict[str, Any],
    list[Any],
    AsyncIterable[bytes],
    AsyncIterable[str],
    Iterable[bytes],
    Iterable[str],
]
ResponseReturnValue = Union[
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, StatusCode],
    tuple[ResponseValue, StatusCode, HeadersValue],
]
#: A view: sync or async, returning what :meth:`~erlen.Erlen.make_response` accepts. A
#: decorator typed with it makes mypy reject a view returning ``None`` or an ``int``, as
#: Flask's and Quart's types do.
RouteCallable = Union[
    Callable[..., ResponseReturnValue], Callable[..., Awaitable[ResponseReturnValue]]
]
#: A websocket handler: returns nothing, or a response to refuse the handshake.
WebsocketCallable = Callable[..., Awaitable[Optional[ResponseReturnValue]]]
#: A ``before_request`` function: ``None`` to go on, or a response to stop with.
BeforeRequestCallable = Union[
    Callable[[], Optional[ResponseReturnValue]],
    Callable[[], Awaitable[Optional[ResponseReturnValue]]],
]
BeforeWebsocketCallable = BeforeRequestCallable
#: An ``after_request`` function: takes the response and returns it (or another).
AfterRequestCallable = Union[Callable[[Any], Any], Callable[[Any], Awaitable[Any]]]
AfterWebsocketCallable = AfterRequestCallable
#: A ``teardown_request`` function: takes the exception (or ``None``).
TeardownCallable = Union[
    Callable[[Optional[BaseException]], Any], Callable[[Optional[BaseException]], Awaitable[Any]]
]
#: An error handler: takes the error and returns a response value.
ErrorHandlerCallable = Union[
    Callable[[Any], ResponseReturnValue], Callable[[Any], Awaitable[ResponseReturnValue]]
]

#: A file system path, as ``send_file`` and ``static_folder`` take it.
FilePath = Union[bytes, str, "os.PathLike[str]"]
#: A response a view function or an ``after_request`` function may hand on.
ResponseTypes = Union["Response", "WerkzeugResponse"]
#: The key of the app's registries: ``None`` for the app, a blueprint's name otherwise.
AppOrBlueprintKey = Optional[str]
HeaderName = str
#: ``before_serving`` / ``after_serving`` functions: no arguments, sync or async.
BeforeServingCallable = Union[Callable[[], None], Callable[[], Awaitable[None]]]
AfterServingCallable = Union[Callable[[], None], Callable[[], Awaitable[None]]]
#: A ``while_serving`` function: an async generator that yields once.
WhileServingCallable = Callable[[], AsyncGenerator[None, None]]
ShellContextProcessorCallable = Callable[[], dict[str, Any]]
TemplateContextProcessorCallable = Union[
    Callable[[], dict[str, Any]], Callable[[], Awaitable[dict[str, Any]]]
]
TemplateFilterCallable = Callable[[Any], Any]
TemplateGlobalCallable = Callable[[Any], Any]
TemplateTestCallable = Callable[[Any], bool]
#: A ``url_defaults`` function: ``(endpoint, values)``, changes ``values`` in place.
URLDefaultCallable = Callable[[str, dict[str, Any]], None]
#: A ``url_value_preprocessor``: ``(endpoint, view_args)``, changes them in place.
URLValuePreprocessorCallable = Callable[[Optional[str], Optional[dict[str, Any]]], None]


class Event(Protocol):
    """What ``app.run()``'s shutdown event offers (``asyncio.Event`` has it)."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...


class ASGIHTTPProtocol(Protocol):
    """A class for ``app.asgi_http_class``: built per HTTP connection, then called."""

    def __init__(self, app: Erlen, scope: Scope) -> None: ...

    async def __call__(self, receive: Receive, send: Send) -> None: ...


class ASGIWebsocketProtocol(Protocol):
    """A class for ``app.asgi_websocket_class``: built per websocket, then called."""

    def __init__(self, app: Erlen, scope: Scope) -> None: ...

    async def __call__(self, receive: Receive, send: Send) -> None: ...


class ASGILifespanProtocol(Protocol):
    """A class for ``app.asgi_lifespan_class``: built for the lifespan scope, then called."""

    def __init__(self, app: Erlen, scope: Scope) -> None: ...

    async def __call__(self, receive: Receive, send: Send) -> None: ...


class TestHTTPConnectionProtocol(Protocol):
    """What ``client.request(...)`` returns: an HTTP exchange driven step by step."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    push_promises: list[tuple[str, Headers]]

    async def send(self, data: bytes) -> None: ...

    async def send_complete(self) -> None: ...

    async def receive(self) -> bytes: ...

    async def disconnect(self) -> None: ...

    async def __aenter__(self) -> TestHTTPConnectionProtocol: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def as_response(self) -> Response: ...


class TestWebsocketConnectionProtocol(Protocol):
    """What ``client.websocket(...)`` returns (used with ``async with``)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    async def __aenter__(self) -> TestWebsocketConnectionProtocol: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def receive(self) -> str | bytes: ...

    async def send(self, data: str | bytes) -> None: ...

    async def receive_json(self) -> Any: ...

    async def send_json(self, data: Any) -> None: ...

    async def close(self, code: int) -> None: ...

    async def disconnect(self) -> None: ...


class TestClientProtocol(Protocol):
    """A class for ``app.test_client_class``: the methods tests call on a client."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    app: Erlen
    cookie_jar: CookieJar | None
    push_promises: list[tuple[str, Headers]]

    async def open(self, path: str, *args: Any, **kwargs: Any) -> Response: ...

    def request(self, path: str, *args: Any, **kwargs: Any) -> TestHTTPConnectionProtocol: ...

    def websocket(
        self, path: str, *args: Any, **kwargs: Any
    ) -> TestWebsocketConnectionProtocol: ...

    async def delete(self, *args: Any, **kwargs: Any) -> Response: ...

    async def get(self, *args: Any, **kwargs: Any) -> Response: ...

    async def head(self, *args: Any, **kwargs: Any) -> Response: ...

    async def options(self, *args: Any, **kwargs: Any) -> Response: ...

    async def patch(self, *args: Any, **kwargs: Any) -> Response: ...

    async def post(self, *args: Any, **kwargs: Any) -> Response: ...

    async def put(self, *args: Any, **kwargs: Any) -> Response: ...

    async def trace(self, *args: Any, **kwargs: Any) -> Response: ...

    def set_cookie(
        self, server_name: str | None, key: str, value: str = "", **kwargs: Any
    ) -> None: ...

    def delete_cookie(self, server_name: str | None, key: str, **kwargs: Any) -> None: ...

    def session_transaction(
        self, path: str = "/", **kwargs: Any
    ) -> AbstractAsyncContextManager[SessionMixin]: ...

    async def __aenter__(self) -> TestClientProtocol: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class TestAppProtocol(Protocol):
    """A class for ``app.test_app_class``: runs the app's lifespan around tests."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    def test_client(self) -> TestClientProtocol: ...

    async def startup(self) -> None: ...

    async def shutdown(self) -> None: ...

    async def __aenter__(self) -> TestAppProtocol: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


#: hypercorn's ASGI types, which Quart's ``quart.typing`` hands on (``HTTPScope``...):
#: imported on first use, as hypercorn's typing module pulls in h11 and h2.
_HYPERCORN_TYPES = frozenset(
    ("ASGIReceiveCallable", "ASGISendCallable", "HTTPScope", "LifespanScope", "WebsocketScope")
)


def __getattr__(name: str) -> Any:
    if name in _HYPERCORN_TYPES:
        import hypercorn.typing

        value = getattr(hypercorn.typing, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


T_route = TypeVar("T_route", bound=RouteCallable)
T_websocket = TypeVar("T_websocket", bound=WebsocketCallable)
T_before_request = TypeVar("T_before_request", bound=BeforeRequestCallable)
T_after_request = TypeVar("T_after_request", bound=AfterRequestCallable)
T_teardown = TypeVar("T_teardown", bound=TeardownCallable)
T_error_handler = TypeVar("T_error_handler", bound=ErrorHandlerCallable)
