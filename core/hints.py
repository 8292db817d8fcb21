"""Hints added to the errors a Flask or Quart developer meets first in Erlen.

Reading the request body and rendering are coroutines in Erlen, as in Quart
(``await request.get_json()``, ``await request.form``, ``await render_template(...)``).
Forgetting the ``await`` gives Python's own message about a coroutine, which does not say
what to change: ``TypeError: 'coroutine' object is not subscriptable``. The 500 path adds
a note to such an error (Python 3.11's ``add_note``), so the log line, the test failure
and the debug page all end with what to do. Only the unhandled-error path calls this.

A Quart extension imported without :mod:`erlen.quart_patch` runs the real Quart's
proxies, which fail with Quart's "Not within an app context"; that error gets a note
naming the patch. A ``sqlite3`` connection kept on ``g`` and used from sync views or hooks
(which run in the thread pool) fails with sqlite3's "objects created in a thread"; that
error gets a note saying what to change. A Flask extension (Flask-SQLAlchemy, Flask-Login)
runs Flask's proxies, which fail with Flask's "Working outside of application context"
inside Erlen's context; that error gets a note saying why and what to use instead.
"""

from __future__ import annotations

import re
import sys
from typing import NoReturn

__all__ = [
    "AWAIT_HINT",
    "FLASK_EXTENSION_HINT",
    "QUART_PATCH_HINT",
    "SQLITE_THREAD_HINT",
    "TEST_AWAIT_HINT",
    "AsyncWithOnly",
    "add_await_hint",
    "add_error_hints",
    "add_flask_extension_hint",
    "add_quart_patch_hint",
    "add_sqlite_thread_hint",
]

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


#: The note added to such an error raised by a test's own code (the testing plugin).
TEST_AWAIT_HINT = (
    "Hint: a coroutine was used as a value: did you forget 'await'? The test client is"
    " async in Erlen, as in Quart: response = await client.get(...), await"
    " response.get_data() (or await response.data), await response.get_json() (or"
    " await response.json); the test must be 'async def' to await them."
)

_HINT_START = "Hint: a coroutine was used as a value"

# ``await x.y`` awaits ``x.y``: ``await request.form.get("a")`` and ``await
# client.get("/").status_code`` fail as a forgotten await does, with an AttributeError
# naming the attribute. What each hint adds then, with that name in place of ``{}``.
_ATTRIBUTE_NOTES = {
    AWAIT_HINT: (
        " If the line has an 'await', it applies to all that follows it ('await"
        " request.form.{0}' awaits what .{0} gives): write '(await request.form).{0}'."
    ),
    TEST_AWAIT_HINT: (
        " If the line has an 'await', it applies to all that follows it ('await"
        " client.get(...).{0}' awaits .{0}): write '(await client.get(...)).{0}'."
    ),
}


def add_await_hint(error: BaseException, hint: str = AWAIT_HINT) -> None:
    """Add ``hint`` (:data:`AWAIT_HINT` by default) to ``error`` when its message is
    about a coroutine object, or is an assertion that shows one (once, whichever hint
    came first; a ``TypeError`` or ``AttributeError`` that already says ``await`` is
    left alone)."""
    if isinstance(error, AssertionError):
        # pytest's report of `assert response.json == {...}`: the coroutine's repr
        if "<coroutine object " not in str(error):
            return
    elif not isinstance(error, (TypeError, AttributeError)):
        return
    else:
        message = str(error)
        if "await" in message or not _COROUTINE_MISUSE.search(message):
            return
    notes = getattr(error, "__notes__", ())
    if any(str(note).startswith(_HINT_START) for note in notes):
        return
    name = getattr(error, "name", None) if isinstance(error, AttributeError) else None
    if name and hint in _ATTRIBUTE_NOTES:
        hint += _ATTRIBUTE_NOTES[hint].format(name)
    error.add_note(hint)


#: The note added when the real Quart's code looked for its context in an Erlen app.
QUART_PATCH_HINT = (
    "Hint: this error comes from the real Quart, imported by a Quart extension (or your"
    " code) next to Erlen, whose contexts Quart cannot see. Write"
    " 'import erlen.quart_patch' before anything imports quart (first in the app's"
    " module; 'pytest -p erlen.quart_patch' in tests): then 'quart' is Erlen and"
    " the extension works unchanged."
)

# Quart's wording when its ``current_app``/``request``/``websocket`` has no context.
# Erlen's own proxies say "Working outside of ... context" (Flask's), so this wording
# in an Erlen app means the real Quart's proxies were used.
_QUART_NO_CONTEXT = re.compile(r"^Not within an? (app|request|websocket) context")


def add_quart_patch_hint(error: BaseException) -> None:
    """Add :data:`QUART_PATCH_HINT` to ``error`` when it is Quart's "Not within ...
    context", raised by a werkzeug ``LocalProxy`` (Quart's globals), while the real
    ``quart`` is imported (not :mod:`erlen.quart_patch`'s alias)."""
    if not isinstance(error, RuntimeError) or not _QUART_NO_CONTEXT.match(str(error)):
        return
    quart = sys.modules.get("quart")
    if quart is None or getattr(quart, "__name__", None) != "quart":
        return  # not imported, or the patch made it Erlen
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None or tb.tb_frame.f_globals.get("__name__") != "werkzeug.local":
        return  # raised elsewhere: Quart's proxies are werkzeug's LocalProxy
    if QUART_PATCH_HINT not in getattr(error, "__notes__", ()):
        error.add_note(QUART_PATCH_HINT)


#: The note added when Flask's own ``current_app``/``request`` found no Flask context.
FLASK_EXTENSION_HINT = (
    "Hint: this error comes from Flask itself, imported by a Flask extension (or your"
    " code) next to Erlen: Flask's current_app, request and g cannot see Erlen's"
    " contexts, so Flask extensions do not run on an Erlen app. Use the extension's Quart"
    " counterpart through 'import erlen.quart_patch', or the quart-flask-patch package;"
    " see 'Quart extensions' in the porting guide (docs/porting.md)."
)


def add_flask_extension_hint(error: BaseException) -> None:
    """Add :data:`FLASK_EXTENSION_HINT` to the "Working outside of ... context" of one of
    Flask's own proxies: raised in ``werkzeug.local`` for a context variable that Flask
    made (``flask.app_ctx``, ``flask.request_ctx``). Erlen's proxies raise the same words
    for its own variables (``erlen.app_ctx``), which get no note."""
    if not isinstance(error, RuntimeError) or not str(error).startswith("Working outside"):
        return
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None or tb.tb_frame.f_globals.get("__name__") != "werkzeug.local":
        return
    variable = tb.tb_frame.f_locals.get("local")
    if not str(getattr(variable, "name", "")).startswith("flask."):
        return
    if FLASK_EXTENSION_HINT not in getattr(error, "__notes__", ()):
        error.add_note(FLASK_EXTENSION_HINT)


#: The note added when a sqlite3 connection was used from two threads in a request.
SQLITE_THREAD_HINT = (
    "Hint: Erlen runs sync views, hooks and teardown functions in a thread pool, as"
    " Quart does, so one request may use several threads (Flask uses one). Make the"
    " functions that use this connection 'async def' (they then run in the event loop's"
    " thread; a before_request hook and a teardown_appcontext function too), or open it"
    " with sqlite3.connect(..., check_same_thread=False). See 'From Flask' in the"
    " porting guide (docs/porting.md)."
)


def add_sqlite_thread_hint(error: BaseException) -> None:
    """Add :data:`SQLITE_THREAD_HINT` to sqlite3's "SQLite objects created in a thread
    can only be used in that same thread" (the Flask tutorial's ``get_db`` on ``g``)."""
    kind = type(error)
    if kind.__module__ != "sqlite3" or kind.__name__ != "ProgrammingError":
        return
    if "created in a thread" not in str(error):
        return
    if SQLITE_THREAD_HINT not in getattr(error, "__notes__", ()):
        error.add_note(SQLITE_THREAD_HINT)


def add_error_hints(error: BaseException) -> None:
    """Add the hints above that apply to ``error``: a forgotten ``await``, the real
    Quart used by an extension without :mod:`erlen.quart_patch`, Flask used by a Flask
    extension, a sqlite3 connection used from two threads."""
    add_await_hint(error)
    add_quart_patch_hint(error)
    add_flask_extension_hint(error)
    add_sqlite_thread_hint(error)


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
