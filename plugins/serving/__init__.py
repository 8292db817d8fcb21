"""The ``serving`` plugin: ``kernel run``, ``app.run()`` and ``app.run_task()`` with hypercorn.

It answers the kernel's ``erlen_serve`` and ``erlen_serve_task`` hooks (``trylast``: a
plugin serving with another server answers first), adds the ``run`` command to the
``kernel`` group, and owns the ``erlen_server_settings`` hook by which other plugins make
app config authoritative for the server. Leave it out with
``Erlen(__name__, exclude_plugins=["serving"])``: ``app.run()`` then raises a
``RuntimeError`` naming this plugin, and ``kernel run`` says what to do.

Config keys: ``WEBSOCKET_COMPRESSION`` (default False), ``HTTP2_CLEARTEXT`` (default
True), ``SEND_TIMEOUT`` (default 60 seconds), ``WEBSOCKET_PING_INTERVAL`` and
``WEBSOCKET_PING_TIMEOUT`` (20 seconds each), ``WEBSOCKET_MESSAGE_TIMEOUT`` (60 seconds).
The server's defences against hostile clients (``protocols``, ``wswatch``) and every
limit are described in docs/deployment.md.

Modules: ``config`` (hypercorn config, sockets, banner), ``graceful`` (shutdown
order), ``hypercorn`` (one serving process), ``supervisor`` and ``reloader``
(``--workers``, ``--reload``), ``run`` (choosing between them), ``command``
(``kernel run``), ``protocols`` (hypercorn's connection classes, hardened),
``wswatch`` (the websocket keepalive and message timeout). They are
imported on first use: every app loads this plugin, and an app that is only tested or
imported should not pay for hypercorn, multiprocessing and ssl.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from erlen import hookimpl

from . import hookspecs

__all__ = ["DEFAULTS"]

if TYPE_CHECKING:
    import click
    from erlen import Erlen
    from erlen.pluginmanager import ErlenPluginManager


@hookimpl
def erlen_addhooks(pluginmanager: ErlenPluginManager) -> None:
    """Add ``erlen_server_settings``."""
    pluginmanager.add_hookspecs(hookspecs)


#: Config keys of this plugin and their defaults (docs/deployment.md says what each
#: protects against).
DEFAULTS: dict[str, Any] = {
    # permessage-deflate for websockets: off, because a negotiated inflater and deflater
    # cost every connection far more memory than an idle websocket otherwise does, and a
    # compressed message is a bomb vector; when on, inflating is bounded by
    # WEBSOCKET_MAX_MESSAGE_SIZE.
    "WEBSOCKET_COMPRESSION": False,
    # HTTP/2 without TLS (prior knowledge or Upgrade: h2c). On, as hypercorn has it: an
    # app behind a proxy that speaks h2c needs it; turn it off on a public cleartext port.
    "HTTP2_CLEARTEXT": True,
    # Seconds a client may take none of the data the server has to send it (a response,
    # the end of one as the connection closes, websocket frames) before the connection
    # is dropped, as nginx's send_timeout: a client that never reads otherwise holds its
    # connection and the response buffered for it for as long as it likes. None: no bound.
    "SEND_TIMEOUT": 60,
    # Seconds a websocket client may send nothing before the server pings it, then seconds
    # it may go on sending nothing (not even the pong) before the connection is failed
    # with 1011: without them a vanished client, or one that connects and never sends,
    # held its connection for good. As uvicorn's and the websockets library's keepalive
    # (20 s, 20 s), except that a client talking is never pinged. None: no ping.
    "WEBSOCKET_PING_INTERVAL": 20.0,
    "WEBSOCKET_PING_TIMEOUT": 20.0,
    # Seconds a websocket message may take from its first frame to its last; then close
    # 1008 (a message begun and never finished held up to WEBSOCKET_MAX_MESSAGE_SIZE of
    # buffer for good). As BODY_TIMEOUT for an HTTP body. None: no bound.
    "WEBSOCKET_MESSAGE_TIMEOUT": 60.0,
}


@hookimpl
def erlen_configure(app: Erlen) -> None:
    """Set the plugin's config defaults."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)


@hookimpl
def erlen_server_settings(app: Erlen) -> dict[str, Any]:
    """Install the hardened hypercorn connection classes (``protocols``) and pass on
    ``WEBSOCKET_COMPRESSION``, ``HTTP2_CLEARTEXT``, ``SEND_TIMEOUT`` and the websocket
    watch's ``WEBSOCKET_PING_INTERVAL``, ``WEBSOCKET_PING_TIMEOUT`` and
    ``WEBSOCKET_MESSAGE_TIMEOUT``."""
    from .protocols import COMPRESSION_SETTING, H2C_SETTING, SEND_TIMEOUT_SETTING, install
    from .wswatch import MESSAGE_TIMEOUT_SETTING, PING_INTERVAL_SETTING, PING_TIMEOUT_SETTING

    install()
    return {
        COMPRESSION_SETTING: bool(app.config.get("WEBSOCKET_COMPRESSION", False)),
        H2C_SETTING: bool(app.config.get("HTTP2_CLEARTEXT", True)),
        SEND_TIMEOUT_SETTING: _seconds(app, "SEND_TIMEOUT"),
        PING_INTERVAL_SETTING: _seconds(app, "WEBSOCKET_PING_INTERVAL"),
        PING_TIMEOUT_SETTING: _seconds(app, "WEBSOCKET_PING_TIMEOUT"),
        MESSAGE_TIMEOUT_SETTING: _seconds(app, "WEBSOCKET_MESSAGE_TIMEOUT"),
    }


def _seconds(app: Erlen, key: str) -> float | None:
    """The config key's seconds as a float (its default when the key is missing), or None."""
    value = app.config.get(key, DEFAULTS[key])
    return None if value is None else float(value)


@hookimpl
def erlen_cli_commands(cli: click.Group) -> None:
    """Add ``kernel run``."""
    from .command import run_command

    cli.add_command(run_command)


@hookimpl(trylast=True)
def erlen_serve(app: Erlen, host: str | None, port: int | None, options: dict[str, Any]) -> bool:
    """Serve with hypercorn, in this process or from worker processes (blocking)."""
    from .run import serve

    serve(app, host, port, **options)
    return True


@hookimpl(trylast=True)
def erlen_serve_task(app: Erlen, host: str, port: int, options: dict[str, Any]) -> Awaitable[None]:
    """A coroutine serving with hypercorn in the running event loop."""
    from .run import serve_task

    return serve_task(app, host, port, **options)
