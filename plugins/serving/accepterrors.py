"""One log line now and then, not a traceback per attempt, while the process cannot accept
connections for want of descriptors (or memory).

When every file descriptor is taken (clients holding websockets or keep-alive
connections up to ``ulimit -n``), asyncio's accept loop fails with ``EMFILE``, reports it
through the loop's exception handler with a traceback, and tries again: up to the listen
backlog times per turn, and again a second later (CPython 3.11-3.13 go on trying in the
same turn after the first failure). Under ``kernel run`` that was about 1,200 tracebacks,
500 KB of log, per second for as long as the descriptors stayed taken: a client able to
hold the connections could fill the disk. New connections wait in the listen backlog
meanwhile, and are accepted as descriptors come free: that part is asyncio's and right.

:func:`report_accept_errors` wraps the loop's exception handler: the first such failure
is logged at once as one line, naming the error and what to do; later ones are counted
and summed up in one line at most every :data:`REPORT_INTERVAL` seconds. Everything
else goes to the handler as before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

#: asyncio's message for an accept that failed for want of a resource (EMFILE, ENFILE,
#: ENOBUFS, ENOMEM), in ``BaseSelectorEventLoop._accept_connection``.
ACCEPT_ERROR_MESSAGE = "socket.accept() out of system resource"
#: The fewest seconds between two lines about failed accepts.
REPORT_INTERVAL = 10.0

logger = logging.getLogger("erlen.server")


class AcceptErrorReport:
    """The loop's exception handler, with failed accepts counted and reported sparingly."""

    __slots__ = ("last_report", "previous", "unreported")

    def __init__(self, previous: Any) -> None:
        self.previous = previous
        self.last_report: float | None = None
        self.unreported = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_ERROR_MESSAGE:
            if self.previous is not None:
                self.previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        self.unreported += 1
        now = loop.time()
        if self.last_report is not None and now - self.last_report < REPORT_INTERVAL:
            return
        error = context.get("exception")
        logger.error(
            "Cannot accept new connections: %s (%d failed accepts since the last report); "
            "they wait in the listen backlog until descriptors come free. Raise the "
            "descriptor limit (ulimit -n) or lower the connections clients may hold.",
            error,
            self.unreported,
        )
        self.last_report = now
        self.unreported = 0


def report_accept_errors(loop: asyncio.AbstractEventLoop) -> Any:
    """Install :class:`AcceptErrorReport` over ``loop``'s exception handler; the handler
    it replaced, for the caller to put back."""
    previous = loop.get_exception_handler()
    loop.set_exception_handler(AcceptErrorReport(previous))
    return previous
