"""Hook specifications of the ``serving`` plugin (added through ``erlen_addhooks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from erlen import hookspec

if TYPE_CHECKING:
    from erlen import Erlen


# --- server settings (startup) ------------------------------------------------------


@hookspec
def erlen_server_settings(app: Erlen) -> dict[str, Any] | None:
    """Return hypercorn settings (``{"websocket_max_message_size": 1048576}``) that
    ``app``'s config asks for.

    Startup: called each time the serving plugin builds the server config for ``app``
    (``kernel run``, ``app.run()``, ``app.run_task()``, each worker process, and the
    testing plugin's ``serve_app``). All run; the dicts are applied in call order on top
    of the command-line options and the hypercorn config file (None sets nothing), so a
    setting that follows the app's config wins over a config file. The websocket plugin maps
    ``WEBSOCKET_MAX_MESSAGE_SIZE`` to hypercorn's ``websocket_max_message_size`` here.
    """
