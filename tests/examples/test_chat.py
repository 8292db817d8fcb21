"""The example chat app: its page, and the broadcast between real clients."""

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

from examples.chat import app
from examples.chat.app import connections

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 5.0


@pytest.fixture(autouse=True)
def _empty_room():
    connections.clear()
    yield
    connections.clear()


async def test_page_renders_with_the_websocket_url() -> None:
    response = await app.test_client().get("/")
    assert response.status_code == 200
    body = await response.get_data(as_text=True)
    assert "<title>Erlen chat</title>" in body
    assert 'window.CHAT_URL = "ws://localhost/ws"' in body
    assert "/static/chat.js" in body


async def test_static_script_is_served() -> None:
    response = await app.test_client().get("/static/chat.js")
    assert response.status_code == 200
    assert "new WebSocket(base" in await response.get_data(as_text=True)


async def _receive(ws) -> dict:
    return await asyncio.wait_for(ws.receive_json(), TIMEOUT)


async def test_two_clients_chat_and_see_each_other_come_and_go() -> None:
    client = app.test_client()
    async with client.websocket("/ws") as alice:
        assert await _receive(alice) == {
            "type": "system",
            "message": "Connected! 1 user online.",
            "count": 1,
        }
        async with client.websocket("/ws") as bob:
            assert (await _receive(bob))["message"] == "Connected! 2 users online."
            assert await _receive(alice) == {"type": "user_joined", "count": 2, "user": "Anonymous"}

            await alice.send_json({"user": "alice", "message": "hi <b>bob</b>"})
            got = await _receive(bob)
            assert (got["type"], got["user"], got["message"]) == (
                "message",
                "alice",
                "hi <b>bob</b>",
            )

            await bob.send("not json")
            assert await _receive(bob) == {"type": "error", "message": "Invalid JSON format"}
            await bob.send_json({"message": "still here"})
            got = await _receive(alice)
            assert (got["user"], got["message"]) == ("Anonymous", "still here")
        assert await _receive(alice) == {"type": "user_left", "count": 1, "user": "Anonymous"}


async def test_long_names_and_messages_are_cut_to_the_configured_limits() -> None:
    client = app.test_client()
    async with client.websocket("/ws") as alice, client.websocket("/ws") as bob:
        await _receive(alice)
        await _receive(alice)  # bob joined
        await _receive(bob)
        await alice.send_json({"user": "a" * 100, "message": "m" * 5000})
        got = await _receive(bob)
        assert len(got["user"]) == app.config["MAX_NAME_LENGTH"]
        assert len(got["message"]) == app.config["MAX_MESSAGE_LENGTH"]


async def test_a_message_without_a_name_keeps_the_connections_name() -> None:
    # A raw client joined as bob, then sent {"message": ...}: it was shown, and left, as
    # "Anonymous".
    client = app.test_client()
    async with client.websocket("/ws") as alice:
        await _receive(alice)
        async with client.websocket("/ws", query_string={"user": "bob"}) as bob:
            await _receive(bob)
            assert (await _receive(alice))["user"] == "bob"
            await bob.send_json({"message": "no name given"})
            got = await _receive(alice)
            assert (got["user"], got["message"]) == ("bob", "no name given")
        assert await _receive(alice) == {"type": "user_left", "count": 1, "user": "bob"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_readme_command_serves_the_chat_over_real_sockets(tmp_path: Path) -> None:
    """`kernel --app examples.chat:app run`, as the README says, with two real clients."""
    port = _free_port()
    kernel = Path(sys.executable).with_name("kernel")
    log = tmp_path / "kernel.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(kernel), "--app", "examples.chat:app", "run"]
            + ["--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        asyncio.run(asyncio.wait_for(_chat_over_the_wire(port, proc), 30))
    except BaseException:
        print(log.read_text())  # shown by pytest on failure
        raise
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
            raise
    assert code == 0


async def _chat_over_the_wire(port: int, proc: subprocess.Popen) -> None:
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        for _ in range(200):  # bounded wait for the server to come up
            try:
                page = await http.get(base + "/")
                break
            except httpx.TransportError:
                assert proc.poll() is None, "kernel run exited before serving"
                await asyncio.sleep(0.05)
        else:
            pytest.fail("kernel run did not start serving within 10 s")
    assert page.status_code == 200
    assert f'window.CHAT_URL = "ws://127.0.0.1:{port}/ws"' in page.text

    url = f"ws://127.0.0.1:{port}/ws"
    async with websockets.connect(url, open_timeout=TIMEOUT) as alice:
        welcome = json.loads(await asyncio.wait_for(alice.recv(), TIMEOUT))
        assert welcome["message"] == "Connected! 1 user online."
        async with websockets.connect(url + "?user=bob", open_timeout=TIMEOUT) as bob:
            assert json.loads(await asyncio.wait_for(bob.recv(), TIMEOUT))["message"] == (
                "Connected! 2 users online."
            )
            joined = json.loads(await asyncio.wait_for(alice.recv(), TIMEOUT))
            assert joined == {"type": "user_joined", "count": 2, "user": "bob"}
            await bob.send(json.dumps({"user": "bob", "message": "over the wire"}))
            got = json.loads(await asyncio.wait_for(alice.recv(), TIMEOUT))
            assert (got["user"], got["message"]) == ("bob", "over the wire")
        left = json.loads(await asyncio.wait_for(alice.recv(), TIMEOUT))
        assert left == {"type": "user_left", "count": 1, "user": "bob"}
