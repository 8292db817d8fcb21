"""Serve an app with hypercorn on 127.0.0.1 and a free port, inside the running loop.

``async with serve_app(app) as base_url: ...`` starts hypercorn (lifespan included) on a
socket the OS picked, yields ``http://127.0.0.1:PORT``, and shuts the server down on exit.
``with serve_app_in_thread(app) as base_url: ...`` does the same from synchronous code,
with the server's own event loop in a background thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any


@asynccontextmanager
async def serve_app(
    app: Any, *, startup_timeout: float = 10.0, shutdown_timeout: float = 10.0, **config: Any
) -> AsyncIterator[str]:
    """Serve ``app`` for the duration of the block; yields its base URL."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    hyper = Config()
    hyper.bind = [f"fd://{sock.fileno()}"]
    hyper.graceful_timeout = 1.0
    hyper.accesslog = None
    for key, value in {**_app_server_settings(app), **config}.items():
        setattr(hyper, key, value)
    stop = asyncio.Event()
    task = asyncio.ensure_future(serve(app, hyper, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        await _wait_until_serving(port, task, startup_timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, shutdown_timeout)
        finally:
            # hypercorn adopts the descriptor and closes it itself on shutdown.
            with contextlib.suppress(OSError):
                sock.close()


@contextmanager
def serve_app_in_thread(
    app: Any, *, startup_timeout: float = 10.0, shutdown_timeout: float = 10.0, **config: Any
) -> Iterator[str]:
    """:func:`serve_app` for synchronous tests: the server runs its own event loop in a
    daemon thread; yields the base URL and stops the server (lifespan shutdown) on exit."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    outcome: dict[str, Any] = {}

    async def run_server() -> None:
        stop = asyncio.Event()
        outcome["stop"] = stop
        async with serve_app(
            app, startup_timeout=startup_timeout, shutdown_timeout=shutdown_timeout, **config
        ) as base_url:
            outcome["url"] = base_url
            ready.set()
            await stop.wait()

    def thread_main() -> None:
        try:
            loop.run_until_complete(run_server())
        except BaseException as exc:  # reported to the test's thread
            outcome["error"] = exc
        finally:
            ready.set()
            loop.close()

    thread = threading.Thread(target=thread_main, name="erlen-live-server", daemon=True)
    thread.start()
    if not ready.wait(startup_timeout + 1):
        raise TimeoutError(f"The server thread did not start within {startup_timeout}s")
    if "error" in outcome:
        thread.join(shutdown_timeout)
        raise outcome["error"]
    try:
        yield outcome["url"]
    finally:
        loop.call_soon_threadsafe(outcome["stop"].set)
        thread.join(shutdown_timeout + 1)
        if thread.is_alive():
            raise TimeoutError(f"The server thread did not stop within {shutdown_timeout}s")
        if "error" in outcome:
            raise outcome["error"]


def _app_server_settings(app: Any) -> dict[str, Any]:
    """The hypercorn settings an Erlen app's plugins ask for through the ``serving``
    plugin's ``erlen_server_settings`` hook (none for another ASGI app, or when no loaded
    plugin implements the hook)."""
    manager = getattr(app, "plugin_manager", None)
    hook = getattr(manager.hook, "erlen_server_settings", None) if manager is not None else None
    merged: dict[str, Any] = {}
    for settings in hook(app=app) if hook is not None else ():
        merged.update(settings or {})
    return merged


async def _wait_until_serving(port: int, task: asyncio.Future[Any], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if task.done():
            task.result()  # hypercorn failed to start: raise its error
            raise RuntimeError("hypercorn stopped before serving")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        await writer.wait_closed()
        # The lifespan startup has finished once hypercorn accepts requests.
        return
    raise TimeoutError(f"hypercorn did not start serving on port {port} within {timeout}s")
