"""The app a ``--reload`` worker serves while the real one fails to load.

A module being edited is often broken for a moment (a syntax error, an import of a name
not written yet). Without a worker, requests would wait in the listening socket's backlog
until the next change; instead every request gets a 500 page naming the error (the debug
traceback page of :mod:`erlen.debug`: the message, with file and line), until a change
makes the supervisor start a worker with the fixed app.
"""

from __future__ import annotations

from erlen import Erlen, Response
from erlen.debug import traceback_response
from erlen.discovery import NoAppException

#: Every method a browser or client may send while the app is broken.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def load_error_app(error: NoAppException) -> Erlen:
    """An app answering every request with a 500 page about ``error``: the exception that
    made the app fail to load (the ``SyntaxError`` with the broken line), when there is
    one. Discovery raises its one-line message ``from None``, which keeps the original
    as ``__context__``; the page shows that one rather than the loader's own frames."""
    cause = error.__cause__ or error.__context__ or error
    app = Erlen("erlen.reload", plugins=["serving"], static_folder=None)

    @app.route("/", defaults={"path": ""}, methods=METHODS)
    @app.route("/<path:path>", methods=METHODS)
    async def load_failed(path: str) -> Response:
        return await traceback_response(cause)

    return app
