"""``kernel broadcast publish CHANNEL DATA`` and ``kernel broadcast status``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click
from erlen import current_app
from erlen.cli import with_appcontext

from .events import BroadcastError
from .hub import Broadcast


def _hub() -> Broadcast:
    hub = current_app.extensions.get("broadcast")
    if hub is None:
        raise click.ClickException("the broadcast plugin is not loaded in this app")
    return hub  # type: ignore[no-any-return]


@click.group("broadcast")
def broadcast_cli() -> None:
    """Publish to the app's broadcast channels, check its broker."""


@broadcast_cli.command("publish")
@click.argument("channel")
@click.argument("data")
@click.option("--text", is_flag=True, help="Send DATA as text instead of parsing it as JSON.")
@with_appcontext
def publish_command(channel: str, data: str, text: bool) -> None:
    """Publish DATA (JSON, or text with --text) to CHANNEL in every worker and host."""
    value: Any = data
    if not text:
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON ({exc}); pass --text to send text") from None
    hub = _hub()
    if hub.url.startswith("memory:"):
        # The in-process backend of this command's own process: a server would never
        # see the message, and "Published" would have said it was sent.
        raise click.ClickException(
            f"BROADCAST_URL is {hub.url} (the default): a message published from this"
            " command reaches only this command's own process, not a running server. Set"
            " BROADCAST_URL to the broker the server uses, e.g. redis://127.0.0.1:6379/0."
        )

    async def run() -> None:
        try:
            await hub.publish(channel, value)
        finally:
            await hub.close()

    try:
        asyncio.run(run())
    except (BroadcastError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Published to {channel!r} through {hub.url}")


@broadcast_cli.command("status")
@with_appcontext
def status_command() -> None:
    """Connect to BROADCAST_URL and report it (exit code 1 if unreachable)."""
    hub = _hub()

    async def run() -> dict[str, Any]:
        try:
            await hub.start()
            return hub.stats()
        finally:
            await hub.close()

    try:
        stats = asyncio.run(run())
    except (BroadcastError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"BROADCAST_URL: {stats['url']}")
    click.echo(f"connected: {'yes' if stats['connected'] else 'no'}")
