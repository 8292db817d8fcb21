"""What runs for each endpoint, compiled once when the app freezes.

A :class:`Plan` holds one endpoint's function chains with blueprint scoping applied
(URL value preprocessors, before/after/teardown functions of each protocol), its view
made awaitable, and its error handlers. A :class:`Pipeline` holds an app's plans, its
compiled plugin hooks and which of Quart's pipeline methods the app overrides: the
protocol handlers read it instead of the registries, so a request does no registry
lookups and no pluggy call.

Everything here is valid because the registries cannot change after freeze (setup
methods raise :class:`~erlen.exceptions.AppFrozenError`); a plan asked for before freeze
(a test request context) is built from the registries as they are, and not kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..appbase import AppBase
from ..matching import FastMatcher
from ..pluginmanager import Compiled, compile_hook, compile_on_demand
from .errors import ErrorHandlers

if TYPE_CHECKING:
    from ..app import Erlen

#: The attribute Erlen's pipeline methods carry (:func:`step`): a method without it was
#: replaced by the app's class or instance.
STEP_MARK = "__erlen_step__"


def step(func: Any) -> Any:
    """Mark one of Erlen's own pipeline methods (a thin wrapper over a step function)."""
    setattr(func, STEP_MARK, True)
    return func


def overrides(app: Any, name: str) -> bool:
    """Whether ``app`` (its class or the instance) replaces Erlen's method ``name``."""
    return name in vars(app) or not getattr(getattr(type(app), name), STEP_MARK, False)


class Chains(NamedTuple):
    """One protocol's functions for one endpoint, in call order: ``before`` (app first,
    then outer to inner blueprint), ``after`` and ``teardown`` (innermost first, each
    registry in reverse), all awaitable."""

    before: tuple[Any, ...]
    after: tuple[Any, ...]
    teardown: tuple[Any, ...]


#: The registries of each protocol's chains (Scaffold's attribute names).
REGISTRIES = {
    "http": ("before_request_funcs", "after_request_funcs", "teardown_request_funcs"),
    "websocket": ("before_websocket_funcs", "after_websocket_funcs", "teardown_websocket_funcs"),
}


def blueprint_chain(name: str) -> tuple[str, ...]:
    """``"a.b.c"`` -> ``("a.b.c", "a.b", "a")``: a blueprint and its parents, innermost
    first."""
    parts = name.split(".")
    return tuple(".".join(parts[:i]) for i in range(len(parts), 0, -1))


class Plan:
    """The compiled chains of one endpoint (``None``: requests that matched nothing)."""

    __slots__ = (
        "blueprints",
        "chains",
        "endpoint",
        "errors",
        "flags",
        "http",
        "preprocessors",
        "view",
    )

    def __init__(self, app: Erlen, endpoint: str | None, errors: ErrorHandlers | None = None):
        self.endpoint = endpoint
        names = blueprint_chain(endpoint.rpartition(".")[0]) if endpoint and "." in endpoint else ()
        self.blueprints = names
        self.preprocessors = tuple(
            f
            for name in (None, *reversed(names))
            for f in app.url_value_preprocessors.get(name, ())
        )
        self.chains: dict[str, Chains] = {}
        view = app.view_functions.get(endpoint) if endpoint is not None else None
        self.view = app.ensure_async(view) if view is not None else None
        self.errors = errors if errors is not None else ErrorHandlers(app, names)
        #: What the HTTP pipeline may leave out for this endpoint (``HttpSteps.flags_of``).
        self.flags: tuple[bool, bool, bool, bool, bool] | None = None
        self.http = self.chains_for(app, "http")
        for protocol in REGISTRIES:
            self.chains_for(app, protocol)

    def chains_for(self, app: Erlen, protocol: str) -> Chains:
        """This endpoint's chains for ``protocol`` (a key of :data:`REGISTRIES`)."""
        chains = self.chains.get(protocol)
        if chains is None:
            before, after, teardown = REGISTRIES[protocol]
            outer_first = (None, *reversed(self.blueprints))
            inner_first = (*self.blueprints, None)
            ensure = app.ensure_async

            def chain(registry: dict[str | None, list[Any]], order: Any, rev: bool) -> Any:
                funcs = [
                    f
                    for name in order
                    for f in (reversed(registry.get(name, ())) if rev else registry.get(name, ()))
                ]
                return tuple(ensure(f) for f in funcs)

            chains = self.chains[protocol] = Chains(
                chain(getattr(app, before), outer_first, False),
                chain(getattr(app, after), inner_first, True),
                chain(getattr(app, teardown), inner_first, True),
            )
        return chains


class Hooks(NamedTuple):
    """One protocol's plugin hooks, compiled: ``(callable, is_async)`` pairs taking the
    spec's arguments positionally."""

    before: Compiled
    after: Compiled
    teardown: Compiled


NO_HOOKS = Hooks((), (), ())


def compile_hooks(app: Erlen, prefix: str, connection_arg: str) -> Hooks:
    """The plugin hooks ``{prefix}_before_{...}`` for one protocol, e.g.
    ``compile_hooks(app, "request", "request")`` reads ``erlen_before_request``,
    ``erlen_after_request`` and ``erlen_teardown_request``. A hook without a spec (its
    plugin is not loaded) compiles to nothing."""
    pm = app.plugin_manager
    found: list[Compiled] = []
    for stage, extra in (("before", ()), ("after", ("response",)), ("teardown", ("exc",))):
        name = f"erlen_{stage}_{prefix}"
        if not hasattr(pm.hook, name):
            found.append(())
            continue
        found.append(compile_hook(pm, name, ("app", connection_arg, *extra)))
    return Hooks(*found)


class Pipeline:
    """An app's compiled plans, plugin hooks and matcher (``app.freeze()`` builds it)."""

    def __init__(self, app: Erlen) -> None:
        self.app = app
        self.http_hooks = compile_hooks(app, "request", "request")
        pm = app.plugin_manager
        #: ``erlen_convert_return_value`` and ``erlen_handle_exception``, compiled: a view
        #: returning a type a plugin converts calls no pluggy machinery per request
        #: (None: an implementation is a wrapper, the hook is called through pluggy).
        self.convert_hooks = compile_on_demand(pm, "erlen_convert_return_value", ("app", "value"))
        self.exception_hooks = compile_on_demand(
            pm, "erlen_handle_exception", ("app", "request", "exc")
        )
        errors: dict[tuple[str, ...], ErrorHandlers] = {}
        plans: dict[str | None, Plan] = {}
        for endpoint in (
            None,
            *app.view_functions,
            *(r.endpoint for r in app.url_map.iter_rules()),
        ):
            if endpoint not in plans:
                names = (
                    blueprint_chain(endpoint.rpartition(".")[0])
                    if endpoint and "." in endpoint
                    else ()
                )
                shared = errors.get(names)
                if shared is None:
                    shared = errors[names] = ErrorHandlers(app, names)
                plans[endpoint] = Plan(app, endpoint, shared)
        self.plans = plans
        #: Matches without binding a werkzeug adapter; None binds one per request with
        #: ``app.create_url_adapter``, which an app overriding it gets (Flask/Quart call
        #: it per request): decided here, so other apps pay nothing for it.
        self.matcher = None if adapter_overridden(app) else FastMatcher.for_app(app)

    def plan_for(self, connection: Any) -> Plan:
        """The plan of the endpoint ``connection`` matched."""
        rule = connection.url_rule
        if rule is None:
            return self.plans[None]
        plan = self.plans.get(rule.endpoint)
        if plan is None:  # a rule added to url_map after freeze: its endpoint's view
            plan = self.plans[rule.endpoint] = Plan(self.app, rule.endpoint)
        return plan


def adapter_overridden(app: Erlen) -> bool:
    """Whether ``app`` (its class or the instance) replaces ``create_url_adapter``."""
    return (
        "create_url_adapter" in vars(app)
        or type(app).create_url_adapter is not AppBase.create_url_adapter
    )


def plan_for(app: Erlen, connection: Any) -> Plan:
    """The plan of the endpoint ``connection`` matched (None: outside any connection, the
    plan of no endpoint); before ``app`` freezes, one built from the registries as they
    are now (not kept)."""
    rule = connection.url_rule if connection is not None else None
    pipeline: Pipeline | None = app.__dict__.get("_pipeline")
    if pipeline is not None:
        if rule is None:
            return pipeline.plans[None]
        return pipeline.plan_for(connection)
    return Plan(app, rule.endpoint if rule is not None else None)
