"""The CORS policy of one app, read once from its config."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Config keys and their defaults (``app.config.setdefault`` at construction). No origin
#: is allowed until the app lists some: selecting the plugin must not open an app to other
#: origins on its own, nor change its answers.
DEFAULTS: dict[str, Any] = {
    "CORS_ALLOW_ORIGINS": (),
    "CORS_ALLOW_METHODS": ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
    "CORS_ALLOW_HEADERS": (),
    "CORS_EXPOSE_HEADERS": (),
    "CORS_ALLOW_CREDENTIALS": False,
    "CORS_MAX_AGE": 600,
}

WILDCARD = "*"


def _names(key: str, value: Any) -> tuple[str, ...]:
    """A config value as names: ``"*"``, ``"a, b"`` or any iterable of strings."""
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, Iterable):
        items = value
    else:
        raise TypeError(f"{key} must be a string or a list of strings, not {value!r}")
    names = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{key} must be a string or a list of strings, not {value!r}")
        if item.strip():
            names.append(item.strip())
    return tuple(names)


@dataclass(frozen=True)
class CorsPolicy:
    """Which cross-origin requests an app answers, and the headers that say so."""

    origins: frozenset[str]
    any_origin: bool
    methods: tuple[str, ...]
    headers: frozenset[str]  # lower case
    any_header: bool
    expose_headers: tuple[str, ...]
    credentials: bool
    max_age: int | None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CorsPolicy:
        """Read the ``CORS_*`` keys; a wrong type raises an error naming the key."""
        origins = _names("CORS_ALLOW_ORIGINS", config["CORS_ALLOW_ORIGINS"])
        headers = _names("CORS_ALLOW_HEADERS", config["CORS_ALLOW_HEADERS"])
        max_age = config["CORS_MAX_AGE"]
        if max_age is not None and (
            isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0
        ):
            raise ValueError(f"CORS_MAX_AGE must be a number of seconds or None, not {max_age!r}")
        return cls(
            origins=frozenset(o for o in origins if o != WILDCARD),
            any_origin=WILDCARD in origins,
            methods=tuple(
                m.upper() for m in _names("CORS_ALLOW_METHODS", config["CORS_ALLOW_METHODS"])
            ),
            headers=frozenset(h.lower() for h in headers if h != WILDCARD),
            any_header=WILDCARD in headers,
            expose_headers=_names("CORS_EXPOSE_HEADERS", config["CORS_EXPOSE_HEADERS"]),
            credentials=bool(config["CORS_ALLOW_CREDENTIALS"]),
            max_age=max_age,
        )

    @property
    def active(self) -> bool:
        """Whether any origin is allowed; an inactive policy leaves every answer alone."""
        return self.any_origin or bool(self.origins)

    def allows_origin(self, origin: str) -> bool:
        """Whether requests from ``origin`` may read the responses."""
        return self.any_origin or origin in self.origins

    @property
    def varies_by_origin(self) -> bool:
        """Whether the answer depends on the ``Origin`` header (caches must know)."""
        return not (self.any_origin and not self.credentials)

    def origin_headers(self, origin: str) -> dict[str, str]:
        """The headers every CORS response from an allowed ``origin`` gets."""
        # Browsers refuse "*" on credentialed requests: name the origin instead.
        allowed = WILDCARD if not self.varies_by_origin else origin
        headers = {"Access-Control-Allow-Origin": allowed}
        if self.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def simple_headers(self, origin: str) -> dict[str, str]:
        """Headers for the response to an actual (non-preflight) cross-origin request."""
        headers = self.origin_headers(origin)
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ", ".join(self.expose_headers)
        return headers

    def preflight(
        self, origin: str, method: str, requested_headers: str
    ) -> tuple[str, int, dict[str, str]]:
        """The response to a preflight ``OPTIONS`` request: ``(body, status, headers)``.

        204 with the allowed methods and headers, or 400 saying what was refused.
        """
        refused = []
        if not self.allows_origin(origin):
            refused.append("origin")
        if method.upper() not in self.methods:
            refused.append("method")
        wanted = [h.strip() for h in requested_headers.split(",") if h.strip()]
        if not self.any_header and any(h.lower() not in self.headers for h in wanted):
            refused.append("headers")
        vary = {"Vary": "Origin"} if self.varies_by_origin else {}
        if refused:
            return (
                f"Disallowed CORS {', '.join(refused)}",
                400,
                {
                    "Content-Type": "text/plain; charset=utf-8",
                    **vary,
                },
            )
        headers = {
            **self.origin_headers(origin),
            "Access-Control-Allow-Methods": ", ".join(self.methods),
            **vary,
        }
        if wanted:
            headers["Access-Control-Allow-Headers"] = ", ".join(wanted)
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        return "", 204, headers
