"""Hook specifications of the ``websocket`` plugin (added through ``erlen_addhooks``).

All three are *compiled*: read once at freeze into a tuple of plain callables, like the
kernel's ``erlen_*_request`` hooks, so a hook nothing implements costs nothing per
connection. None of them runs per message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from erlen import hookspec

if TYPE_CHECKING:
    from erlen import Erlen
    from erlen.wrappers.response import Response

    from .wrapper import Websocket


@hookspec
def erlen_before_websocket(app: Erlen, websocket: Websocket) -> Any:
    """A websocket connection was matched and its context pushed; runs before the
    ``@app.before_websocket`` functions.

    Compiled. May be sync or async. The first implementation returning a non-None value
    short-circuits: that value becomes the handler's result (a response rejecting the
    handshake, if the connection was not accepted yet).
    """


@hookspec
def erlen_after_websocket(
    app: Erlen, websocket: Websocket, response: Response | None
) -> Response | None:
    """The websocket handler returned; runs after the ``@app.after_websocket`` functions.

    Compiled. May be sync or async. ``response`` is None when the handler returned
    nothing. A pipeline: return a new response, or None to keep the one given.
    """


@hookspec
def erlen_teardown_websocket(app: Erlen, websocket: Websocket, exc: BaseException | None) -> None:
    """The websocket connection is finished, whatever happened; ``exc`` is the error that
    ended it or None.

    Compiled. May be sync or async. All run; an error in one is logged, not raised.
    """
