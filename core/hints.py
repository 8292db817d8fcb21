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

__all__ = ["AWAIT_HINT", "add_await_hint"]

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
