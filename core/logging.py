"""The app's logger: ``app.logger``, named after the app, as in Quart and Flask.

A handler is added only when nothing would show the app's records otherwise: when no
handler on the logger or its ancestors (up to where propagation stops) accepts the
logger's effective level. That handler is :data:`default_handler`, which the app can
remove (``app.logger.removeHandler(default_handler)``).
"""

from __future__ import annotations

import logging
import logging.handlers
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


def create_logger(app: AppBase) -> logging.Logger:
    """The logger named ``app.name``: level DEBUG in debug mode (if no level is set),
    and :data:`default_handler` if nothing else would show its records."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
