"""Server configuration for ``kernel run``, ``app.run()`` and ``app.run_task()``.

A hypercorn ``Config`` is built from a config file and the command-line options, then the
settings the app's plugins ask for (``erlen_server_settings``) are applied on top; the
listening sockets are bound here once, so that the supervisor can hand them to workers.
"""

from __future__ import annotations

import errno
import logging
import os
import ssl
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from erlen.cli import FROM_CLI_ENV
from hypercorn.config import Config as HyperConfig

if TYPE_CHECKING:
    from hypercorn.config import Sockets

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
#: Set in worker processes started by the supervisor (``--workers``/``--reload``).
WORKER_ENV = "KERNEL_RUN_WORKER"
#: Set in each worker of ``kernel run --workers N``: N (the broadcast plugin warns when
#: several workers share its one-process ``memory://`` broker).
WORKERS_ENV = "KERNEL_RUN_WORKERS"

#: The options ``kernel run``/``app.run()`` understand besides host, port and debug.
KNOWN_OPTIONS = frozenset(
    {
        "certfile",
        "keyfile",
        "ca_certs",
        "root_path",
        "access_log",
        "graceful_timeout",
        "config_file",
        "workers",
        "use_reloader",
        "extra_files",
        "app_spec",
        "debug",
    }
)


#: The options ``app.run_task()`` takes besides host, port, debug, TLS and shutdown_trigger.
TASK_OPTIONS = frozenset({"root_path", "access_log", "graceful_timeout", "config_file"})


#: The value of FROM_CLI_ENV while ``kernel run`` itself serves.
_CLI_SERVING = "serving"


#: The import path ``kernel run`` loaded the app from (see :func:`mark_cli_serving`).
_cli_app_spec: list[str | None] = [None]


def mark_cli_serving(app_spec: str | None = None) -> None:
    """``kernel run`` is about to serve through ``app.run()``: :func:`serve` must not
    ignore that call, and worker processes load the app from ``app_spec`` (the ``--app``
    path, which may name a factory) when ``app.run()`` is not given one."""
    os.environ[FROM_CLI_ENV] = _CLI_SERVING
    _cli_app_spec[0] = app_spec


def cli_app_spec() -> str | None:
    """The import path given to :func:`mark_cli_serving` in this process, or None."""
    return _cli_app_spec[0] if os.environ.get(FROM_CLI_ENV) == _CLI_SERVING else None


def ignored_by_cli() -> bool:
    """True (after a warning on stderr) when ``app.run()`` is called inside a ``kernel``
    command (at import, say) or a worker process: the command serves or does something
    else, and a second server must not start."""
    if os.environ.get(FROM_CLI_ENV) != "true":
        return False
    if not os.environ.get(WORKER_ENV):
        echo(
            " * Ignoring a call to 'app.run()' inside a 'kernel' command; put it under"
            " 'if __name__ == \"__main__\":'."
        )
    return True


class ServeError(Exception):
    """A problem the user can fix (port in use, bad certificate): shown as one line."""


# --- configuration ---------------------------------------------------------------------------


def load_hypercorn_config(config_file: str | None) -> HyperConfig:
    """A hypercorn ``Config``, read from ``config_file`` (``.toml``, ``.py`` or ``python:mod``)."""
    if not config_file:
        return HyperConfig()
    try:
        if config_file.startswith("python:"):
            return HyperConfig.from_object(config_file[len("python:") :])
        if config_file.endswith(".py"):
            return HyperConfig.from_pyfile(config_file)
        return HyperConfig.from_toml(config_file)
    except FileNotFoundError:
        raise ServeError(f"Hypercorn config file {config_file!r} does not exist.") from None
    except Exception as exc:  # a broken config file: say which and why, no traceback
        raise ServeError(
            f"Could not read hypercorn config {config_file!r}: {type(exc).__name__}: {exc}"
        ) from None


def format_bind(host: str, port: int) -> str:
    """``host:port`` as hypercorn's ``bind`` wants it (IPv6 hosts in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def make_config(
    host: str | None,
    port: int | None,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
    ca_certs: str | None = None,
    access_log: bool | None = None,
    root_path: str | None = None,
    graceful_timeout: float | None = None,
    config_file: str | None = None,
    workers: int | None = None,
    **_: Any,
) -> HyperConfig:
    """A hypercorn config: ``config_file`` first, then the explicit options on top.

    ``host``/``port`` of ``None`` keep the config file's ``bind`` (or 127.0.0.1:5000).
    """
    config = load_hypercorn_config(config_file)
    if host is not None or port is not None or not config_file:
        config.bind = [format_bind(host or DEFAULT_HOST, DEFAULT_PORT if port is None else port)]
    if certfile:
        config.certfile = certfile
    if keyfile:
        config.keyfile = keyfile
    if ca_certs:
        config.ca_certs = ca_certs
    # One line per request by default, as Flask's and Quart's servers print (a config file
    # decides for itself; --no-access-log turns it off).
    if access_log or (access_log is None and not config_file):
        config.accesslog = "-"
    elif access_log is not None and not access_log:
        config.accesslog = None
    if root_path:
        config.root_path = root_path
    if graceful_timeout is not None:
        config.graceful_timeout = graceful_timeout
    if workers:
        config.workers = workers
    return config


def apply_app_server_settings(app: Any, config: HyperConfig) -> None:
    """Set on ``config`` the hypercorn settings the app's plugins ask for through
    ``erlen_server_settings`` (they win over a config file: they follow the app's own
    config)."""
    for settings in app.plugin_manager.hook.erlen_server_settings(app=app):
        for name, value in (settings or {}).items():
            setattr(config, name, value)


def check_tls(config: HyperConfig) -> None:
    """Fail early, with one line, on a half or unreadable TLS setup."""
    if bool(config.certfile) != bool(config.keyfile):
        given, missing = ("certfile", "keyfile") if config.certfile else ("keyfile", "certfile")
        raise ServeError(f"TLS needs both a certificate and a key: --{given} without --{missing}.")
    if not config.ssl_enabled:
        return
    for label, path in (("certificate", config.certfile), ("key", config.keyfile)):
        if not path or not os.path.isfile(path):
            raise ServeError(f"TLS {label} file {path!r} does not exist.")
    try:
        config.create_ssl_context()
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ServeError(
            f"Could not load the TLS certificate {config.certfile!r} with key"
            f" {config.keyfile!r}: {exc}"
        ) from None


def bind_sockets(config: HyperConfig) -> Sockets:
    """Create and bind the listening sockets; a bind failure becomes a clear ServeError."""
    try:
        sockets = config.create_sockets()
        # Listen now, not when hypercorn starts its servers after the lifespan startup:
        # the banner is printed before that, and a client connecting right after it (or
        # while the supervisor replaces workers) must wait in the backlog, not be refused.
        for sock in (*sockets.secure_sockets, *sockets.insecure_sockets):
            sock.listen(config.backlog)
        return sockets
    except OSError as exc:
        where = ", ".join(config.bind)
        if exc.errno == errno.EADDRINUSE:
            reason = (
                "the address is already in use. Is another server running there?"
                " Stop it or choose another port: --port, or app.run(port=...)."
            )
        elif exc.errno == errno.EACCES:
            reason = (
                "permission denied (ports below 1024 need privileges); use another port:"
                " --port, or app.run(port=...)."
            )
        elif exc.errno == errno.EADDRNOTAVAIL:
            reason = (
                "that address is not available on this machine; check the host: --host,"
                " or app.run(host=...)."
            )
        else:
            reason = str(exc.strerror or exc)
        raise ServeError(f"Could not bind to {where}: {reason}") from None
    except Exception as exc:  # e.g. socket.gaierror for an unknown host name
        raise ServeError(f"Could not bind to {', '.join(config.bind)}: {exc}") from None


def adopt_sockets(config: HyperConfig, sockets: Sockets) -> None:
    """Point hypercorn at already bound sockets (``fd://``), so binding happens once."""
    config.bind = [f"fd://{sock.detach()}" for sock in sockets.secure_sockets]
    config.insecure_bind = [f"fd://{sock.detach()}" for sock in sockets.insecure_sockets]
    config.quic_bind = []
    if not config.ssl_enabled:
        # Without TLS hypercorn binds ``bind`` as plain sockets.
        config.bind, config.insecure_bind = config.insecure_bind, []


#: The one format of the console under ``kernel run``: the app logger's (Flask's
#: ``[time] LEVEL in where: message``), for the server's warnings and access lines too.
LOG_FORMAT = "[%(asctime)s] %(levelname)s in %(name)s: %(message)s"
#: An access line: client, request line with its query string (as Flask's and uvicorn's;
#: Quart's leaves the query out), status, bytes, duration in µs.
ACCESS_LOG_FORMAT = '%(h)s "%(R)s" %(s)s %(b)s %(D)sus'


def _console_logger(name: str, level: int) -> logging.Logger:
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)
    return logger


def quiet_error_log(config: HyperConfig) -> None:
    """Our banner replaces hypercorn's "Running on" info lines; warnings still show. The
    server's warnings and access lines take the app logger's format (one console
    format), unless a hypercorn config decides its own logging."""
    if config.logconfig or config.logconfig_dict:
        return  # the user configured hypercorn's logging: leave it alone
    if config.errorlog == HyperConfig.errorlog:
        config.errorlog = _console_logger("erlen.server", logging.WARNING)
    if config.accesslog == "-" and config.access_log_format == HyperConfig.access_log_format:
        config.accesslog = _console_logger("erlen.access", logging.INFO)
        config.access_log_format = ACCESS_LOG_FORMAT


def socket_urls(sockets: Sockets) -> list[str]:
    """``scheme://host:port`` for each bound socket (the real port when 0 was asked)."""
    urls = []
    for scheme, group in (("https", sockets.secure_sockets), ("http", sockets.insecure_sockets)):
        for sock in group:
            name = sock.getsockname()
            if isinstance(name, str):
                urls.append(f"{scheme}+unix://{name}")
            else:
                host, port = name[0], name[1]
                urls.append(f"{scheme}://{format_bind(host, port)}")
    return urls


def banner(app_name: str, debug: bool, urls: Iterable[str], workers: int = 1) -> str:
    """The start-up lines: which app, debug mode, where (Flask/Quart style)."""
    lines = [f" * Serving Erlen app '{app_name}'", f" * Debug mode: {'on' if debug else 'off'}"]
    if workers > 1:
        lines.append(f" * Workers: {workers}")
    lines.extend(f" * Running on {url} (CTRL + C to quit)" for url in urls)
    return "\n".join(lines)


def echo(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
