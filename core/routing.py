"""URL rules and maps as Quart defines them: werkzeug's, with what an app needs on top.

:class:`ErlenRule` is werkzeug's :class:`~werkzeug.routing.Rule` that also records whether
``OPTIONS`` is answered automatically (``provide_automatic_options``) and takes Quart's
keyword arguments; :class:`ErlenMap` is werkzeug's :class:`~werkzeug.routing.Map` that
binds to a request or websocket (:meth:`ErlenMap.bind_to_request`). They are the default
``url_rule_class`` and ``url_map_class`` of :class:`~erlen.Erlen` (Quart's ``QuartRule``
and ``QuartMap`` under ``erlen.quart_patch``).

Host and subdomain rules, as in Quart: with ``SERVER_NAME`` set, a request's subdomain is
the part of its ``Host`` before ``SERVER_NAME`` (``api`` for ``api.example.com`` under
``example.com``), so subdomain routes and blueprints match whether or not the app was
made with ``subdomain_matching``; a request for a host that is not ``SERVER_NAME`` or one
of its subdomains warns (:class:`UserWarning`) and is answered 404. Without
``SERVER_NAME`` every request has the empty subdomain. Default ports (80 for ``http`` and
``ws``, 443 for ``https`` and ``wss``) and letter case do not count in the comparison;
any other port does.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.routing import Map, MapAdapter, Rule

from .wrappers.base import BaseRequestWebsocket

__all__ = ["BaseRequestWebsocket", "ErlenMap", "ErlenRule", "Map", "MapAdapter", "Rule"]

#: The subdomain a foreign host is bound with: it matches no rule of a fixed subdomain
#: (Erlen also refuses it for rules with a ``<variable>`` subdomain, see
#: ``AppBase._bind_adapter``).
INVALID_SUBDOMAIN = "<invalid>"

_DEFAULT_PORTS = {"http": ":80", "ws": ":80", "https": ":443", "wss": ":443"}


class ErlenRule(Rule):
    """A URL rule: werkzeug's :class:`~werkzeug.routing.Rule` plus
    ``provide_automatic_options`` (whether the app answers ``OPTIONS`` for it).

    The positional order after ``string`` is Quart's (``defaults, subdomain, methods,
    endpoint, strict_slashes, merge_slashes, host, websocket``); werkzeug's
    ``build_only``, ``redirect_to`` and ``alias`` are keyword-only.
    """

    def __init__(
        self,
        string: str,
        defaults: Mapping[str, Any] | None = None,
        subdomain: str | None = None,
        methods: Iterable[str] | None = None,
        endpoint: Any | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        host: str | None = None,
        websocket: bool = False,
        provide_automatic_options: bool = False,
        *,
        build_only: bool = False,
        redirect_to: str | Callable[..., str] | None = None,
        alias: bool = False,
    ) -> None:
        super().__init__(
            string,
            defaults=defaults,
            subdomain=subdomain,
            methods=methods,
            build_only=build_only,
            endpoint=endpoint,
            strict_slashes=strict_slashes,
            merge_slashes=merge_slashes,
            redirect_to=redirect_to,
            alias=alias,
            host=host,
            websocket=websocket,
        )
        self.provide_automatic_options = provide_automatic_options

    def get_empty_kwargs(self) -> Mapping[str, Any]:
        """The arguments ``rule.empty()`` copies the rule with (werkzeug's, and the ones it
        leaves out: ``merge_slashes``, ``websocket``, ``provide_automatic_options``)."""
        return {
            **super().get_empty_kwargs(),
            "merge_slashes": self.merge_slashes,
            "websocket": self.websocket,
            "provide_automatic_options": self.provide_automatic_options,
        }


class ErlenMap(Map):
    """A URL map: werkzeug's :class:`~werkzeug.routing.Map` that binds to a connection."""

    def bind_to_request(
        self, request: BaseRequestWebsocket, subdomain: str | None, server_name: str | None
    ) -> MapAdapter:
        """A :class:`~werkzeug.routing.MapAdapter` for ``request`` (a request or websocket).

        ``server_name`` (the app's ``SERVER_NAME``; ``None`` for the request's host) is
        the host the adapter is bound to. When ``subdomain`` is ``None`` and the map does
        not match hosts, the subdomain is read from the request's host under
        ``server_name``; a host outside it warns (:class:`UserWarning`) and gets a
        subdomain no rule has, so matching it raises ``NotFound``.
        """
        host = _normalised(request.scheme, request.host if server_name is None else server_name)
        if subdomain is None and not self.host_matching:
            subdomain = subdomain_of(request.host, host, request.scheme)
            if subdomain is None:
                warn_foreign_host(request.host, host)
                subdomain = INVALID_SUBDOMAIN
        return self.bind(
            host,
            request.root_path,
            subdomain,
            request.scheme,
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
        )


def subdomain_of(host: str, server_name: str, scheme: str) -> str | None:
    """The subdomain of ``host`` under ``server_name`` (``""`` for ``server_name``
    itself), or ``None`` when ``host`` is neither. Case and ``scheme``'s default port
    are ignored.

    >>> subdomain_of("API.example.com:443", "example.com", "https")
    'api'
    """
    host = _normalised(scheme, host)
    server_name = _normalised(scheme, server_name)
    if host == server_name:
        return ""
    if not host.endswith("." + server_name):
        return None
    return ".".join(label for label in host[: -len(server_name) - 1].split(".") if label)


def warn_foreign_host(host: str, server_name: str) -> None:
    """Warn that a request's ``host`` is not under the configured ``server_name``."""
    warnings.warn(
        f"Current server name {host!r} doesn't match configured server name"
        f" {server_name!r}: the request is answered 404",
        UserWarning,
        stacklevel=3,
    )


def _normalised(scheme: str, host: str) -> str:
    host = host.lower()
    port = _DEFAULT_PORTS.get(scheme)
    if port is not None and host.endswith(port):
        return host[: -len(port)]
    return host
