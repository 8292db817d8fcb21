"""``app.test_app()``: drive ASGI lifespan startup and shutdown in tests."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

#: Seconds ``TestApp`` waits for the app's lifespan startup and shutdown by default
#: (Quart's name; Quart waits 6 s, Erlen 60 s, so a slow startup on a loaded CI machine
#: is not reported as a failure).
DEFAULT_TIMEOUT = 60.0


class LifespanError(Exception):
    """Lifespan startup or shutdown failed (the app sent ``*.failed``)."""


class TestApp:
    """Runs the app's lifespan protocol: ``async with app.test_app() as test_app: ...``."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: Any,
        startup_timeout: float = DEFAULT_TIMEOUT,
        shutdown_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.app = app
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self._receive_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._startup = asyncio.Event()
        self._shutdown = asyncio.Event()
        self._failure: str | None = None
        self._task: asyncio.Task[None] | None = None

    def test_client(self) -> Any:
        """A test client for the app."""
        return self.app.test_client()

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self._startup.set()
        elif kind == "lifespan.shutdown.complete":
            self._shutdown.set()
        elif kind in {"lifespan.startup.failed", "lifespan.shutdown.failed"}:
            self._failure = message.get("message", "")
            self._startup.set()
            self._shutdown.set()

    async def startup(self) -> None:
        """Send ``lifespan.startup`` and wait for the answer (``LifespanError`` on failure)."""
        scope = {"type": "lifespan", "asgi": {"spec_version": "2.0", "version": "3.0"}, "state": {}}
        self._task = asyncio.ensure_future(self.app(scope, self._receive_queue.get, self._send))
        await self._receive_queue.put({"type": "lifespan.startup"})
        await self._wait_or_cancel(self._startup, self.startup_timeout, "startup")
        if self._failure is not None:
            raise LifespanError(f"Error during startup {self._failure}")

    async def shutdown(self) -> None:
        """Send ``lifespan.shutdown`` and wait for the answer."""
        await self._receive_queue.put({"type": "lifespan.shutdown"})
        await self._wait_or_cancel(self._shutdown, self.shutdown_timeout, "shutdown")
        if self._task is not None:
            await asyncio.wait_for(self._task, self.shutdown_timeout)
        if self._failure is not None:
            raise LifespanError(f"Error during shutdown {self._failure}")

    async def _wait_or_cancel(self, event: asyncio.Event, timeout: float, phase: str) -> None:
        try:
            await asyncio.wait_for(self._wait(event), timeout)
        except TimeoutError:
            # Stop the stuck lifespan task rather than leave it pending past the test.
            assert self._task is not None
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=timeout)
            raise TimeoutError(
                f"The app's lifespan {phase} did not finish within {timeout}s"
            ) from None

    async def _wait(self, event: asyncio.Event) -> None:
        assert self._task is not None
        waiter = asyncio.ensure_future(event.wait())
        await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not waiter.done():
            waiter.cancel()
            self._task.result()  # the app crashed: re-raise its error
            raise LifespanError("The app finished the lifespan protocol without answering")

    async def __aenter__(self) -> TestApp:
        await self.startup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()
