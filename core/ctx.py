"""Application, request and websocket contexts, held in ``contextvars``.

Pushing a context sets a ContextVar; popping resets it. Child tasks created with
``asyncio.create_task`` copy the current contexts, so ``request``/``websocket``/``g`` work
in them (the heartbeat task of the websocket guide relies on this).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from . import signals
from .globals import _cv_app, _cv_request, _cv_websocket
from .hints import AsyncWithOnly
from .sessions import can_open_sync, open_session_async

if TYPE_CHECKING:
    from werkzeug.routing import MapAdapter

    from .app import Erlen
    from .sessions import SessionMixin
    from .wrappers.request import Request
    from .wrappers.websocket import Websocket

F = TypeVar("F", bound=Callable[..., Any])
_new_object = object.__new__
# The context variables' methods, bound once: ``RequestContext.enter`` and ``leave`` run on
# every request, and a method of a name imported from a module is looked up anew at each
# call (the compiler treats the name as a module attribute).
_current_app_ctx = _cv_app.get
_set_app_ctx = _cv_app.set
_reset_app_ctx = _cv_app.reset
_set_request_ctx = _cv_request.set
_reset_request_ctx = _cv_request.reset


class _AppCtxGlobals:
    """The ``g`` object: a namespace living as long as the app context.

    A plain class, not ``SimpleNamespace``: its instances keep their attributes in
    CPython's inline values, so ``g.user = ...`` on the fresh ``g`` of each request
    allocates no dict.
    """

    def get(self, name: str, default: Any = None) -> Any:
        """Get an attribute, or ``default``."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = ...) -> Any:
        """Remove and return an attribute."""
        if default is ...:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        """Get an attribute, setting it to ``default`` first if it is missing."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> Any:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_app.get(None)
        if ctx is not None:
            return f"<erlen.g of {ctx.app.name!r}>"
        return object.__repr__(self)


class _Pushed:
    """What ``push()`` returns: Flask code calls ``ctx.push()``, Quart code awaits it.

    Awaiting it waits for async ``appcontext_pushed`` receivers (already scheduled).
    """

    __slots__ = ("_pending",)

    def __init__(self, pending: tuple[Any, ...] = ()) -> None:
        self._pending = pending

    def __await__(self) -> Any:
        return self._wait().__await__()

    async def _wait(self) -> None:
        for pending in self._pending:
            await pending


_NOTHING_PENDING = _Pushed()


def loop_running() -> bool:
    """Whether this thread runs an event loop now (``await`` works here)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _ThisThread(ThreadPoolExecutor):
    """An executor that runs each function at once, in the thread that submits it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the awaiting code, as a thread's would be
            future.set_exception(exc)
        return future


def _run_here(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` to its end from sync code (no event loop running), with the sync
    functions it would hand to the thread pool (sync teardown functions and signal
    receivers, through ``ensure_async``) run in this thread instead.

    A context popped from sync code (Flask's ``ctx.pop()``, the end of a ``kernel``
    command) tears down in the thread that used it, as in Flask: a ``sqlite3``
    connection kept on ``g`` (Flask's tutorial's ``get_db``) belongs to that thread and
    refuses to be closed from another (tests/core/test_ctx_sync_pop.py).
    """
    # A loop of its own, never made the thread's current loop (asyncio.run would reset
    # that to None when done, under a unittest IsolatedAsyncioTestCase's tearDown too).
    loop = asyncio.new_event_loop()
    try:
        loop.set_default_executor(_ThisThread())
        return loop.run_until_complete(coroutine)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


class AppContext(AsyncWithOnly):
    """The application context: ``current_app`` and ``g``."""

    async_with_example = "async with app.app_context():"

    def __init__(self, app: Erlen) -> None:
        self.app = app
        self.g = app.app_ctx_globals_class()
        self._url_adapter: MapAdapter | None = None
        self._tokens: list[Token[AppContext]] = []

    @property
    def url_adapter(self) -> MapAdapter | None:
        """A URL adapter bound to ``SERVER_NAME`` (None when it is not set)."""
        if self._url_adapter is None:
            self._url_adapter = self.app.create_url_adapter(None)
        return self._url_adapter

    def push(self, _signal: bool = True) -> _Pushed:
        """Make this the current app context: ``ctx.push()`` (Flask) or
        ``await ctx.push()`` (Quart, which also waits for async ``appcontext_pushed``
        receivers)."""
        self._tokens.append(_cv_app.set(self))
        if _signal and signals.appcontext_pushed.receivers:
            results = signals.send_sync(signals.appcontext_pushed, self.app)
            return _Pushed(tuple(r for _, r in results if inspect.isawaitable(r)))
        return _NOTHING_PENDING

    def pop(self, exc: BaseException | None = None) -> Awaitable[None]:
        """Run the ``teardown_appcontext`` functions, then leave this context:
        ``await ctx.pop()`` (Quart), or ``ctx.pop()`` (Flask) where no event loop runs
        (a script, a ``unittest`` ``tearDown``), which tears down at once, in this
        thread (as Flask does)."""
        if loop_running():
            return self._pop(exc)
        try:
            if len(self._tokens) == 1:
                _run_here(self.app.do_teardown_appcontext(exc))
        finally:
            _cv_app.reset(self._tokens.pop())
        if signals.appcontext_popped.receivers:
            _run_here(signals.send_async(signals.appcontext_popped, self.app))
        return _NOTHING_PENDING

    async def _pop(self, exc: BaseException | None) -> None:
        try:
            if len(self._tokens) == 1:
                await self.app.do_teardown_appcontext(exc)
        finally:
            _cv_app.reset(self._tokens.pop())
        if signals.appcontext_popped.receivers:
            await signals.send_async(signals.appcontext_popped, self.app)

    async def __aenter__(self) -> AppContext:
        self.push(_signal=False)
        if signals.appcontext_pushed.receivers:
            try:
                await signals.send_async(signals.appcontext_pushed, self.app)
            except BaseException as exc:
                await self.pop(exc)
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.pop(exc)

    def copy(self) -> AppContext:
        """A context with the same app and ``g``, to push in another task."""
        rv = object.__new__(type(self))
        rv.app, rv.g, rv._url_adapter, rv._tokens = self.app, self.g, self._url_adapter, []
        return rv


class _ConnectionContext(AsyncWithOnly):
    """What request and websocket contexts share: app context, session, flashes."""

    async_with_example = 'async with app.test_request_context("/"):'

    _cv: Any
    #: ``after_this_request``/``after_this_websocket`` functions (a list once one is added).
    _after_funcs: list[Callable[[Any], Any]] | tuple[()] = ()

    def __init__(self, app: Erlen, connection: Any, session: SessionMixin | None = None) -> None:
        self.app = app
        self.app_ctx: AppContext | None = None
        self._session = session
        self.flashes: list[tuple[str, str]] | None = None
        self._tokens: list[tuple[Token[Any], AppContext | None]] = []
        self._connection = connection

    @property
    def session(self) -> SessionMixin:
        """The session, opened on first use (a request that never touches it pays nothing)."""
        if self._session is None:
            self._session = self.app.open_session_for(self._connection)
        return self._session

    async def open_session(self) -> SessionMixin:
        """Open the session now, awaiting the app's session interface (which may be a
        custom async one); returns the already-open session if there is one."""
        if self._session is None:
            self._session = await open_session_async(self.app, self._connection)
        return self._session

    @property
    def session_opened(self) -> bool:
        """Whether :attr:`session` was used during this context."""
        return self._session is not None

    @property
    def url_adapter(self) -> MapAdapter | None:
        """The URL adapter bound to this request or websocket (Quart's and Flask's
        ``request_ctx.url_adapter``): what ``app.create_url_adapter`` gives for it,
        bound on first use. Assigning one makes ``url_for`` build with it."""
        return self.app.create_url_adapter(self._connection)

    @url_adapter.setter
    def url_adapter(self, adapter: MapAdapter | None) -> None:
        self._connection._url_adapter = adapter

    def push(self, _signal: bool = True) -> _Pushed:
        """Push the app context if this app's is not current, then this context
        (``ctx.push()`` or ``await ctx.push()``).

        The kernel pushes with ``_signal=False`` and then awaits
        :meth:`_send_appcontext_pushed`, so async receivers are awaited as in Quart.
        """
        app_ctx = _cv_app.get(None)
        pushed: AppContext | None = None
        result = _NOTHING_PENDING
        if app_ctx is None or app_ctx.app is not self.app:
            pushed = AppContext(self.app)
            result = pushed.push(_signal)
            app_ctx = pushed
        self.app_ctx = app_ctx
        self._tokens.append((self._cv.set(self), pushed))
        return result

    async def _send_appcontext_pushed(self) -> None:
        if self._tokens and self._tokens[-1][1] is not None:
            await signals.send_async(signals.appcontext_pushed, self.app)

    def pop(self, exc: BaseException | None = None) -> Awaitable[None]:
        """Run teardown functions, leave this context, and the app context it pushed:
        ``await ctx.pop()``, or ``ctx.pop()`` where no event loop runs (as
        :meth:`AppContext.pop`)."""
        if loop_running():
            return self._pop(exc)
        token, app_ctx = self._tokens[-1]
        try:
            if len(self._tokens) == 1:
                _run_here(self._teardown(exc))
        finally:
            self._tokens.pop()
            self._cv.reset(token)
            if app_ctx is not None:
                app_ctx.pop(exc)
        return _NOTHING_PENDING

    async def _pop(self, exc: BaseException | None) -> None:
        token, app_ctx = self._tokens[-1]
        try:
            if len(self._tokens) == 1:
                await self._teardown(exc)
        finally:
            self._tokens.pop()
            self._cv.reset(token)
            if app_ctx is not None:
                await app_ctx._pop(exc)

    async def _teardown(self, exc: BaseException | None) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Any:
        self.push(_signal=False)
        try:
            if signals.appcontext_pushed.receivers:
                await self._send_appcontext_pushed()
            if self._session is None and not can_open_sync(self.app.session_interface):
                await self.open_session()
        except BaseException as exc:
            await self.pop(exc)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.pop(exc)


class RequestContext(_ConnectionContext):
    """The context of one HTTP request: ``request``, ``session``, flashes."""

    _cv = _cv_request

    def __init__(self, app: Erlen, request: Request, session: SessionMixin | None = None) -> None:
        super().__init__(app, request, session)
        self.request = request
        if request.url_rule is None and request.routing_exception is None:
            app.match_request(request)  # a request built by hand, as Quart matches it here

    @classmethod
    def enter(cls, app: Erlen, request: Request) -> RequestContext:
        """A new context for ``request``, pushed (with the app context when ``app``'s is
        not current), without sending ``appcontext_pushed``: what
        ``ctx = cls(app, request); ctx.push(_signal=False)`` does, field by field. The
        ``http`` pipeline enters every request this way and sends the signal itself."""
        app_ctx = _current_app_ctx(None)
        pushed: AppContext | None = None
        if app_ctx is None or app_ctx.app is not app:
            pushed = app_ctx = _new_object(AppContext)
            app_ctx.app = app
            app_ctx.g = app.app_ctx_globals_class()
            app_ctx._url_adapter = None
            app_ctx._tokens = [_set_app_ctx(app_ctx)]
        ctx = _new_object(cls)
        ctx.app = app
        ctx.app_ctx = app_ctx
        ctx._session = None
        ctx.flashes = None
        ctx._after_funcs = ()  # on the instance: the pipeline reads it up to three times
        ctx._connection = ctx.request = request
        ctx._tokens = [(_set_request_ctx(ctx), pushed)]
        return ctx

    @property
    def _after_request_functions(self) -> list[Callable[[Any], Any]] | tuple[()]:
        # Quart's name of the after_this_request functions (its own tests read it)
        return self._after_funcs

    def leave(self) -> None:
        """Leave this context and the app context it pushed, running nothing: what
        ``pop()`` does when there is nothing to tear down. The caller vouches for that:
        no ``teardown_request``/``teardown_appcontext`` function or plugin teardown hook,
        no signal receiver, no uploaded file to close (the ``http`` pipeline checks it;
        tests/core/test_hot_path.py and test_plan_flags.py pin it)."""
        token, pushed = self._tokens.pop()
        _reset_request_ctx(token)
        if pushed is not None:
            _reset_app_ctx(pushed._tokens.pop())

    async def _teardown(self, exc: BaseException | None) -> None:
        try:
            await self.app.do_teardown_request(exc, self)
        finally:
            if self.request._files:  # spooled uploads: release their temporary files
                await self.request.close()

    def copy(self) -> RequestContext:
        """A context with the same request and session, to push in another task."""
        rv = RequestContext(self.app, self.request, self._session)
        rv.flashes = self.flashes
        return rv


class WebsocketContext(_ConnectionContext):
    """The context of one websocket connection: ``websocket``, ``session``."""

    _cv = _cv_websocket

    def __init__(
        self, app: Erlen, websocket: Websocket, session: SessionMixin | None = None
    ) -> None:
        super().__init__(app, websocket, session)
        self.websocket = websocket

    async def _teardown(self, exc: BaseException | None) -> None:
        await self.app.do_teardown_websocket(exc, self)

    def copy(self) -> WebsocketContext:
        """A context with the same websocket and session, to push in another task."""
        return WebsocketContext(self.app, self.websocket, self._session)


def has_app_context() -> bool:
    """Whether an application context is active."""
    return _cv_app.get(None) is not None


def has_request_context() -> bool:
    """Whether a request context is active."""
    return _cv_request.get(None) is not None


def has_websocket_context() -> bool:
    """Whether a websocket context is active."""
    return _cv_websocket.get(None) is not None


def after_this_request(func: F) -> F:
    """Run ``func(response)`` after this request, before the ``after_request`` functions."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("'after_this_request' can only be used in a request context.")
    if not ctx._after_funcs:
        ctx._after_funcs = []
    ctx._after_funcs.append(func)
    return func


def after_this_websocket(func: F) -> F:
    """Run ``func(response)`` after this websocket handler returns."""
    ctx = _cv_websocket.get(None)
    if ctx is None:
        raise RuntimeError("'after_this_websocket' can only be used in a websocket context.")
    if not ctx._after_funcs:
        ctx._after_funcs = []
    ctx._after_funcs.append(func)
    return func


def _copying_wrapper(func: Callable[..., Any], cv: Any, ctx: Any) -> Callable[..., Any]:
    app = ctx.app

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = cv.set(ctx)
        app_token = _cv_app.set(ctx.app_ctx) if ctx.app_ctx is not None else None
        try:
            return await app.ensure_async(func)(*args, **kwargs)
        finally:
            if app_token is not None:
                _cv_app.reset(app_token)
            cv.reset(token)

    return wrapper


def copy_current_app_context(func: F) -> F:
    """Wrap ``func`` so it runs in the current app context wherever it is awaited."""
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError("Attempt to copy app context outside of a app context")
    app = ctx.app

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _cv_app.set(ctx)
        try:
            return await app.ensure_async(func)(*args, **kwargs)
        finally:
            _cv_app.reset(token)

    return wrapper  # type: ignore[return-value]


def copy_current_request_context(func: F) -> F:
    """Wrap ``func`` so it runs in the current request context wherever it is awaited."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("Attempt to copy request context outside of a request context")
    return _copying_wrapper(func, _cv_request, ctx)  # type: ignore[return-value]


def copy_current_websocket_context(func: F) -> F:
    """Wrap ``func`` so it runs in the current websocket context wherever it is awaited."""
    ctx = _cv_websocket.get(None)
    if ctx is None:
        raise RuntimeError("Attempt to copy websocket context outside of a websocket context")
    return _copying_wrapper(func, _cv_websocket, ctx)  # type: ignore[return-value]
