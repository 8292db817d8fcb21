"""Serve an app with hypercorn on 127.0.0.1 and a free port, inside the running loop.

``async with serve_app(app) as base_url: ...`` starts hypercorn (lifespan included) on a
socket the OS picked, yields ``http://127.0.0.1:PORT``, and shuts the server down on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
    for key, value in config.items():
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
