"""URL matching without binding a werkzeug ``MapAdapter`` per request.

``MapAdapter.match`` needs an adapter bound to the request's host, which parses every
request header just to read ``Host``, although an app without host or subdomain matching
never uses the host to match. :class:`FastMatcher`, built once at freeze, answers the
common cases from the map's own state machine:

* a path equal to a rule with no converters: one dict lookup;
* any other path: werkzeug's matcher, called directly;
* no match: the same ``NotFound`` / ``MethodNotAllowed`` / ``WebsocketMismatch``
  ``MapAdapter.match`` raises.

Whatever it cannot answer exactly as ``MapAdapter.match`` would (redirects: strict
slashes, merged slashes, aliases, ``redirect_to``, rules with defaults) it declines by
returning ``None``, and the caller binds an adapter as before. The adapter for
``url_for`` is still bound lazily, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import WebsocketMismatch
from werkzeug.routing.exceptions import NoMatch

if TYPE_CHECKING:
    from werkzeug.routing import Map, Rule


class FastMatcher:
    """Match ``(path, method, websocket)`` against a frozen map; ``None`` = decline."""

    __slots__ = ("_domain", "_map", "_match", "_safe", "_static")

    def __init__(self, url_map: Map, domain: str) -> None:
        url_map.update()
        self._map = url_map
        self._domain = domain
        self._match = url_map._matcher.match
        # Rules whose match needs no post-processing by MapAdapter.match (no redirect, no
        # defaults to merge or to redirect to), by id: rules compare by value, unhashable.
        with_defaults = {rule.endpoint for rule in url_map.iter_rules() if rule.defaults}
        self._safe = frozenset(
            id(rule)
            for rule in url_map.iter_rules()
            if rule.redirect_to is None
            and not rule.alias
            and not rule.defaults
            and not (url_map.redirect_defaults and rule.endpoint in with_defaults)
        )
        self._static = _static_rules(url_map._matcher._root, domain)

    @classmethod
    def for_app(cls, app: Any) -> FastMatcher | None:
        """A matcher for ``app``, or ``None`` when matching depends on the host."""
        url_map = app.url_map
        if url_map.host_matching or app.subdomain_matching:
            return None
        if not hasattr(url_map, "_matcher"):  # another werkzeug: always bind an adapter
            return None
        return cls(url_map, url_map.default_subdomain or "")

    def match(self, path: str, method: str, websocket: bool) -> tuple[Rule, dict[str, Any]] | None:
        """``(rule, view_args)``; raises werkzeug's routing errors; ``None`` to decline."""
        if self._map._remap:  # a rule was added to the map directly, after freeze
            self.__init__(self._map, self._domain)  # type: ignore[misc]
        method = method.upper()
        rules = self._static.get(path)
        if rules is not None:
            for rule in rules:
                if (rule.methods is None or method in rule.methods) and (
                    rule.websocket == websocket
                ):
                    if id(rule) in self._safe:
                        return rule, {}
                    return None
        if path[:2] == "//":  # MapAdapter strips leading slashes first
            return None
        try:
            rule, values = self._match(self._domain, path, method, websocket)
        except NoMatch as e:
            if e.have_match_for:
                raise MethodNotAllowed(valid_methods=list(e.have_match_for)) from None
            if e.websocket_mismatch:
                raise WebsocketMismatch() from None
            raise NotFound() from None
        except Exception:  # redirects (RequestPath, RequestAliasRedirect): the adapter
            return None
        if id(rule) not in self._safe:
            return None
        return rule, values  # type: ignore[return-value]


def _static_rules(root: Any, domain: str) -> dict[str, tuple[Rule, ...]]:
    """Map each all-static path to the rules of its state, in the matcher's order."""
    table: dict[str, tuple[Rule, ...]] = {}
    start = root.static.get(domain)
    if start is None:
        return table
    pending: list[tuple[list[str], Any]] = [([], start)]
    while pending:
        parts, state = pending.pop()
        if state.rules and parts:
            table["/".join(parts)] = tuple(state.rules)
        for part, child in state.static.items():
            pending.append(([*parts, part], child))
    return table
