"""``before_serving`` opens the store, ``after_serving`` closes it; ``request_finished``
is counted by a signal receiver."""

from __future__ import annotations

from examples.todo import create_app


async def test_todos_survive_a_restart(config) -> None:
    app = create_app(config)
    async with app.test_app():
        response = await app.test_client().post("/api/todos", json={"title": "Persist me"})
        assert response.status_code == 201
    async with app.test_app():
        response = await app.test_client().get("/api/todos/1")
        assert (await response.get_json())["title"] == "Persist me"


async def test_request_finished_signal_counts_requests(config) -> None:
    app = create_app(config)
    async with app.test_app():
        client = app.test_client()
        await client.get("/")
        await client.get("/api/todos/99")
        await client.post("/api/todos", json={})
        stats = await (await client.get("/api/stats")).get_json()
        # The stats request itself finishes after its body was built.
        assert stats["requests_finished"] == 3


async def test_websocket_connections_are_not_requests(client, receive_json) -> None:
    async with client.websocket("/live") as ws:
        await receive_json(ws)
    stats = await (await client.get("/api/stats")).get_json()
    assert stats["requests_finished"] == 0
