"""The ``/live`` websocket: every connected client hears about every change."""

from __future__ import annotations

import asyncio

import pytest
from erlen.testing.connections import WebsocketDisconnectError


async def test_hello_counts_the_clients(client, receive_json) -> None:
    async with client.websocket("/live") as first:
        assert await receive_json(first) == {"event": "hello", "clients": 1, "user": None}
        async with client.websocket("/live") as second:
            assert await receive_json(second) == {"event": "hello", "clients": 2, "user": None}
            stats = await (await client.get("/api/stats")).get_json()
            assert stats["live_clients"] == 2


async def test_ping_pong(client, receive_json) -> None:
    async with client.websocket("/live") as ws:
        await receive_json(ws)
        await ws.send_json({"action": "ping"})
        assert await receive_json(ws) == {"event": "pong"}


async def test_api_changes_reach_every_client(client, receive_json) -> None:
    async with client.websocket("/live") as first, client.websocket("/live") as second:
        await receive_json(first)
        await receive_json(second)
        response = await client.post("/api/todos", json={"title": "Shared"})
        todo = await response.get_json()
        for ws in (first, second):
            assert await receive_json(ws) == {"event": "created", "todo": todo}
        await client.patch("/api/todos/1", json={"done": True})
        for ws in (first, second):
            message = await receive_json(ws)
            assert message["event"] == "updated"
            assert message["todo"]["done"] is True
        await client.delete("/api/todos/1")
        for ws in (first, second):
            assert (await receive_json(ws))["event"] == "deleted"


async def test_page_forms_broadcast_too(logged_in, receive_json) -> None:
    async with logged_in.websocket("/live") as ws:
        await receive_json(ws)
        await logged_in.post("/todos", form={"title": "From the page"})
        message = await receive_json(ws)
        assert message["event"] == "created"
        assert message["todo"]["title"] == "From the page"
        await logged_in.post("/todos/1/toggle")
        message = await receive_json(ws)
        assert (message["event"], message["todo"]["done"]) == ("updated", True)


async def test_a_client_that_left_does_not_break_changes(client, receive_json) -> None:
    async with client.websocket("/live") as ws:
        await receive_json(ws)
    # The handler notices the close and unregisters the client; give it a moment.
    for _ in range(50):
        if (await (await client.get("/api/stats")).get_json())["live_clients"] == 0:
            break
        await asyncio.sleep(0.01)
    assert (await (await client.get("/api/stats")).get_json())["live_clients"] == 0
    response = await client.post("/api/todos", json={"title": "After they left"})
    assert response.status_code == 201


async def test_hello_names_the_logged_in_user(logged_in, receive_json) -> None:
    async with logged_in.websocket("/live") as ws:
        assert (await receive_json(ws))["user"] == "alice"


async def test_add_through_the_socket_reaches_everyone(app, logged_in, receive_json) -> None:
    anonymous = app.test_client()
    async with anonymous.websocket("/live") as watcher, logged_in.websocket("/live") as writer:
        await receive_json(watcher)
        await receive_json(writer)
        await writer.send_json({"action": "add", "title": " Via socket "})
        for ws in (writer, watcher):
            message = await receive_json(ws)
            assert message["event"] == "created"
            assert message["todo"]["title"] == "Via socket"
    todos = (await (await anonymous.get("/api/todos")).get_json())["todos"]
    assert [todo["title"] for todo in todos] == ["Via socket"]


async def test_socket_commands_are_checked(app, logged_in, receive_json) -> None:
    other = app.test_client()
    async with other.websocket("/live") as anonymous, logged_in.websocket("/live") as alice:
        await receive_json(anonymous)
        await receive_json(alice)
        await anonymous.send_json({"action": "add", "title": "Nope"})
        assert await receive_json(anonymous) == {
            "event": "error",
            "message": "log in to add todos",
        }
        await alice.send_json({"action": "remove"})
        assert (await receive_json(alice))["message"] == "unknown command"
        await alice.send_json({"action": "add", "title": ""})
        assert (await receive_json(alice))["message"] == "title must be a non-empty string"


async def test_text_that_is_not_json_closes_with_1003(client, receive_json, receive) -> None:
    async with client.websocket("/live") as ws:
        await receive_json(ws)
        await ws.send("hello?")
        with pytest.raises(WebsocketDisconnectError) as closed:
            await receive(ws)
    assert closed.value.args[0] == 1003
