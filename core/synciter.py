"""Iterate a sync iterable from async code, one ``next()`` at a time in the thread pool.

Used for sync generator bodies and by ``run_sync_iterable``. When the consumer stops
early (client disconnect, timeout, ``aclose``) while a ``next()`` is still running in its
thread, the iterator cannot be closed yet (``generator already executing``): it is closed
in the pool as soon as that step returns, so the generator's ``finally`` always runs and
never on the event loop's thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

_DONE = object()


async def iterate_in_thread(iterable: Iterable[T]) -> AsyncIterator[T]:
    """Yield the items of ``iterable``, each produced in the default thread pool with a
    copy of the caller's context."""
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    iterator = iter(iterable)
    busy = threading.Lock()  # held while a thread runs next(); close() waits for it

    def step() -> Any:
        with busy:
            return ctx.run(next, iterator, _DONE)

    def close_when_idle() -> None:
        close = getattr(iterator, "close", None)
        if close is None:
            return
        with busy:
            try:
                close()
            except Exception:  # a failing `finally` in a body nobody reads any more
                pass

    finished = False
    try:
        while True:
            item = await loop.run_in_executor(None, step)
            if item is _DONE:
                finished = True
                return
            yield item
    finally:
        if not finished:
            loop.run_in_executor(None, close_when_idle)
