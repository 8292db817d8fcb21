"""The ``BROADCAST_*`` config keys, their defaults, and the values a hub reads at start."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .events import BroadcastConfigError

#: Environment variable giving ``BROADCAST_URL``'s default.
URL_ENV = "BROADCAST_URL"

#: Config keys with their defaults (``app.config.setdefault`` at configure).
DEFAULTS: dict[str, Any] = {
    "BROADCAST_PREFIX": "erlen:",
    "BROADCAST_QUEUE_SIZE": 256,
    "BROADCAST_OVERFLOW": "drop-oldest",
    "BROADCAST_MAX_MESSAGE_SIZE": 1024 * 1024,
    "BROADCAST_PUBLISH_TIMEOUT": 2.0,
    "BROADCAST_CONNECT_TIMEOUT": 10.0,
    "BROADCAST_RECONNECT_MAX": 5.0,
    "BROADCAST_HEALTH_INTERVAL": 5.0,
    "BROADCAST_REDIS_OPTIONS": {},
}

OVERFLOW_POLICIES = ("drop-oldest", "disconnect")


def default_url() -> str:
    """``BROADCAST_URL``'s default: the environment variable, else ``memory://``."""
    return os.environ.get(URL_ENV) or "memory://"


class HubSettings:
    """The limits a hub applies locally, read from config once when it starts."""

    __slots__ = ("max_message_size", "overflow", "queue_size")

    def __init__(self, config: Any) -> None:
        self.queue_size = _positive_int(config, "BROADCAST_QUEUE_SIZE")
        self.max_message_size = _positive_int(config, "BROADCAST_MAX_MESSAGE_SIZE")
        overflow = config.get("BROADCAST_OVERFLOW", DEFAULTS["BROADCAST_OVERFLOW"])
        if overflow not in OVERFLOW_POLICIES:
            raise BroadcastConfigError(
                f"BROADCAST_OVERFLOW is {overflow!r}; use one of {', '.join(OVERFLOW_POLICIES)}"
            )
        self.overflow: str = overflow


def _positive_int(config: Any, key: str) -> int:
    value = config.get(key, DEFAULTS[key])
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise BroadcastConfigError(f"{key} must be a positive integer, not {value!r}")
    return number


def positive_float(config: Any, key: str) -> float:
    """``config[key]`` as a positive number of seconds, else BroadcastConfigError."""
    value = config.get(key, DEFAULTS[key])
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if not number > 0:
        raise BroadcastConfigError(f"{key} must be a positive number of seconds, not {value!r}")
    return number


def scheme_of(url: Any) -> str:
    """The scheme of ``BROADCAST_URL``, lower-cased; BroadcastConfigError if there is none."""
    if not isinstance(url, str) or "://" not in url:
        raise BroadcastConfigError(
            f"BROADCAST_URL {mask_url(url)!r} is not a URL; use memory:// or"
            " redis://host:port/db (see docs/broadcast.md)"
        )
    return url.split("://", 1)[0].lower()


def mask_url(url: Any) -> str:
    """``url`` with its password replaced by ``***``, fit for logs and errors."""
    if not isinstance(url, str):
        return repr(url)
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))
    except ValueError:
        return "<unparsable URL>"
