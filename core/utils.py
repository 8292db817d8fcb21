"""Helpers Quart exposes as ``quart.utils``: running sync code without blocking the loop.

``run_sync(func)`` makes an awaitable wrapper that runs ``func`` in the default thread
pool with a copy of the caller's context (so ``request``, ``g``... work in the thread);
``run_sync_iterable(it)`` iterates a sync iterator in the thread pool as an async
iterator. ``app.ensure_async`` uses the first for sync views and hooks.
"""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.datastructures import Headers

from .app import run_sync as run_sync
from .app import run_sync_iterable as run_sync_iterable


def encode_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    """``Headers`` as ASGI ``[(name, value)]`` byte pairs (names lower-cased)."""
    return [
        (key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()
    ]


def decode_headers(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """ASGI ``[(name, value)]`` byte pairs as ``Headers``."""
    return Headers([(key.decode("latin-1"), value.decode("latin-1")) for key, value in headers])


__all__ = ["decode_headers", "encode_headers", "run_sync", "run_sync_iterable"]
