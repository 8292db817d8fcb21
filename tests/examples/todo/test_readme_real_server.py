"""The README's commands, on real sockets: ``seed`` into a sqlite file, then ``run``; a
browser-like client logs in and adds a todo with the form while a websocket client watches
the broadcast."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import websockets
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parents[3]
COMMAND = "kernel"  # the framework's command line
TIMEOUT = 5.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_seed_then_run_serves_pages_api_and_live_updates(tmp_path: Path) -> None:
    command = str(Path(sys.executable).with_name(COMMAND))
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "TODO_DATABASE": json.dumps(str(tmp_path / "todo.sqlite")),
        "TODO_UPLOAD_FOLDER": json.dumps(str(tmp_path / "uploads")),
        "TODO_SECRET_KEY": json.dumps("real secret"),
        "TODO_USERS": json.dumps(
            {"alice": generate_password_hash("wonderland", method="pbkdf2:sha256:1000")}
        ),
    }
    seeded = subprocess.run(
        [command, "--app", "examples.todo", "seed", "--count", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.strip().endswith("Seeded 2 todos.")

    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [command, "--app", "examples.todo:create_app()", "run"]
            + ["--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        asyncio.run(asyncio.wait_for(_browse(port, proc), 30))
    except BaseException:
        print(log.read_text())  # shown by pytest on failure
        raise
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
            raise


async def _browse(port: int, proc: subprocess.Popen) -> None:
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as http:
        for _ in range(200):  # bounded wait for the server to come up
            try:
                page = await http.get("/")
                break
            except httpx.TransportError:
                assert proc.poll() is None, "the server exited before serving"
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the server did not start within 10 s")
        assert page.status_code == 200
        assert '<span class="title">Example todo 2</span>' in page.text
        assert f'data-live="ws://127.0.0.1:{port}/live"' in page.text

        async with websockets.connect(f"ws://127.0.0.1:{port}/live") as live:
            hello = json.loads(await asyncio.wait_for(live.recv(), TIMEOUT))
            assert hello == {"event": "hello", "clients": 1, "user": None}

            login = await http.post("/login", data={"username": "alice", "password": "wonderland"})
            assert login.status_code == 302
            added = await http.post("/todos", data={"title": "Over the wire"})
            assert (added.status_code, added.headers["Location"]) == (302, "/")
            event = json.loads(await asyncio.wait_for(live.recv(), TIMEOUT))
            assert event["event"] == "created"
            assert event["todo"]["title"] == "Over the wire"

        page = await http.get("/")
        assert "Logged in as alice" in page.text
        assert "Added “Over the wire”." in page.text
        export = await http.get("/export.csv")
        assert export.text.splitlines() == [
            "id,title,done",
            "1,Example todo 1,no",
            "2,Example todo 2,no",
            "3,Over the wire,no",
        ]
