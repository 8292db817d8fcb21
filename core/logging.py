"""The app's logger: ``app.logger``, named after the app, as in Quart and Flask.

A handler is added only when nothing would show the app's records otherwise: when no
handler on the logger or its ancestors (up to where propagation stops) accepts the
logger's effective level. That handler is :data:`default_handler`, which the app can
remove (``app.logger.removeHandler(default_handler)``).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .appbase import AppBase

#: The handler added to ``app.logger`` when no configured handler would show its records:
#: stderr, ``[time] LEVEL in module: message``.
default_handler = logging.StreamHandler(sys.stderr)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


class LocalQueueHandler(logging.handlers.QueueHandler):
    """A :class:`~logging.handlers.QueueHandler` for a queue read in the same process.

    It puts the record on the queue as it is: the standard handler first formats the
    message and drops ``args`` and ``exc_info``, so that a record can cross a process
    boundary, which a local listener (a ``QueueListener`` thread keeping slow handlers off
    the event loop) does not need.
    """

    def emit(self, record: logging.LogRecord) -> None:
        """Put ``record`` on the queue unchanged."""
        try:
            self.enqueue(record)
        except Exception:
            self.handleError(record)


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler of ``logger`` or of an ancestor it propagates to takes records
    at ``logger``'s effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


#: The kernel's folder: records logged from code in it are the framework's.
_KERNEL_FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")


def _framework_records_read_in_app(record: logging.LogRecord) -> bool:
    """A filter of the app's logger: a record the kernel logs there (an unhandled error,
    a failed startup) reads ``ERROR in app: Exception on request GET /`` as in Flask and
    Quart, whose app module logs it, rather than naming the kernel module that did
    (``in appbase``, ``in errors``, ``in lifespan``). The app's own records keep theirs."""
    if record.pathname.startswith(_KERNEL_FOLDER):
        record.module = "app"
    return True


def printable(text: str) -> str:
    """``text`` as a log line may hold it: unchanged when printable, else with its control
    characters escaped as in ``repr`` (``\\n``, ``\\x1b``). A request's path is the
    client's: a decoded ``%0A`` must not start a forged line, nor ``%1B`` drive a terminal."""
    return text if text.isprintable() else repr(text)[1:-1]


def create_logger(app: AppBase) -> logging.Logger:
    """The logger named ``app.name``: level DEBUG in debug mode (if no level is set),
    and :data:`default_handler` if nothing else would show its records."""
    logger = logging.getLogger(app.name)
    logger.addFilter(_framework_records_read_in_app)  # once: addFilter skips a repeat
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
