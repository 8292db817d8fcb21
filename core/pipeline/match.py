"""The match step: a connection's URL rule and arguments, or its routing error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..matching import match_with_adapter

if TYPE_CHECKING:
    from ..app import Erlen
    from ..matching import FastMatcher


def match_request(
    app: Erlen, matcher: FastMatcher | None, connection: Any, websocket: bool = False
) -> None:
    """Match ``connection`` (a request or websocket) against ``app``'s URL map: set its
    ``url_rule`` and ``view_args``, or its ``routing_exception`` (404, 405, redirect,
    websocket mismatch), with ``matcher`` (:meth:`FastMatcher.match_connection
    <erlen.matching.FastMatcher.match_connection>`), or without one through a bound
    werkzeug adapter."""
    if matcher is not None:
        matcher.match_connection(connection, websocket)
    else:
        match_with_adapter(app, connection, websocket)
