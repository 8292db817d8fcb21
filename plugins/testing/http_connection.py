"""A streamed HTTP test request: ``async with client.request(path) as connection``.

The body goes to the app chunk by chunk (``send``, ``send_complete``) and the response
comes back chunk by chunk (``receive``), as Quart's ``TestHTTPConnection`` does; use it
to test streaming views and request bodies read as they arrive.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from werkzeug.datastructures import Headers

#: How long ``receive``/``as_response``/leaving the block wait for the app by default.
DEFAULT_TIMEOUT = 30.0


class HTTPDisconnectError(Exception):
    """The response is complete or the connection is closed: nothing more to receive."""


class TestHTTPConnection:
    """One HTTP request to the app, driven step by step."""

    __test__ = False  # not a pytest test class

    def __init__(
        self, app: Any, scope: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.app = app
        self.scope = scope
        self.timeout = timeout
        self.status_code: int | None = None
        self.headers: Headers | None = None
        self.push_promises: list[tuple[str, Headers]] = []
        self.response_data = bytearray()
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[bytes | None] = asyncio.Queue()  # None: body complete
        self._complete = False
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TestHTTPConnection:
        self._task = asyncio.ensure_future(
            self.app(self.scope, self._asgi_receive, self._asgi_send)
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._task is not None
        if exc_type is not None or not self._complete:
            await self.disconnect()  # a client that leaves early goes away, as on a socket
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self.timeout)
        except TimeoutError:
            self._task.cancel()
            raise TimeoutError(f"The app did not finish within {self.timeout}s") from None
        except asyncio.CancelledError:
            # The app's own CancelledError ended its task (see ``receive``); a cancellation
            # of the test goes on.
            if not self._task.cancelled() or being_cancelled():
                raise
        self._drain()

    async def send(self, data: bytes) -> None:
        """Send a chunk of the request body (more follows)."""
        await self._to_app.put({"type": "http.request", "body": bytes(data), "more_body": True})

    async def send_complete(self) -> None:
        """End the request body."""
        self._complete = True
        await self._to_app.put({"type": "http.request", "body": b"", "more_body": False})

    async def receive(self) -> bytes:
        """The next chunk of the response body; ``HTTPDisconnectError`` once it is complete.

        A streamed body ends with an empty chunk (``b""``), as with Quart's connection,
        then the next call raises ``HTTPDisconnectError`` (Quart's waits for good).
        Raises the app's exception if it failed, and ``TimeoutError`` if nothing comes.
        """
        assert self._task is not None
        getter = asyncio.ensure_future(self._from_app.get())
        try:
            await asyncio.wait(
                {getter, self._task}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if not getter.done():
                getter.cancel()
        if getter.done() and not getter.cancelled():
            chunk = getter.result()
        elif self._task.done():
            # The app raised: raise it here. A CancelledError it raised ended it as under
            # a server (which answers 500 if nothing was sent), and is not raised into the
            # test, as in Quart.
            if not self._task.cancelled():
                self._task.result()
            raise HTTPDisconnectError("The app finished without completing the response")
        else:
            raise TimeoutError(f"No response data within {self.timeout}s")
        if chunk is None:
            self._from_app.put_nowait(None)  # stays complete for later calls
            raise HTTPDisconnectError("The response is complete")
        self.response_data.extend(chunk)
        return chunk

    async def disconnect(self) -> None:
        """Tell the app the client went away (``http.disconnect``)."""
        await self._to_app.put({"type": "http.disconnect"})

    async def as_response(self) -> Any:
        """The whole response (waits for the app to finish it)."""
        while True:
            try:
                await self.receive()
            except HTTPDisconnectError:
                break
        return self.app.response_class(bytes(self.response_data), self.status_code, self.headers)

    def _drain(self) -> None:
        while not self._from_app.empty():
            chunk = self._from_app.get_nowait()
            if chunk is not None:
                self.response_data.extend(chunk)

    async def _asgi_receive(self) -> dict[str, Any]:
        return await self._to_app.get()

    async def _asgi_send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status_code = message["status"]
            self.headers = Headers(
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", ())]
            )
        elif kind == "http.response.body":
            body = bytes(message.get("body", b""))
            more_body = message.get("more_body", False)
            if body or not more_body:
                # The last message's body is received even when empty: Quart's
                # connection gives that ``b""``, which tests loop until.
                await self._from_app.put(body)
            if not more_body:
                await self._from_app.put(None)
        elif kind == "http.response.push":
            pushed = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
            self.push_promises.append((message["path"], Headers(pushed)))


def being_cancelled() -> bool:
    """Whether the running task has been asked to cancel (not merely handed a
    ``CancelledError`` some code raised)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
