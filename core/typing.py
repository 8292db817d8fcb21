"""Types shared by the kernel and plugins: ASGI callables and view return values."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Union

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
RouteCallable = Callable[..., Any]
AfterRequestCallable = Callable[[Any], Any]
BeforeRequestCallable = Callable[[], Any]
TeardownCallable = Callable[[Union[BaseException, None]], Any]
ErrorHandlerCallable = Callable[[Any], Any]
