"""Types shared by the kernel and plugins: ASGI callables and view return values."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union

if TYPE_CHECKING:
    from werkzeug.datastructures import Headers

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

T_route = TypeVar("T_route", bound=RouteCallable)
T_websocket = TypeVar("T_websocket", bound=WebsocketCallable)
T_before_request = TypeVar("T_before_request", bound=BeforeRequestCallable)
T_after_request = TypeVar("T_after_request", bound=AfterRequestCallable)
T_teardown = TypeVar("T_teardown", bound=TeardownCallable)
T_error_handler = TypeVar("T_error_handler", bound=ErrorHandlerCallable)

#: The ASGI scope of an HTTP request / a websocket connection (Quart's names; Erlen
#: types every scope as :data:`Scope`).
HTTPScope = Scope
WebsocketScope = Scope
