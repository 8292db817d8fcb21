"""Flask-compatible configuration object."""

from __future__ import annotations

import errno
import itertools
import json
import os
import types
import warnings
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Generic, TypeVar

T = TypeVar("T")

DEFAULT_CONFIG: dict[str, Any] = {
    "APPLICATION_ROOT": "/",
    "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5,
    "BODY_TIMEOUT": 60,
    "DEBUG": None,
    "ENV": None,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_COOKIE_SIZE": 4093,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "MAX_FORM_PART_HEADERS_SIZE": 250_000,
    "MAX_FORM_TOTAL_MEMORY_SIZE": 2_500_000,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "PREFERRED_URL_SCHEME": "http",
    "PREFER_SECURE_URLS": False,
    "PRESERVE_CONTEXT_ON_EXCEPTION": None,
    "PROPAGATE_EXCEPTIONS": None,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
    "RESPONSE_TIMEOUT": 60,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "SEND_FILE_MAX_AGE_DEFAULT": timedelta(hours=12),
    "SERVER_NAME": None,
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_SAMESITE": None,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_REFRESH_EACH_REQUEST": True,
    "TEMPLATES_AUTO_RELOAD": None,
    "TESTING": False,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "TRUSTED_HOSTS": None,
    "USE_X_SENDFILE": False,
}


class ConfigAttribute(Generic[T]):
    """Expose a config key as an attribute of the app (``app.testing`` -> ``TESTING``)."""

    def __init__(self, name: str, get_converter: Callable[[Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            value = self.get_converter(value)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.config[self.__name__] = value


#: Numbers no two config states share (across every Config of the process).
_generations = itertools.count(1)


#: The ``kernel`` command's own variables (``FLASK_APP``, ``QUART_RUN_PORT``...): the
#: command reads these legacy spellings itself, with a hint of its own.
_COMMAND_KEYS = ("APP", "DEBUG", "ENV", "SKIP_DOTENV")


def _warn_of_legacy_prefixes() -> None:
    """Warn of ``FLASK_X``/``QUART_X`` settings that ``from_prefixed_env()`` leaves out.

    Flask's default prefix is ``FLASK`` and Quart's ``QUART``; Erlen's is ``KERNEL``. A
    ported app calling ``from_prefixed_env()`` with its deployment still setting
    ``FLASK_SECRET_KEY`` lost that setting without a word (a missing secret key then
    fails at the first session write)."""
    missed = [
        key
        for key in sorted(os.environ)
        if key.startswith(("FLASK_", "QUART_"))
        and (name := key.split("_", 1)[1])
        and name not in _COMMAND_KEYS
        and not name.startswith("RUN_")
        and f"KERNEL_{name}" not in os.environ
    ]
    if missed:
        renamed = ", ".join(f"KERNEL_{key.split('_', 1)[1]}" for key in missed)
        warnings.warn(
            f"app.config.from_prefixed_env() reads KERNEL_* variables in Erlen, so"
            f" {', '.join(missed)} {'is' if len(missed) == 1 else 'are'} not read:"
            f" rename {'it' if len(missed) == 1 else 'them'} {renamed}, or call"
            f" from_prefixed_env({missed[0].split('_', 1)[0]!r}).",
            UserWarning,
            stacklevel=3,
        )


class Config(dict):  # type: ignore[type-arg]
    """A dict of settings with Flask's loaders.

    Only UPPERCASE keys are taken from objects, files and mappings.
    """

    #: A number that changes whenever a key is set or removed; no other config (nor this
    #: one in another state) has it. Work derived from the settings (how session cookies
    #: are opened and written) may be kept while it is unchanged, instead of comparing
    #: the settings on every request. A value mutated in place (a list) does not change it.
    generation = 0

    @property
    def _generation(self) -> int:
        # The name the kernel used before ``generation`` was public.
        return self.generation

    def __init__(
        self, root_path: str | os.PathLike[str], defaults: Mapping[str, Any] | None = None
    ):
        super().__init__(defaults or {})
        self.root_path = root_path
        self.generation = next(_generations)

    # Every way to change the keys of a dict, each moving ``generation`` on.
    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.generation = next(_generations)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.generation = next(_generations)

    def __ior__(self, other: Any) -> Config:  # type: ignore[override,misc]
        super().__ior__(other)
        self.generation = next(_generations)
        return self

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """``dict.update``."""
        super().update(*args, **kwargs)
        self.generation = next(_generations)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """``dict.setdefault``."""
        value = super().setdefault(key, default)
        self.generation = next(_generations)
        return value

    def pop(self, key: str, *default: Any) -> Any:
        """``dict.pop``."""
        value = super().pop(key, *default)
        self.generation = next(_generations)
        return value

    def popitem(self) -> tuple[str, Any]:
        """``dict.popitem``."""
        item = super().popitem()
        self.generation = next(_generations)
        return item

    def clear(self) -> None:
        """``dict.clear``."""
        super().clear()
        self.generation = next(_generations)

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load a Python config file named by the environment variable ``variable_name``."""
        rv = os.environ.get(variable_name)
        if not rv:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set and as such"
                " configuration could not be loaded. Set this variable and make it"
                " point to a configuration file"
            )
        return self.from_pyfile(rv, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "KERNEL", *, loads: Callable[[str], Any] = json.loads
    ) -> bool:
        """Load ``PREFIX_KEY`` environment variables; values are parsed with ``loads``.

        The default prefix is ``KERNEL``, the prefix of the ``kernel`` command's own
        variables (``KERNEL_APP``, ``KERNEL_DEBUG``), as Quart uses ``QUART`` for both.
        ``KERNEL_SECRET_KEY=abc`` sets ``config["SECRET_KEY"]``; a value that parses with
        ``loads`` (JSON by default) is converted (``KERNEL_MAX_CONTENT_LENGTH=1024`` is
        an int), any other stays a string. ``PREFIX_A__B`` sets the nested key
        ``config["A"]["B"]``, as in Flask.
        """
        if prefix == "KERNEL":
            _warn_of_legacy_prefixes()
        prefix = f"{prefix}_"
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            value: Any = os.environ[key]
            try:
                value = loads(value)
            except Exception:
                pass  # keep the raw string, as Flask does
            key = key[len(prefix) :]
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, Any] = self
            *parts, tail = key.split("__")
            for part in parts:
                current = current.setdefault(part, {})
            current[tail] = value
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its UPPERCASE names."""
        filename = os.path.join(self.root_path, filename)
        d = types.ModuleType("config")
        d.__file__ = str(filename)
        try:
            with open(filename, mode="rb") as config_file:
                exec(compile(config_file.read(), filename, "exec"), d.__dict__)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        self.from_object(d)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load UPPERCASE attributes of an object, or of the object named by an import string."""
        if isinstance(obj, str):
            from werkzeug.utils import import_string

            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[Any], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with ``load`` (``json.load``, ``tomllib.load``, ...)."""
        filename = os.path.join(self.root_path, filename)
        try:
            with open(filename, "r" if text else "rb") as f:
                obj = load(f)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        return self.from_mapping(obj)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Update with the UPPERCASE keys of ``mapping`` and ``kwargs``."""
        mappings: dict[str, Any] = {}
        if mapping is not None:
            mappings.update(mapping)
        mappings.update(kwargs)
        for key, value in mappings.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """Return the keys starting with ``namespace`` as a new dict."""
        rv = {}
        for k, v in self.items():
            if not k.startswith(namespace):
                continue
            key = k[len(namespace) :] if trim_namespace else k
            rv[key.lower() if lowercase else key] = v
        return rv

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class ConfigReads(Generic[T]):
    """A value made from a config by ``read(config)``, made again when the config has
    changed since (its :attr:`~erlen.Config.generation`): what a handler compiled at freeze uses
    on every request or connection (the request limits, ``RESPONSE_TIMEOUT``, a plugin's
    settings), so that setting a key after the app has served requests (a test changing
    ``MAX_CONTENT_LENGTH``) applies from the next one, as in Flask and Quart, which read
    these keys per request. A mapping that does not track its changes is read every time.
    """

    __slots__ = ("_generation", "_read", "_value")

    def __init__(self, read: Callable[[Any], T]) -> None:
        self._read = read
        self._generation: int | None = None
        self._value: Any = None

    def of(self, config: Any) -> T:
        """The value for ``config`` as it is now."""
        try:
            if config.generation == self._generation:
                return self._value  # type: ignore[no-any-return]
        except AttributeError:  # not a Config: its changes are not tracked
            return self._read(config)
        self._value = value = self._read(config)
        self._generation = config.generation
        return value
