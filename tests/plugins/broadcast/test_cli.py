"""``kernel broadcast publish`` and ``kernel broadcast status`` against a real Redis, and
``publish`` refusing the in-process default."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from erlen import Erlen
from erlen.cli import ScriptInfo, make_cli
from erlen.plugins.broadcast import Broadcast
from erlen.plugins.broadcast.testing import next_message

HERE = Path(__file__).resolve().parent


def kernel(*args: str, url: str, prefix: str = "erlen:") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erlen", "--app", "served_app:app", "broadcast", *args],
        cwd=HERE,
        env={**os.environ, "BROADCAST_URL": url, "SERVED_BROADCAST_PREFIX": prefix},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_publish_from_the_command_line(redis_url: str) -> None:
    prefix = f"cli-{uuid.uuid4().hex[:8]}:"
    async with (
        Broadcast(redis_url, config={"BROADCAST_PREFIX": prefix}) as hub,
        hub.subscribe("room") as sub,
    ):
        done = await asyncio.to_thread(
            kernel, "publish", "room", '{"a": [1, 2]}', url=redis_url, prefix=prefix
        )
        assert done.returncode == 0, done.stderr
        assert f"Published to 'room' through {redis_url}" in done.stdout
        assert (await next_message(sub)).data == {"a": [1, 2]}
        done = await asyncio.to_thread(
            kernel, "publish", "--text", "room", "plain", url=redis_url, prefix=prefix
        )
        assert done.returncode == 0, done.stderr
        assert (await next_message(sub)).data == "plain"


async def test_bad_json_and_status(redis_url: str) -> None:
    done = await asyncio.to_thread(kernel, "publish", "room", "not json", url=redis_url)
    assert done.returncode == 2
    assert "not JSON" in done.stderr and "--text" in done.stderr
    done = await asyncio.to_thread(kernel, "status", url=redis_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"BROADCAST_URL: {redis_url}", "connected: yes"]


def test_publishing_through_the_in_process_default_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # It said "Published to 'room' through memory://" and exit 0: nobody got it.
    monkeypatch.delenv("BROADCAST_URL", raising=False)
    app = Erlen(__name__)
    result = CliRunner().invoke(
        make_cli(), ["broadcast", "publish", "room", "{}"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: BROADCAST_URL is memory:// (the default): a message published from this"
        " command reaches only this command's own process, not a running server. Set"
        " BROADCAST_URL to the broker the server uses, e.g. redis://127.0.0.1:6379/0.\n"
    )
