"""The test client's websocket connection, and the exceptions it raises.

``async with client.websocket("/ws") as ws:`` runs the app's ASGI ``websocket`` handler
in a task of the test's event loop and plays the server and the client at once:
``ws.send``/``ws.receive`` exchange messages with the handler, and leaving the block
disconnects (code 1000) and waits for the handler to finish (the websocket plugin cancels
a handler that awaits something other than ``receive()``, as behind a real server, so
that is at once). Every wait is bounded by ``timeout`` seconds (5 by default), so a
handler that hangs, or swallows its cancellation, fails the test quickly.

How outcomes surface:

- the handler answered the handshake with an HTTP response (``return "No", 401``,
  ``abort(401)``): the first ``receive()`` raises :class:`WebsocketResponseError`, whose
  ``.response`` has ``status_code`` and ``await get_data()`` (as Quart's client does:
  entering the block works, ``send()`` goes nowhere, and leaving the block raises it if
  no ``receive()`` did);
- it closed before accepting: a real server answers HTTP 403, so the same places raise
  :class:`WebsocketClosedBeforeAcceptError`, both a ``WebsocketResponseError``
  (status 403) and a :class:`WebsocketDisconnectError` (the ``code`` and ``reason``
  the handler gave);
- it closed after accepting: ``receive()`` raises :class:`WebsocketDisconnectError` with
  ``code`` and ``reason``;
- it raised an exception that propagates (testing/debug mode): the exception is raised
  by ``receive()`` or when leaving the block.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from erlen.json import dumps as json_dumps
from werkzeug.datastructures import Headers


class WebsocketResponseError(Exception):
    """The app answered the websocket handshake with an HTTP response (``.response``)."""

    def __init__(self, response: Any) -> None:
        super().__init__(response)
        self.response = response

    def __str__(self) -> str:
        status = getattr(self.response, "status", None)
        return f"The websocket handshake was rejected with HTTP {status}"


class WebsocketDisconnectError(Exception):
    """The app closed the websocket (``.code``, ``.reason``)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        # args is (code,) as in Quart, whose tests read ``error.args[0]`` or compare args.
        super().__init__(code)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"The websocket was closed with code {self.code}" + (
            f": {self.reason}" if self.reason else ""
        )


class WebsocketClosedBeforeAcceptError(WebsocketResponseError, WebsocketDisconnectError):
    """The app closed the websocket before accepting it: a server answers HTTP 403.

    ``.response`` is that 403; ``.code`` and ``.reason`` are what the handler passed to
    ``close()`` (a browser never sees them, but a test may assert them).
    """

    def __init__(self, response: Any, code: int, reason: str) -> None:
        WebsocketResponseError.__init__(self, response)
        self.code = code
        self.reason = reason
        self.args = (response, code, reason)

    def __str__(self) -> str:
        return (
            f"The websocket was closed (code {self.code}) before it was accepted:"
            " the server answers HTTP 403"
        )


_END = ("end",)


class TestWebsocketConnection:
    """One websocket connection of the test client to the app (an async context manager)."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        client: Any,
        path: str,
        *,
        headers: Any = None,
        query_string: Any = None,
        scheme: str = "ws",
        subprotocols: list[str] | None = None,
        root_path: str = "",
        http_version: str = "1.1",
        scope_base: dict[str, Any] | None = None,
        auth: Any = None,
        subdomain: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.client = client
        self.app = client.app
        self.path = path
        self.timeout = timeout
        self._options = {
            "headers": headers,
            "query_string": query_string,
            "scheme": scheme,
            "subprotocols": list(subprotocols or ()),
            "root_path": root_path,
            "http_version": http_version,
            "scope_base": scope_base,
            "auth": auth,
            "subdomain": subdomain,
        }
        #: Whether the app accepted the connection.
        self.accepted = False
        #: The subprotocol the app chose, if any.
        self.subprotocol: str | None = None
        #: The headers the app sent with the accept (or with its HTTP response).
        self.headers: Headers | None = None
        #: The status of the app's HTTP response to the handshake, if it sent one.
        self.status_code: int | None = None
        #: The body of that response.
        self.response_data: bytes = b""
        #: The code and reason of the app's close, once it closed.
        self.close_code: int | None = None
        self.close_reason: str = ""
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._handshake: asyncio.Future[None] | None = None
        self._rejection: WebsocketResponseError | None = None
        self._rejection_seen = False  # raised to the test once (by receive or the exit)
        self._closed_error: WebsocketDisconnectError | None = None
        self._body: list[bytes] = []
        self._disconnect_sent = False

    # --- the ASGI side ----------------------------------------------------------------

    def _make_scope(self) -> dict[str, Any]:
        from erlen.plugins.testing.testrequest import make_test_headers_path_and_query_string

        opts = self._options
        headers, path, query_bytes = make_test_headers_path_and_query_string(
            self.app,
            self.path,
            opts["headers"],
            opts["query_string"],
            opts["auth"],
            opts["subdomain"],
        )
        headers.setdefault("Connection", "Upgrade")
        headers.setdefault("Upgrade", "websocket")
        headers.setdefault("Sec-WebSocket-Version", "13")
        if opts["subprotocols"]:
            headers.setdefault("Sec-WebSocket-Protocol", ", ".join(opts["subprotocols"]))
        scope, _url = self.client._scope_with_cookies(
            "websocket",
            "GET",
            headers,
            path,
            query_bytes,
            opts["scheme"],
            opts["root_path"],
            opts["http_version"],
            opts["scope_base"],
        )
        scope.setdefault("subprotocols", opts["subprotocols"])
        return scope

    async def _asgi_receive(self) -> dict[str, Any]:
        return await self._to_app.get()

    async def _asgi_send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.send":
            text = message.get("text")
            self._from_app.put_nowait(("data", text if text is not None else message.get("bytes")))
        elif kind == "websocket.accept":
            self.accepted = True
            self.subprotocol = message.get("subprotocol")
            self.headers = _decode_headers(message.get("headers", ()))
            self._handshake_done()
        elif kind == "websocket.close":
            code = int(message.get("code", 1000))
            reason = message.get("reason") or ""
            self.close_code, self.close_reason = code, reason
            if not self.accepted:
                response = self.app.response_class(b"", 403)
                self._reject(WebsocketClosedBeforeAcceptError(response, code, reason))
            else:
                self._from_app.put_nowait(("close", code, reason))
            # The peer answers the close; the app's pending receive() ends.
            self._disconnect(code)
        elif kind == "websocket.http.response.start":
            self.status_code = int(message["status"])
            self.headers = _decode_headers(message.get("headers", ()))
        elif kind == "websocket.http.response.body":
            self._body.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self.response_data = b"".join(self._body)
                response = self.app.response_class(
                    self.response_data, self.status_code, self.headers
                )
                self._reject(WebsocketResponseError(response))
                self._disconnect(1000)
        else:
            raise RuntimeError(f"Unexpected ASGI message from the websocket app: {kind!r}")

    def _reject(self, error: WebsocketResponseError) -> None:
        self._rejection = error
        self._handshake_done()

    def _handshake_done(self) -> None:
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_result(None)

    def _disconnect(self, code: int, reason: str = "") -> None:
        if not self._disconnect_sent:
            self._disconnect_sent = True
            message: dict[str, Any] = {"type": "websocket.disconnect", "code": code}
            if reason:
                message["reason"] = reason
            self._to_app.put_nowait(message)

    def _app_done(self, _task: asyncio.Task[None]) -> None:
        self._handshake_done()
        self._from_app.put_nowait(_END)

    # --- the client side ---------------------------------------------------------------

    async def __aenter__(self) -> TestWebsocketConnection:
        loop = asyncio.get_running_loop()
        self._handshake = loop.create_future()
        scope = self._make_scope()
        self._to_app.put_nowait({"type": "websocket.connect"})
        self._task = loop.create_task(self.app(scope, self._asgi_receive, self._asgi_send))
        self._task.add_done_callback(self._app_done)
        try:
            await asyncio.wait_for(asyncio.shield(self._handshake), self.timeout)
        except TimeoutError:
            await self._stop_app()
            raise TimeoutError(
                f"The websocket handler for {self.path!r} neither accepted nor rejected the"
                f" connection within {self.timeout}s"
            ) from None
        if self._rejection is not None:
            await self._wait_app()  # raised by the first receive(), or on leaving the block
            return self
        if self._task.done():
            self._raise_app_error()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._disconnect(1000)
        await self._wait_app()
        if exc is None:
            if self._rejection is not None and not self._rejection_seen:
                self._rejection_seen = True
                raise self._rejection
            self._raise_app_error()

    async def _wait_app(self) -> None:
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self.timeout)
        except TimeoutError:
            await self._stop_app()
            raise TimeoutError(
                f"The websocket handler for {self.path!r} did not finish within"
                f" {self.timeout}s after the client disconnected (a handler that catches"
                " asyncio.CancelledError must return or re-raise it)"
            ) from None
        except BaseException:
            pass  # the app's own error: raised by _raise_app_error

    async def _stop_app(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=self.timeout)

    def _raise_app_error(self) -> None:
        task = self._task
        if task is None or not task.done() or task.cancelled():
            return
        error = task.exception()
        if error is not None:
            raise error

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the handler (nowhere,
        after a refused handshake: ``receive()`` raises the refusal)."""
        if self._rejection is not None:
            return
        if isinstance(data, str):
            self._to_app.put_nowait({"type": "websocket.receive", "text": data})
        elif isinstance(data, (bytes, bytearray, memoryview)):
            self._to_app.put_nowait({"type": "websocket.receive", "bytes": bytes(data)})
        else:
            raise TypeError(f"send() takes str or bytes, not {type(data).__name__}")
        await asyncio.sleep(0)  # let the handler run, as a network round trip would

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as JSON text, encoded as the test client's ``json=`` bodies are
        (``json.dumps`` outside an app context, the app's provider inside one)."""
        await self.send(json_dumps(data))

    async def receive(self) -> str | bytes:
        """The next message from the handler (``str`` or ``bytes`` as it was sent).

        Raises :class:`WebsocketDisconnectError` once the handler closed, the handler's
        own exception if it raised one, and ``TimeoutError`` after ``timeout`` seconds.
        """
        if self._rejection is not None:
            self._rejection_seen = True
            raise self._rejection
        if self._closed_error is not None:
            raise self._closed_error
        try:
            item = await asyncio.wait_for(self._from_app.get(), self.timeout)
        except TimeoutError:
            raise TimeoutError(
                f"No message from the websocket handler for {self.path!r} within {self.timeout}s"
            ) from None
        kind = item[0]
        if kind == "data":
            return item[1]  # type: ignore[no-any-return]
        if kind == "close":
            self._closed_error = WebsocketDisconnectError(item[1], item[2])
            raise self._closed_error
        self._from_app.put_nowait(_END)  # the app ended: every later receive says so too
        self._raise_app_error()
        raise WebsocketDisconnectError(1006, "The app ended without closing the websocket")

    async def receive_json(self) -> Any:
        """The next message, parsed as JSON."""
        return self.app.json.loads(await self.receive())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from the client side: the handler's ``receive()`` raises
        ``ConnectionClosed`` with this code."""
        self._disconnect(code, reason)
        await asyncio.sleep(0)

    async def disconnect(self) -> None:
        """The client goes away (``close(1000)``)."""
        await self.close(1000)


def _decode_headers(raw: Any) -> Headers:
    headers = Headers()
    for name, value in raw:
        headers.add(
            name.decode("latin-1") if isinstance(name, bytes) else name,
            value.decode("latin-1") if isinstance(value, bytes) else value,
        )
    return headers
