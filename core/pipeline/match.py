"""The match step: a connection's URL rule and arguments, or its routing error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

if TYPE_CHECKING:
    from ..app import Erlen
    from ..matching import FastMatcher


def match_request(
    app: Erlen, matcher: FastMatcher | None, connection: Any, websocket: bool = False
) -> None:
    """Match ``connection`` (a request or websocket) against ``app``'s URL map: set its
    ``url_rule`` and ``view_args``, or its ``routing_exception`` (404, 405, redirect,
    websocket mismatch).

    ``matcher`` answers without binding a werkzeug adapter while hosts are not checked
    (no ``TRUSTED_HOSTS``) and the connection has the subdomain it matches (always without
    ``SERVER_NAME``); when it declines (or there is none) an adapter is bound.
    tests/core/test_hot_path.py compares both on the routing corner cases,
    tests/core/test_host_routing.py on hosts (and on config changed after freeze)."""
    if matcher is not None and (
        # The config has not changed since the matcher found that no host is checked.
        app.config.generation == matcher.hostless_generation
        or matcher.serves(connection, app.config)
    ):
        try:
            found = matcher.match(connection.path, connection.method, websocket)
        except HTTPException as exc:
            connection.routing_exception = exc
            return
        if found is not None:
            connection.url_rule, connection.view_args = found
            return
    try:
        # Binding reads connection.host, which raises 400 for an untrusted Host header.
        adapter = app.create_url_adapter(connection)
        rule, view_args = adapter.match(return_rule=True, websocket=websocket)  # type: ignore[union-attr]
    except HTTPException as exc:
        connection.routing_exception = exc
    else:
        connection.url_rule = rule
        connection.view_args = view_args
