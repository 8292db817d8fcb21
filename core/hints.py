"""Hints added to the errors a Flask developer meets first in async code.

Reading the request body and rendering are coroutines in Erlen, as in Quart
(``await request.get_json()``, ``await request.form``, ``await render_template(...)``).
Forgetting the ``await`` gives Python's own message about a coroutine, which does not say
what to change: ``TypeError: 'coroutine' object is not subscriptable``. The 500 path adds
a note to such an error (Python 3.11's ``add_note``), so the log line, the test failure
and the debug page all end with what to do. Only the unhandled-error path calls this.
"""

from __future__ import annotations

import re
from typing import NoReturn

__all__ = ["AWAIT_HINT", "AsyncWithOnly", "add_await_hint"]

#: The note added to an error caused by a coroutine used as a value.
AWAIT_HINT = (
    "Hint: a coroutine was used as a value: did you forget 'await'? These are awaited in"
    " Erlen, as in Quart: await request.get_json(), await request.form, await"
    " request.files, await request.get_data(), await render_template(...),"
    " await send_file(...); the view must be 'async def' to await them."
)

# Python's and the JSON encoders' wording for an operation on a coroutine object:
# "'coroutine' object is not subscriptable", "... has no attribute 'get'", "argument of
# type 'coroutine' is not iterable", "Object of type coroutine is not JSON serializable",
# msgspec's "Encoding objects of type coroutine is unsupported".
_COROUTINE_MISUSE = re.compile(r"'coroutine' object|type '?coroutine\b")


def add_await_hint(error: BaseException) -> None:
    """Add :data:`AWAIT_HINT` to ``error`` when its message is about a coroutine object
    (once; an error that already says ``await`` is left alone)."""
    if not isinstance(error, (TypeError, AttributeError)):
        return
    message = str(error)
    if "await" in message or not _COROUTINE_MISUSE.search(message):
        return
    if AWAIT_HINT not in getattr(error, "__notes__", ()):
        error.add_note(AWAIT_HINT)


class AsyncWithOnly:
    """A base for objects entered with ``async with`` only (the app and request contexts,
    the test client): ``with``, Flask's spelling, raises a ``TypeError`` that says what
    to write, instead of Python's "object does not support the context manager
    protocol". Nothing else changes: ``__exit__`` is never reached."""

    __slots__ = ()

    #: The line to write instead, shown in the error.
    async_with_example = "async with ...:"

    def __enter__(self) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__} is entered with 'async with' in Erlen, as in Quart,"
            f" not 'with' (Flask): {self.async_with_example} (in an 'async def' function)"
        )

    def __exit__(self, *exc_info: object) -> None:
        return None
