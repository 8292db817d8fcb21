"""erlen-cors: Cross-Origin Resource Sharing for Erlen apps.

An ordinary third-party Erlen plugin: this module holds its hook implementations and
is found through the ``erlen`` entry point ``cors`` (see ``pyproject.toml``).

- ``erlen_configure`` sets the config defaults (``CORS_*``, see :data:`DEFAULTS`).
- ``erlen_app_frozen`` reads the final config once into a :class:`CorsPolicy`.
- ``erlen_before_request`` answers preflight requests (``OPTIONS`` with ``Origin`` and
  ``Access-Control-Request-Method``) before any route or ``before_request`` function.
- ``erlen_after_request`` adds the CORS headers to the response of an allowed origin.

A request without an ``Origin`` header costs one header lookup per hook.
"""

from __future__ import annotations

from typing import Any

from erlen import hookimpl

from .policy import DEFAULTS, CorsPolicy

__all__ = ["DEFAULTS", "EXTENSION_KEY", "CorsPolicy", "policy_of"]

#: Where the app's policy lives: ``app.extensions["erlen_cors"]``.
EXTENSION_KEY = "erlen_cors"


def policy_of(app: Any) -> CorsPolicy:
    """The app's CORS policy (read from its config when it starts serving)."""
    policy = app.extensions.get(EXTENSION_KEY)
    if policy is None:  # not frozen yet: read the config as it is now
        policy = CorsPolicy.from_config(app.config)
    return policy  # type: ignore[no-any-return]


@hookimpl
def erlen_configure(app: Any) -> None:
    """Set the ``CORS_*`` config defaults; the app's own values win."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)


@hookimpl
def erlen_app_frozen(app: Any) -> None:
    """The config is final: build the policy once (a bad value fails here, loudly)."""
    app.extensions[EXTENSION_KEY] = CorsPolicy.from_config(app.config)


@hookimpl(tryfirst=True)
def erlen_before_request(app: Any, request: Any) -> Any:
    """Answer a preflight request; anything else goes on to the app."""
    if request.method != "OPTIONS":
        return None
    headers = request.headers
    origin = headers.get("Origin")
    method = headers.get("Access-Control-Request-Method")
    if origin is None or method is None:
        return None  # a plain OPTIONS request: the app's own answer
    policy = policy_of(app)
    if not policy.active:
        return None  # no origin configured: the app answers as if the plugin were absent
    return policy.preflight(origin, method, headers.get("Access-Control-Request-Headers", ""))


# trylast: the after-request hooks form a pipeline; the last one sees the final response.
@hookimpl(trylast=True)
def erlen_after_request(app: Any, request: Any, response: Any) -> None:
    """Mark the response readable by an allowed origin."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    policy = policy_of(app)
    if not policy.active:
        return
    if policy.varies_by_origin:
        response.vary.add("Origin")
    if policy.allows_origin(origin):
        response.headers.update(policy.simple_headers(origin))
