"""Helpers Quart exposes as ``quart.utils``: running sync code without blocking the loop.

``run_sync(func)`` makes an awaitable wrapper that runs ``func`` in the default thread
pool with a copy of the caller's context (so ``request``, ``g``... work in the thread);
``run_sync_iterable(it)`` iterates a sync iterator in the thread pool as an async
iterator. ``app.ensure_async`` uses the first for sync views and hooks.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from werkzeug.datastructures import Headers

from .headerfields import encode_header
from .synciter import iterate_in_thread

T = TypeVar("T")


def run_sync(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Wrap a sync function so awaiting it runs it in the default thread pool.

    The caller's context (``request``, ``g``...) is copied into the thread. A generator
    result is turned into an async generator pulling from the thread.
    """

    @functools.wraps(func)
    async def _wrapper(*args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        result = await loop.run_in_executor(None, ctx.run, functools.partial(func, *args, **kwargs))
        if inspect.isgenerator(result):
            return run_sync_iterable(result)
        return result

    _wrapper._erlen_sync_wrapped = True  # type: ignore[attr-defined]
    return _wrapper


def run_sync_iterable(iterable: Iterable[T]) -> Any:
    """Iterate a sync iterable in the thread pool, as an async iterator (the caller's
    context is copied; stopping early closes the iterator once its running step ends)."""
    return iterate_in_thread(iterable)


def encode_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    """``Headers`` as ASGI ``[(name, value)]`` byte pairs (names lower-cased), each
    checked: :func:`erlen.headerfields.encode_header`."""
    return [encode_header(key, value) for key, value in headers.items()]


def decode_headers(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """ASGI ``[(name, value)]`` byte pairs as ``Headers``."""
    return Headers([(key.decode("latin-1"), value.decode("latin-1")) for key, value in headers])


def file_path_to_path(*paths: bytes | str | os.PathLike[str]) -> Path:
    """Join path parts into a :class:`~pathlib.Path`; ``bytes`` parts are decoded (Flask
    accepts bytes paths)."""
    return Path(*(os.fsdecode(part) if isinstance(part, bytes) else part for part in paths))


def raise_task_exceptions(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Raise the exception of the first finished, not cancelled task that has one.

    The tasks must be done (``task.exception()`` raises ``InvalidStateError`` otherwise).
    """
    for task in tasks:
        if not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error


async def cancel_tasks(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks``, wait until each has finished, then raise the first exception one
    of them ended with other than its cancellation (:func:`raise_task_exceptions`)."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    raise_task_exceptions(tasks)


__all__ = [
    "cancel_tasks",
    "decode_headers",
    "encode_headers",
    "file_path_to_path",
    "raise_task_exceptions",
    "run_sync",
    "run_sync_iterable",
]
