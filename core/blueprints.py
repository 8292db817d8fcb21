"""Blueprints: groups of routes and lifecycle functions registered on an app later.

A blueprint records what it should do; ``app.register_blueprint(bp)`` replays it with the
blueprint's URL prefix, subdomain and dotted name. Blueprints nest (``bp.register_blueprint``).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .appgroup import AppGroup
from .globals import current_app
from .helpers import send_from_directory
from .scaffold import Scaffold, _sentinel, endpoint_from_view_func, setupmethod

if TYPE_CHECKING:
    from .app import Erlen

T = TypeVar("T", bound=Callable[..., Any])
DeferredSetupFunction = Callable[["BlueprintSetupState"], Any]


class BlueprintSetupState:
    """What a deferred blueprint function needs while it is registered on an app."""

    def __init__(
        self, blueprint: Blueprint, app: Erlen, options: dict[str, Any], first_registration: bool
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        subdomain = self.options.get("subdomain")
        if subdomain is None:
            subdomain = self.blueprint.subdomain
        self.subdomain = subdomain
        url_prefix = self.options.get("url_prefix")
        if url_prefix is None:
            url_prefix = self.blueprint.url_prefix
        self.url_prefix = url_prefix
        self.name = self.options.get("name", blueprint.name)
        self.name_prefix = self.options.get("name_prefix", "")
        self.url_defaults = dict(self.blueprint.url_values_defaults)
        self.url_defaults.update(self.options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        """Register a rule on the app, prefixed with the blueprint's URL and name."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A set of routes and handlers to register on an app, under a name and URL prefix.

    Its ``cli`` commands go to a command group named ``cli_group``: by default (or with
    ``cli_group=...``) the blueprint's name; with ``None``, straight onto the app's CLI.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,  # type: ignore[assignment]
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = url_defaults or {}
        self.cli_group = cli_group
        self.cli = AppGroup()
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any"
                " changes will not be applied consistently."
            )

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` whenever the blueprint is registered on an app."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like :meth:`record`, but only on the first registration."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(wrapper)

    def make_setup_state(
        self, app: Erlen, options: dict[str, Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """Create the state object passed to deferred functions."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest ``blueprint`` in this one; its endpoints become ``self.child.view``."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: Erlen, options: dict[str, Any]) -> None:
        """Register this blueprint (and its nested ones) on ``app``."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for"
                f" {bp_desc} blueprint{existing_at}. Use 'name=' to"
                " provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        if first_bp_registration or first_name_registration:
            self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        cli_resolved_group = options.get("cli_group", self.cli_group)
        if self.cli.commands:
            if cli_resolved_group is None:
                app.cli.commands.update(self.cli.commands)
            elif cli_resolved_group is _sentinel or cli_resolved_group is Ellipsis:
                # ``cli_group=...`` spells the default: a group named after the blueprint.
                self.cli.name = name
                app.cli.add_command(self.cli)
            else:
                self.cli.name = cli_resolved_group
                app.cli.add_command(self.cli)
        for blueprint, bp_options in self._blueprints:
            bp_options = bp_options.copy()
            bp_url_prefix = bp_options.get("url_prefix")
            bp_subdomain = bp_options.get("subdomain")
            if bp_subdomain is None:
                bp_subdomain = blueprint.subdomain
            if state.subdomain is not None and bp_subdomain is not None:
                bp_options["subdomain"] = bp_subdomain + "." + state.subdomain
            elif bp_subdomain is not None:
                bp_options["subdomain"] = bp_subdomain
            elif state.subdomain is not None:
                bp_options["subdomain"] = state.subdomain
            if bp_url_prefix is None:
                bp_url_prefix = blueprint.url_prefix
            if state.url_prefix is not None and bp_url_prefix is not None:
                bp_options["url_prefix"] = (
                    state.url_prefix.rstrip("/") + "/" + bp_url_prefix.lstrip("/")
                )
            elif bp_url_prefix is not None:
                bp_options["url_prefix"] = bp_url_prefix
            elif state.url_prefix is not None:
                bp_options["url_prefix"] = state.url_prefix
            bp_options["name_prefix"] = name
            blueprint.register(app, bp_options)

    def _merge_blueprint_funcs(self, app: Erlen, name: str) -> None:
        def extend(bp_dict: dict[Any, list[Any]], parent_dict: dict[Any, list[Any]]) -> None:
            for key, values in bp_dict.items():
                key = name if key is None else f"{name}.{key}"
                parent_dict.setdefault(key, []).extend(values)

        for key, value in self.error_handler_spec.items():
            key = name if key is None else f"{name}.{key}"
            target = app.error_handler_spec.setdefault(key, defaultdict(dict))
            for code, handlers in value.items():
                target.setdefault(code, {}).update(handlers)
        # Functions given with @bp.endpoint(name) are registered under that exact name.
        app.view_functions.update(self.view_functions)
        for registry in (
            "before_request_funcs",
            "after_request_funcs",
            "teardown_request_funcs",
            "url_default_functions",
            "url_value_preprocessors",
            "template_context_processors",
            "before_websocket_funcs",
            "after_websocket_funcs",
            "teardown_websocket_funcs",
        ):
            extend(getattr(self, registry), getattr(app, registry))

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Record a URL rule, registered with the blueprint's prefix and name."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and hasattr(view_func, "__name__") and "." in view_func.__name__:
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # --- app-wide registrations -------------------------------------------------

    def _app_registry_append(self, registry: str, f: Any) -> None:
        self.record_once(lambda s: getattr(s.app, registry).setdefault(None, []).append(f))

    @setupmethod
    def before_app_request(self, f: T) -> T:
        """Like ``app.before_request``: runs for every request, not only this blueprint's."""
        self._app_registry_append("before_request_funcs", f)
        return f

    @setupmethod
    def after_app_request(self, f: T) -> T:
        """Like ``app.after_request``."""
        self._app_registry_append("after_request_funcs", f)
        return f

    @setupmethod
    def teardown_app_request(self, f: T) -> T:
        """Like ``app.teardown_request``."""
        self._app_registry_append("teardown_request_funcs", f)
        return f

    @setupmethod
    def before_app_websocket(self, func: T) -> T:
        """Like ``app.before_websocket``."""
        self._app_registry_append("before_websocket_funcs", func)
        return func

    @setupmethod
    def after_app_websocket(self, func: T) -> T:
        """Like ``app.after_websocket``."""
        self._app_registry_append("after_websocket_funcs", func)
        return func

    @setupmethod
    def teardown_app_websocket(self, func: T) -> T:
        """Like ``app.teardown_websocket``."""
        self._app_registry_append("teardown_websocket_funcs", func)
        return func

    @setupmethod
    def app_context_processor(self, f: T) -> T:
        """Like ``app.context_processor``."""
        self._app_registry_append("template_context_processors", f)
        return f

    @setupmethod
    def app_url_value_preprocessor(self, f: T) -> T:
        """Like ``app.url_value_preprocessor``."""
        self._app_registry_append("url_value_preprocessors", f)
        return f

    @setupmethod
    def app_url_defaults(self, f: T) -> T:
        """Like ``app.url_defaults``."""
        self._app_registry_append("url_default_functions", f)
        return f

    @setupmethod
    def app_errorhandler(self, code: type[BaseException] | int) -> Callable[[T], T]:
        """Like ``app.errorhandler``."""

        def decorator(f: T) -> T:
            self.record_once(lambda s: s.app.errorhandler(code)(f))
            return f

        return decorator

    @setupmethod
    def before_app_serving(self, func: T) -> T:
        """Like ``app.before_serving``."""
        self.record_once(lambda s: s.app.before_serving(func))
        return func

    @setupmethod
    def while_app_serving(self, func: T) -> T:
        """Like ``app.while_serving``."""
        self.record_once(lambda s: s.app.while_serving(func))
        return func

    @setupmethod
    def after_app_serving(self, func: T) -> T:
        """Like ``app.after_serving``."""
        self.record_once(lambda s: s.app.after_serving(func))
        return func

    @setupmethod
    def app_template_filter(self, name: str | None = None) -> Callable[[T], T]:
        """Register a template filter for the whole app."""

        def decorator(f: T) -> T:
            self.record_once(lambda s: s.app.add_template_filter(f, name=name))
            return f

        return decorator

    @setupmethod
    def add_app_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register a template filter for the whole app."""
        self.record_once(lambda s: s.app.add_template_filter(f, name=name))

    @setupmethod
    def app_template_test(self, name: str | None = None) -> Callable[[T], T]:
        """Register a template test for the whole app."""

        def decorator(f: T) -> T:
            self.record_once(lambda s: s.app.add_template_test(f, name=name))
            return f

        return decorator

    @setupmethod
    def add_app_template_test(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register a template test for the whole app."""
        self.record_once(lambda s: s.app.add_template_test(f, name=name))

    @setupmethod
    def app_template_global(self, name: str | None = None) -> Callable[[T], T]:
        """Register a template global for the whole app."""

        def decorator(f: T) -> T:
            self.record_once(lambda s: s.app.add_template_global(f, name=name))
            return f

        return decorator

    @setupmethod
    def add_app_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register a template global for the whole app."""
        self.record_once(lambda s: s.app.add_template_global(f, name=name))

    async def send_static_file(self, filename: str) -> Any:
        """Serve ``filename`` from this blueprint's static folder."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        max_age = current_app.get_send_file_max_age(filename)
        return await send_from_directory(self.static_folder, filename, max_age=max_age)  # type: ignore[arg-type]

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Cache max age for static files (``SEND_FILE_MAX_AGE_DEFAULT``)."""
        return current_app.get_send_file_max_age(filename)
