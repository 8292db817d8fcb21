"""The in-process test client: drives the ASGI app with made-up HTTP requests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from http.cookiejar import Cookie, CookieJar
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import Request as _URLRequest

from erlen.globals import app_context_var, request_context_var
from erlen.hints import AsyncWithOnly
from erlen.pipeline.http import HEAD_BODY
from erlen.plugins.testing.testrequest import (
    make_test_body_with_headers,
    make_test_headers_path_and_query_string,
    make_test_scope,
    sentinel,
    with_peer,
)
from werkzeug.datastructures import Headers
from werkzeug.http import dump_cookie

from .connections import TestWebsocketConnection
from .http_connection import TestHTTPConnection, being_cancelled


class _HeadersAdapter:
    """What ``CookieJar.extract_cookies`` wants from a response."""

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def info(self) -> _HeadersAdapter:
        return self

    def get_all(self, name: str, default: Any = None) -> list[str]:
        return self._headers.getlist(name) or (default if default is not None else [])


class SessionTransaction(AsyncWithOnly, AbstractAsyncContextManager):  # type: ignore[type-arg]
    """What ``client.session_transaction()`` gives: entered with ``async with``, it yields
    the session and saves it to the client's cookies on leaving (``with``, Flask's
    spelling, says to write ``async with``)."""

    __slots__ = ("_manager",)
    async_with_example = "async with client.session_transaction() as session:"

    def __init__(self, manager: Any) -> None:
        self._manager = manager

    async def __aenter__(self) -> Any:
        return await self._manager.__aenter__()

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self._manager.__aexit__(*exc_info)


class TestClient(AsyncWithOnly):
    """Quart's test client: ``await client.get("/")`` returns the app's response."""

    async_with_example = "async with client:"

    __test__ = False  # not a pytest test class
    #: The class of the connections ``request()`` opens (swap it in a subclass).
    http_connection_class: type = TestHTTPConnection
    #: The class of the connections ``websocket()`` opens (swap it in a subclass).
    websocket_connection_class: type = TestWebsocketConnection

    def __init__(self, app: Any, use_cookies: bool = True) -> None:
        self.app = app
        self.cookie_jar: CookieJar | None = CookieJar() if use_cookies else None
        self.preserve_context = False
        self.push_promises: list[tuple[str, Headers]] = []
        self._preserved: list[Any] = []

    # --- cookies ---------------------------------------------------------------

    def _url(self, scheme: str, host: str, path: str, root_path: str = "") -> str:
        return f"{scheme}://{host}{root_path}{path}"

    def _cookie_header(self) -> str | None:
        """Every unexpired cookie of the jar as one ``Cookie`` value.

        As Quart's client does, the jar's domain, path and ``Secure`` rules are not
        applied: a cookie the test set for ``localhost`` (or ``None``), or that the app set
        ``Secure`` over plain ``http``, goes with every request. Tests log in once and
        expect to stay logged in (quart-auth's ``authenticated_client`` relies on it).
        """
        if self.cookie_jar is None:
            return None
        now = int(time.time())
        pairs = [
            cookie.name if cookie.value is None else f"{cookie.name}={cookie.value}"
            for cookie in self.cookie_jar
            if not cookie.is_expired(now)
        ]
        return "; ".join(pairs) or None

    def _scope_with_cookies(
        self,
        scope_type: str,
        method: str,
        headers: Any,
        path: str,
        query_bytes: bytes,
        scheme: str,
        root_path: str,
        http_version: str,
        scope_base: dict[str, Any] | None,
    ) -> tuple[dict[str, Any], str]:
        """The ASGI scope of a test connection, with the jar's cookies after any
        ``Cookie`` header the caller gave (the caller's value of a name wins: the first
        one counts); also returns the URL to store the answer's cookies under."""
        http_scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
        # ``path`` is the full path, ``root_path`` included, as Quart's client takes it
        # (and as ASGI servers give it); the app takes the root off.
        url = self._url(http_scheme, headers["Host"], path)
        cookie = self._cookie_header()
        if cookie:
            given = headers.get("Cookie")
            headers["Cookie"] = f"{given}; {cookie}" if given else cookie
        scope = make_test_scope(
            scope_type,
            path,
            method.upper(),
            headers,
            query_bytes,
            scheme,
            root_path,
            http_version,
            scope_base,
            _preserve_context=self.preserve_context,
        )
        # The ASGI version the websocket plugin reads close reasons by (Quart's helper
        # says 2.1, which has none), then scope_base again, over the extensions too: a
        # test may remove them.
        scope["asgi"] = {"version": "3.0", "spec_version": "2.3"}
        if scope_base is not None:
            scope.update(scope_base)
        if scope_type == "http":
            scope[HEAD_BODY] = True  # a HEAD answer keeps its body, as in Quart's client
        return with_peer(scope), url

    def _store_cookies(self, url: str, headers: Headers) -> None:
        if self.cookie_jar is not None:
            self.cookie_jar.extract_cookies(_HeadersAdapter(headers), _URLRequest(url))  # type: ignore[arg-type]

    def set_cookie(
        self,
        server_name: str,
        key: str,
        value: str = "",
        max_age: int | timedelta | None = None,
        expires: int | float | datetime | None = None,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
    ) -> None:
        """Put a cookie in the jar, as if ``server_name`` had set it (Quart's signature).

        The jar sends it with every request, whatever ``server_name``, ``path``,
        ``domain`` or ``secure`` say, until it expires or is deleted.
        """
        cookie = dump_cookie(
            key,
            value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )
        self._store_cookies(f"http://{server_name}{path}", Headers([("Set-Cookie", cookie)]))

    def delete_cookie(
        self, server_name: str, key: str, path: str = "/", domain: str | None = None
    ) -> None:
        """Remove a cookie from the jar."""
        self.set_cookie(server_name, key, expires=0, max_age=0, path=path, domain=domain)

    def get_cookie(self, key: str) -> Cookie | None:
        """The cookie named ``key`` in the jar, if any."""
        if self.cookie_jar is None:
            return None
        for cookie in self.cookie_jar:
            if cookie.name == key:
                return cookie
        return None

    # --- requests --------------------------------------------------------------

    async def open(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: Any = None,
        data: Any = None,
        form: Any = None,
        files: Any = None,
        query_string: Any = None,
        json: Any = sentinel,
        scheme: str = "http",
        follow_redirects: bool = False,
        root_path: str = "",
        http_version: str = "1.1",
        scope_base: dict[str, Any] | None = None,
        auth: Any = None,
        subdomain: str | None = None,
        content_type: str | None = None,
    ) -> Any:
        """Make a request; returns the app's response (with ``await get_data()``).

        ``content_type`` is Flask's test client's argument: the request's
        ``Content-Type`` (``data=json.dumps(...), content_type="application/json"``),
        as a ``Content-Type`` in ``headers`` would be."""
        if content_type is not None:
            headers = Headers(headers)
            headers["Content-Type"] = content_type
        response = await self._make_request(
            path,
            method,
            headers,
            data,
            form,
            files,
            query_string,
            json,
            scheme,
            root_path,
            http_version,
            scope_base,
            auth,
            subdomain,
        )
        redirects = 0
        while (
            follow_redirects
            and 300 <= response.status_code < 400
            and "Location" in response.headers
        ):
            redirects += 1
            if redirects > 20:
                raise RuntimeError("More than 20 redirects: is there a redirect loop?")
            location = urlsplit(response.headers["Location"])
            keep_body = response.status_code in {307, 308}
            next_path = location.path or "/"
            if not next_path.startswith("/"):
                next_path = urljoin(path, next_path)
            response = await self._make_request(
                next_path,
                method if keep_body else ("HEAD" if method == "HEAD" else "GET"),
                headers,
                data if keep_body else None,
                form if keep_body else None,
                files if keep_body else None,
                location.query or None,
                json if keep_body else sentinel,
                location.scheme or scheme,
                root_path,
                http_version,
                scope_base,
                auth,
                location.hostname.partition(".")[0]
                if location.hostname and subdomain
                else subdomain,
            )
            path = next_path
        return response

    async def _make_request(
        self,
        path: str,
        method: str,
        headers: Any,
        data: Any,
        form: Any,
        files: Any,
        query_string: Any,
        json: Any,
        scheme: str,
        root_path: str,
        http_version: str,
        scope_base: dict[str, Any] | None,
        auth: Any,
        subdomain: str | None,
    ) -> Any:
        req_headers, path, query_bytes = make_test_headers_path_and_query_string(
            self.app, path, headers, query_string, auth, subdomain
        )
        body, body_headers = make_test_body_with_headers(
            data=data, form=form, files=files, json=json, app=self.app
        )
        for key, value in body_headers.items():
            req_headers.setdefault(key, value)
        if body and "Content-Length" not in req_headers:
            req_headers["Content-Length"] = str(len(body))
        scope, url = self._scope_with_cookies(
            "http",
            method,
            req_headers,
            path,
            query_bytes,
            scheme,
            root_path,
            http_version,
            scope_base,
        )
        kept: list[Any] | None = None
        if self.preserve_context:
            self._pop_preserved()  # the previous request's context ends when the next starts
            kept = scope["_erlen_preserve_context"] = []
        response = await self._run(scope, body)
        if kept:
            self._push_preserved(kept[-1])
        self._store_cookies(url, response.headers)
        return response

    async def _run(self, scope: dict[str, Any], body: bytes) -> Any:
        done = asyncio.Event()
        sent_body = False
        status = 500
        response_headers = Headers()
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    response_headers.add(name.decode("latin-1"), value.decode("latin-1"))
            elif kind == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    done.set()
            elif kind == "http.response.push":
                pushed = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
                self.push_promises.append((message["path"], Headers(pushed)))

        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            # A cancellation of the test itself goes on. One the app raised (a view
            # raising CancelledError, or awaiting a task that was cancelled) ends the
            # request as it ends it under a server: hypercorn lets it end the app's task
            # and answers 500 when nothing was sent; Quart's client does not raise it
            # either. The test gets the response, and teardown functions have run.
            if being_cancelled():
                raise
        finally:
            done.set()
        # One turn of the loop before the test goes on, as the response's trip back over
        # a network (or Quart's client, which runs the app in a task of its own) gives:
        # a background task the view started has begun by the time the test reads the
        # response (tests/plugins/testing/test_client_requests.py::
        # test_a_background_task_has_begun_when_the_response_is_returned).
        await asyncio.sleep(0)
        response = self.app.response_class(b"".join(chunks), status)
        # The headers are the app's: keep its Content-Length even for HEAD responses.
        response.headers = response_headers
        return response

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        """A GET request."""
        return await self.open(*args, method="GET", **kwargs)

    async def post(self, *args: Any, **kwargs: Any) -> Any:
        """A POST request."""
        return await self.open(*args, method="POST", **kwargs)

    async def put(self, *args: Any, **kwargs: Any) -> Any:
        """A PUT request."""
        return await self.open(*args, method="PUT", **kwargs)

    async def patch(self, *args: Any, **kwargs: Any) -> Any:
        """A PATCH request."""
        return await self.open(*args, method="PATCH", **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> Any:
        """A DELETE request."""
        return await self.open(*args, method="DELETE", **kwargs)

    async def head(self, *args: Any, **kwargs: Any) -> Any:
        """A HEAD request."""
        return await self.open(*args, method="HEAD", **kwargs)

    async def options(self, *args: Any, **kwargs: Any) -> Any:
        """An OPTIONS request."""
        return await self.open(*args, method="OPTIONS", **kwargs)

    async def trace(self, *args: Any, **kwargs: Any) -> Any:
        """A TRACE request."""
        return await self.open(*args, method="TRACE", **kwargs)

    @asynccontextmanager
    async def request(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: Any = None,
        query_string: Any = None,
        scheme: str = "http",
        root_path: str = "",
        http_version: str = "1.1",
        scope_base: dict[str, Any] | None = None,
        auth: Any = None,
        subdomain: str | None = None,
    ) -> AsyncIterator[Any]:
        """A streamed request: ``async with client.request("/", method="POST") as conn``.

        ``await conn.send(chunk)``, ``await conn.send_complete()``, ``await conn.receive()``
        (one response chunk), ``await conn.as_response()``; cookies go both ways as for
        ``open``. Leaving the block before ``send_complete`` disconnects the client.
        """
        req_headers, path, query_bytes = make_test_headers_path_and_query_string(
            self.app, path, headers, query_string, auth, subdomain
        )
        scope, url = self._scope_with_cookies(
            "http",
            method,
            req_headers,
            path,
            query_bytes,
            scheme,
            root_path,
            http_version,
            scope_base,
        )
        connection = self.http_connection_class(self.app, scope)
        try:
            async with connection:
                yield connection
        finally:
            if connection.headers is not None:
                self._store_cookies(url, connection.headers)

    def websocket(
        self,
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
    ) -> Any:
        """A websocket connection to ``path``: ``async with client.websocket("/ws") as ws``."""
        return self.websocket_connection_class(
            self,
            path,
            headers=headers,
            query_string=query_string,
            scheme=scheme,
            subprotocols=subprotocols,
            root_path=root_path,
            http_version=http_version,
            scope_base=scope_base,
            auth=auth,
            subdomain=subdomain,
        )

    def session_transaction(
        self, path: str = "/", **kwargs: Any
    ) -> AbstractAsyncContextManager[Any]:
        """Open the session as the app would for ``path``; changes are saved to the jar:
        ``async with client.session_transaction() as session: session["user"] = 1``."""
        return SessionTransaction(self._session_transaction(path, **kwargs))

    @asynccontextmanager
    async def _session_transaction(self, path: str, **kwargs: Any) -> AsyncIterator[Any]:
        if self.cookie_jar is None:
            raise RuntimeError("Session transactions only make sense with cookies enabled.")
        headers = Headers(kwargs.pop("headers", None))
        host = self.app.config["SERVER_NAME"] or "localhost"
        cookie = self._cookie_header()
        if cookie:
            given = headers.get("Cookie")
            headers["Cookie"] = f"{given}; {cookie}" if given else cookie
        ctx = self.app.test_request_context(path, headers=headers, **kwargs)
        interface = self.app.session_interface
        async with ctx:
            session = await interface.open_session(self.app, ctx.request)
            if session is None:
                raise RuntimeError("Error opening the session. Check the secret_key?")
            yield session
            response = self.app.response_class()
            if not interface.is_null_session(session):
                await interface.save_session(self.app, session, response)
        self._store_cookies(self._url(kwargs.get("scheme", "http"), host, path), response.headers)

    async def __aenter__(self) -> TestClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._pop_preserved()

    # --- preserved contexts (``async with client:``) ----------------------------------

    def _push_preserved(self, ctx: Any) -> None:
        # The kernel has already run the teardown functions; this only makes the finished
        # request (and its app context, so ``g`` too) current again in the caller's task.
        # ``ctx.push()`` would open a fresh app context and tear down twice on pop.
        self._preserved.append((app_context_var, app_context_var.set(ctx.app_ctx)))
        self._preserved.append((request_context_var, request_context_var.set(ctx)))

    def _pop_preserved(self) -> None:
        while self._preserved:
            var, token = self._preserved.pop()
            try:
                var.reset(token)
            except ValueError:
                # Set in another task's context, so this context never saw the value.
                pass
