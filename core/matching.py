"""URL matching without binding a werkzeug ``MapAdapter`` per request.

``MapAdapter.match`` needs an adapter bound to the request's host, which parses every
request header just to read ``Host``, although an app without host matching uses the
host only to find the subdomain, which is always the same without ``SERVER_NAME``.
:class:`FastMatcher`, built once at freeze for one subdomain, answers the common cases
from the map's own state machine (for a connection with that subdomain):

* a path equal to a rule with no converters: one dict lookup;
* any other path: the walk werkzeug's ``StateMachineMatcher.match`` does, over the same
  states in the same order, with the transitions' regular expressions compiled once
  (werkzeug looks each one up in ``re``'s cache on every request), and the state its
  static descent reaches remembered per path prefix (the part before the last "/");
* no match: ``NotFound`` straight away when the walk died before reaching any state
  with rules (werkzeug's walk would end the same way, with nothing to report);
  otherwise werkzeug's matcher, called directly, for the same ``NotFound`` /
  ``MethodNotAllowed`` / ``WebsocketMismatch`` ``MapAdapter.match`` raises.

Whatever it cannot answer exactly as ``MapAdapter.match`` would (redirects: strict
slashes, merged slashes, aliases, ``redirect_to``, rules with defaults) it declines by
returning ``None``, and the caller binds an adapter as before. The adapter for
``url_for`` is still bound lazily, on first use.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import ValidationError, WebsocketMismatch
from werkzeug.routing.exceptions import NoMatch

from .routing import subdomain_of

if TYPE_CHECKING:
    from werkzeug.routing import Map, Rule

#: Bounds of :meth:`FastMatcher.serves`'s verdicts: hosts a client can make up are many.
_MAX_HOST_VERDICTS = 256
_MAX_CACHED_HOST = 256


class FastMatcher:
    """Match ``(path, method, websocket)`` against a frozen map; ``None`` = decline."""

    __slots__ = (
        "_domain",
        "_descents",
        "_fixed_subdomain",
        "_host_verdicts",
        "hostless_generation",
        "_app",
        "_dynamic",
        "_match",
        "_root",
        "_safe",
        "_start",
        "_static",
        "http_static",
        "url_map",
    )

    def __init__(
        self, url_map: Map, domain: str, fixed_subdomain: bool = False, app: Any = None
    ) -> None:
        url_map.update()
        self.url_map = url_map
        #: The app whose connections :meth:`match_connection` matches (its config says
        #: whether hosts are checked; its ``create_url_adapter`` answers what this declines).
        self._app = app
        self._domain = domain
        #: Whether the host plays no part in matching (see :meth:`serves`).
        self._fixed_subdomain = fixed_subdomain
        #: The config generation at which :meth:`serves` found that no host is checked.
        self.hostless_generation = -1
        #: ``(scheme, Host header, SERVER_NAME)`` -> whether such a connection has this
        #: matcher's subdomain (see :meth:`serves`); at most ``_MAX_HOST_VERDICTS``.
        self._host_verdicts: dict[tuple[str, str, str], bool] = {}
        self._match = url_map._matcher.match
        # Rules whose match needs no post-processing by MapAdapter.match (no redirect, no
        # defaults to merge or to redirect to), by id: rules compare by value, unhashable.
        with_defaults = {rule.endpoint for rule in url_map.iter_rules() if rule.defaults}
        # Each maps to its converters as ``(str(name), converter)`` pairs, in werkzeug's order.
        self._safe: dict[int, tuple[tuple[str, Any], ...]] = {
            id(rule): tuple((str(name), conv) for name, conv in rule._converters.items())
            for rule in url_map.iter_rules()
            if rule.redirect_to is None
            and not rule.alias
            and not rule.defaults
            and not (url_map.redirect_defaults and rule.endpoint in with_defaults)
        }
        self._root = url_map._matcher._root
        self._static = _static_rules(self._root, domain)
        #: For each all-static path, ``{method: rule}`` of an HTTP request (see
        #: :func:`_http_static_rules`); valid while ``url_map._remap`` is false.
        self.http_static = _http_static_rules(self._static, self._safe)
        self._dynamic = _dynamic_transitions(self._root)
        # Every path starts with "/", so parts are [domain, "", ...] (at least 3): when the
        # root and the domain's state are static-only, the descent always passes them.
        #: Where the static descent of ``match`` ends, by the path before its last "/",
        #: for the prefixes whose descent reached the last part (filled as they are seen).
        self._descents: dict[str, Any] = {}
        self._start: Any = None
        state = self._root
        for part in (domain, ""):
            if id(state) in self._dynamic or part not in state.static:
                break
            state = state.static[part]
        else:
            self._start = state

    @classmethod
    def for_app(cls, app: Any) -> FastMatcher | None:
        """A matcher for ``app``, or ``None`` when matching depends on the whole host."""
        url_map = app.url_map
        if url_map.host_matching:
            return None
        if not hasattr(url_map, "_matcher"):  # another werkzeug: always bind an adapter
            return None
        if not hasattr(app.config, "generation"):  # not Erlen's Config: changes untracked
            return None
        if url_map.default_subdomain and not app.subdomain_matching:
            # Every connection is bound with the default subdomain, whatever its host.
            return cls(url_map, url_map.default_subdomain, fixed_subdomain=True, app=app)
        return cls(url_map, "", app=app)

    def serves(self, connection: Any, config: Any) -> bool:
        """Whether this matcher may match ``connection`` with the app's ``config``: no
        trusted-host list to check (``TRUSTED_HOSTS``, or the request class's own
        ``trusted_hosts``), and the connection's host has the subdomain this matcher
        matches (``AppBase._bind_adapter`` gives the rules for binding). When that holds
        whatever the host is, ``hostless_generation`` records the config's generation, so
        that the caller can skip this call until the config changes."""
        if config["TRUSTED_HOSTS"] is not None or connection.trusted_hosts is not None:
            return False  # the adapter's binding checks the host (400 when untrusted)
        server_name = config["SERVER_NAME"]
        if server_name is None or self._fixed_subdomain:
            self.hostless_generation = config.generation
            return True
        header = connection._header(b"host")
        if header is None:  # the host is the server's address
            return subdomain_of(connection.host, server_name, connection.scheme) == self._domain
        # With no trusted-host list, ``connection.host`` is a function of the scheme and
        # the Host header alone (Request.host caches it on the same ground), so the
        # verdict is one of (scheme, header, SERVER_NAME), remembered per matcher.
        # tests/core/test_host_routing.py (test_host_verdicts_follow_each_host).
        key = (connection.scheme, header, server_name)
        verdict = self._host_verdicts.get(key)
        if verdict is None:
            verdict = subdomain_of(connection.host, server_name, key[0]) == self._domain
            if len(header) <= _MAX_CACHED_HOST:
                if len(self._host_verdicts) >= _MAX_HOST_VERDICTS:
                    self._host_verdicts.clear()
                self._host_verdicts[key] = verdict
        return verdict

    def match_connection(self, connection: Any, websocket: bool = False) -> None:
        """The match step of a connection (a request or websocket) of the app: set its
        ``url_rule`` and ``view_args``, or its ``routing_exception`` (404, 405, websocket
        mismatch). This matcher answers while hosts are not checked (no ``TRUSTED_HOSTS``)
        and the connection has the subdomain it matches (always without ``SERVER_NAME``);
        otherwise, and for what :meth:`match` declines, :func:`match_with_adapter`
        binds a werkzeug adapter. tests/core/test_hot_path.py compares both on the routing
        corner cases, tests/core/test_host_routing.py on hosts (and on config changed
        after freeze)."""
        app = self._app
        config = app.config
        # The config has not changed since serves() found that no host is checked.
        if config.generation == self.hostless_generation or self.serves(connection, config):
            path = connection.path
            method = connection.method
            if not websocket and not self.url_map._remap:
                # http_static is match()'s answer for every all-static path, precomputed:
                # valid while no rule was added to the map after freeze (``_remap``).
                # tests/core/test_hot_path.py (test_static_table_agrees_with_match).
                by_method = self.http_static.get(path)
                if by_method is not None:
                    rule = by_method.get(method)
                    if rule is not None:
                        connection.url_rule = rule
                        connection.view_args = {}
                        return
            try:
                found = self.match(path, method, websocket)
            except HTTPException as exc:
                keep_routing_error(connection, exc)
                return
            if found is not None:
                connection.url_rule, connection.view_args = found
                return
        match_with_adapter(app, connection, websocket)

    def match(self, path: str, method: str, websocket: bool) -> tuple[Rule, dict[str, Any]] | None:
        """``(rule, view_args)``; raises werkzeug's routing errors; ``None`` to decline."""
        if self.url_map._remap:  # a rule was added to the map directly, after freeze
            self.__init__(self.url_map, self._domain, self._fixed_subdomain, self._app)  # type: ignore[misc]
        if not method.isupper():
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
        prefix, _slash, tail = path.rpartition("/")
        state = self._descents.get(prefix)
        if state is not None:
            # The descent below reached this state at the last part before: only the
            # last part is left to walk (the walk reads parts from pos on, so a list of
            # that one part at 0 is the same walk).
            if tail and tail not in state.static and id(state) not in self._dynamic:
                # No transition for the last part: werkzeug's walk ends here too,
                # having seen no rule (so no other method, no websocket mismatch).
                _no_rule_on_the_way(path)
                found = None
            else:
                try:
                    found = self._walk(state, [tail], 0, [], method, websocket)
                except _Decline:
                    return None
        else:
            parts = [self._domain, *path.split("/")]
            # Descend without recursion while the state has only static transitions and
            # parts remain after this one: there werkzeug's walk can only follow the
            # static child, so the answer from the child is the answer from the state.
            state, pos, last, dynamic = self._root, 0, len(parts) - 1, self._dynamic
            if self._start is not None and last >= 2:  # the descent through domain and "/"
                state, pos = self._start, 2
            while pos < last and id(state) not in dynamic:
                state = state.static.get(parts[pos])
                if state is None:  # as above: the walk ends here having seen no rule
                    _no_rule_on_the_way(path)
                    found = None
                    break
                pos += 1
            else:
                if pos == last:
                    # Where a descent ends depends on the parts before the last alone:
                    # remember it for that prefix. Only states of the map are kept, one
                    # per static prefix of a rule, so the table stays that small.
                    self._descents[prefix] = state
                try:
                    found = self._walk(state, parts, pos, [], method, websocket)
                except _Decline:
                    return None
        if found is not None:
            rule, raw_values = found
            converters = self._safe.get(id(rule))
            if converters is None:
                return None
            values: dict[str, Any] = {}
            try:
                for (name, converter), raw in zip(converters, raw_values, strict=False):
                    values[name] = converter.to_python(raw)
            except ValidationError:
                return None  # werkzeug's answer depends on the whole walk: let it decide
            return rule, values
        try:
            rule, values = self._match(self._domain, path, method, websocket)  # type: ignore[assignment]
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

    def _walk(
        self,
        state: Any,
        parts: list[str],
        pos: int,
        values: list[str],
        method: str,
        websocket: bool,
    ) -> tuple[Rule, list[str]] | None:
        """``StateMachineMatcher.match``'s inner ``_match``, from index ``pos`` of ``parts``."""
        if pos == len(parts):
            rule = _walk_rules(state, method, websocket, False)
            if rule is not None:
                return rule, values
            slash = state.static.get("")
            if slash is not None:
                for rule in slash.rules:
                    if rule.websocket == websocket and (
                        rule.methods is None or method in rule.methods
                    ):
                        if rule.strict_slashes:
                            raise _Decline  # werkzeug redirects to the path with a slash
                        return rule, values
            return None
        part = parts[pos]
        child = state.static.get(part)
        if child is not None:
            found = self._walk(child, parts, pos + 1, values, method, websocket)
            if found is not None:
                return found
        for pattern, final, suffixed, names, next_state in self._dynamic.get(id(state), ()):
            if final:
                match = pattern.match("/".join(parts[pos:]))
                next_pos = len(parts)
            else:
                match = pattern.match(part)
                next_pos = pos + 1
            if match is not None:
                if suffixed and match.groups()[-1] == "/":
                    raise _Decline  # a slash suffix: werkzeug's slash redirect logic
                if len(names) == 1:
                    captured = [*values, match.group(names[0])]
                else:
                    captured = [*values, *(match.group(name) for name in names)]
                if next_pos == len(parts):  # the last part: the common end of a walk
                    for rule in next_state.rules:  # _walk_rules(..., False), inline
                        if (
                            rule.methods is None or method in rule.methods
                        ) and rule.websocket == websocket:
                            return rule, captured
                found = self._walk(next_state, parts, next_pos, captured, method, websocket)
                if found is not None:
                    return found
        if pos == len(parts) - 1 and part == "":
            rule = _walk_rules(state, method, websocket, True)
            if rule is not None:
                return rule, values
        return None


def _no_rule_on_the_way(path: str) -> None:
    """Raise werkzeug's answer for a walk that ended without reaching a state with rules:
    ``NotFound``, unless merging slashes makes it walk again another path."""
    if "//" not in path:
        raise NotFound()


class _Decline(Exception):
    """The walk reached a case werkzeug answers with a redirect."""


def _walk_rules(state: Any, method: str, websocket: bool, skip_strict: bool) -> Rule | None:
    for rule in state.rules:
        if skip_strict and rule.strict_slashes:
            continue
        if (rule.methods is None or method in rule.methods) and rule.websocket == websocket:
            return rule  # type: ignore[no-any-return]
    return None


def _dynamic_transitions(root: Any) -> dict[int, list[tuple[Any, bool, bool, list[str], Any]]]:
    """For each state (by id): its dynamic transitions in werkzeug's order, each as
    ``(compiled regex, final, suffixed, converter group names in order, next state)``."""
    table: dict[int, list[tuple[Any, bool, bool, list[str], Any]]] = {}
    pending = [root]
    while pending:
        state = pending.pop()
        pending.extend(state.static.values())
        if not state.dynamic:
            continue
        transitions = []
        for part, next_state in state.dynamic:
            pattern = re.compile(part.content)
            names = sorted(
                (name for name in pattern.groupindex if name.startswith("__werkzeug_")),
                key=lambda name: int(name[11:]),
            )
            transitions.append((pattern, part.final, part.suffixed, names, next_state))
            pending.append(next_state)
        table[id(state)] = transitions
    return table


def keep_routing_error(connection: Any, error: HTTPException) -> None:
    """Keep ``error`` as ``connection.routing_exception``, raised again when the
    connection is dispatched, without the traceback of the match (nor of werkzeug's
    ``RequestPath``/``SlashRequired`` it was raised from): the match's frames hold the
    connection, which holds the error, a reference cycle that kept every 404, 405 and
    redirect's request and contexts for the garbage collector
    (tests/core/test_reference_cycles.py)."""
    error.__traceback__ = None
    error.__context__ = None
    connection.routing_exception = error


def match_with_adapter(app: Any, connection: Any, websocket: bool = False) -> None:
    """The match step through a werkzeug adapter that ``app.create_url_adapter`` binds
    for ``connection``: set its ``url_rule`` and ``view_args``, or its
    ``routing_exception`` (404, 405, redirect, websocket mismatch, 400 for an untrusted
    ``Host``)."""
    try:
        # Binding reads connection.host, which raises 400 for an untrusted Host header.
        adapter = app.create_url_adapter(connection)
        rule, view_args = adapter.match(return_rule=True, websocket=websocket)
    except HTTPException as exc:
        keep_routing_error(connection, exc)
    else:
        connection.url_rule = rule
        connection.view_args = view_args


def _http_static_rules(
    static: dict[str, tuple[Rule, ...]], safe: dict[int, Any]
) -> dict[str, dict[str, Rule | None]]:
    """For each all-static path, the rule each method of an HTTP request gets there (the
    first in the matcher's order), ``None`` where the answer needs werkzeug (a redirect
    or defaults). Paths with a rule that takes any method are left out."""
    table: dict[str, dict[str, Rule | None]] = {}
    for path, rules in static.items():
        http_rules = [rule for rule in rules if not rule.websocket]
        if any(rule.methods is None for rule in http_rules):
            continue
        by_method: dict[str, Rule | None] = {}
        for rule in http_rules:
            for method in rule.methods:  # type: ignore[union-attr]
                by_method.setdefault(method, rule if id(rule) in safe else None)
        table[path] = by_method
    return table


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
