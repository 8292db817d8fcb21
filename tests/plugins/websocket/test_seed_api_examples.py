"""Seed 000 (the API reference): its examples, written as in the seed with quart -> erlen,
driven through the test client. The chat example has its own file
(test_seed_chat_broadcast.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from erlen import Erlen, abort, websocket  # noqa: F401 - `abort` is imported by the seed
from erlen.exceptions import BadRequest, ConnectionClosed
from erlen.testing import WebsocketDisconnectError, WebsocketResponseError


def echo_app() -> Erlen:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        # Accept the connection
        await websocket.accept()
        try:
            while True:
                # Receive message from client
                message = await websocket.receive()
                # Echo message back to client
                await websocket.send(f"Echo: {message}")
        except ConnectionClosed:
            print("WebSocket connection closed")

    return app


async def test_echo_example(capsys: pytest.CaptureFixture[str]) -> None:
    app = echo_app()
    async with app.test_client().websocket("/ws") as ws:
        await ws.send("hello")
        assert await ws.receive() == "Echo: hello"
        await ws.send("again")
        assert await ws.receive() == "Echo: again"
    assert "WebSocket connection closed" in capsys.readouterr().out


def json_api_app() -> Erlen:
    app = Erlen(__name__)

    @app.websocket("/api/ws")
    async def api_websocket():
        await websocket.accept()
        try:
            while True:
                # Receive JSON data
                data = await websocket.receive_json()
                # Process the message
                response = {"type": "response", "original": data, "timestamp": time.time()}
                # Send JSON response
                await websocket.send_json(response)
        except ConnectionClosed:
            print("Client disconnected")
        except BadRequest:
            # Handle invalid JSON
            await websocket.send_json({"type": "error", "message": "Invalid JSON format"})
            await websocket.close(code=1003, reason="Invalid data format")

    return app


async def test_json_api_example_answers_json(capsys: pytest.CaptureFixture[str]) -> None:
    app = json_api_app()
    before = time.time()
    async with app.test_client().websocket("/api/ws") as ws:
        await ws.send_json({"n": 1, "tags": ["a"]})
        reply = await ws.receive_json()
        assert reply["type"] == "response"
        assert reply["original"] == {"n": 1, "tags": ["a"]}
        assert reply["timestamp"] >= before
    assert "Client disconnected" in capsys.readouterr().out


async def test_json_api_example_closes_1003_on_invalid_json() -> None:
    app = json_api_app()
    async with app.test_client().websocket("/api/ws") as ws:
        await ws.send("{not json")
        assert await ws.receive_json() == {"type": "error", "message": "Invalid JSON format"}
        with pytest.raises(WebsocketDisconnectError) as info:
            await ws.receive()
    assert (info.value.code, info.value.reason) == (1003, "Invalid data format")


def secure_app() -> Erlen:
    app = Erlen(__name__)

    def get_user_from_token(token: str) -> str:  # named by the seed, left to the reader
        return f"user-of-{token}"

    @app.websocket("/secure/ws")
    async def secure_websocket():
        # Check authentication before accepting
        auth_token = websocket.args.get("token")
        if not auth_token or not validate_token(auth_token):
            await websocket.close(code=1008, reason="Authentication required")
            return
        # Accept authenticated connection
        await websocket.accept()
        try:
            while True:
                message = await websocket.receive_json()
                # Handle authenticated message
                response = await process_authenticated_message(message, auth_token)
                await websocket.send_json(response)
        except ConnectionClosed:
            print(f"Authenticated client disconnected: {auth_token}")

    def validate_token(token):
        # Implement token validation logic
        return token == "valid_token"

    async def process_authenticated_message(message, token):
        # Process message with authentication context
        return {"status": "processed", "data": message, "user": get_user_from_token(token)}

    return app


@pytest.mark.parametrize("query", [None, {"token": "wrong"}])
async def test_secure_example_rejects_without_valid_token(query: Any) -> None:
    app = secure_app()
    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/secure/ws", query_string=query):
            pass
    # Closing before accepting: the server answers 403; the test client keeps the code.
    assert info.value.response.status_code == 403
    assert isinstance(info.value, WebsocketDisconnectError)
    assert (info.value.code, info.value.reason) == (1008, "Authentication required")


async def test_secure_example_serves_a_valid_token(capsys: pytest.CaptureFixture[str]) -> None:
    app = secure_app()
    client = app.test_client()
    async with client.websocket("/secure/ws", query_string={"token": "valid_token"}) as ws:
        await ws.send_json({"q": 1})
        assert await ws.receive_json() == {
            "status": "processed",
            "data": {"q": 1},
            "user": "user-of-valid_token",
        }
    assert "Authenticated client disconnected: valid_token" in capsys.readouterr().out


def heartbeat_app() -> Erlen:
    app = Erlen(__name__)

    @app.websocket("/ws/heartbeat")
    async def heartbeat_websocket():
        await websocket.accept()
        # Start heartbeat task
        heartbeat_task = asyncio.create_task(heartbeat_handler())
        try:
            while True:
                # Receive messages with timeout
                try:
                    message = await asyncio.wait_for(
                        websocket.receive(),
                        timeout=30.0,  # 30 second timeout
                    )
                    # Handle regular messages
                    if message == "ping":
                        await websocket.send("pong")
                    else:
                        # Process other messages
                        await websocket.send(f"Received: {message}")
                except TimeoutError:
                    # Send ping to check if client is still alive
                    await websocket.send("ping")
        except ConnectionClosed:
            print("Client disconnected")
        finally:
            # Cancel heartbeat task
            heartbeat_task.cancel()
            try:
                await heartbeat_task
            except asyncio.CancelledError:
                pass

    async def heartbeat_handler():
        """Send periodic heartbeat messages."""
        try:
            while True:
                await asyncio.sleep(20)  # Send heartbeat every 20 seconds
                await websocket.send_json({"type": "heartbeat", "timestamp": time.time()})
        except (ConnectionClosed, asyncio.CancelledError):
            pass

    return app


async def test_heartbeat_example(capsys: pytest.CaptureFixture[str]) -> None:
    app = heartbeat_app()
    async with app.test_client().websocket("/ws/heartbeat") as ws:
        await ws.send("ping")
        assert await ws.receive() == "pong"
        await ws.send("status?")
        assert await ws.receive() == "Received: status?"
    # The disconnect reached the handler through wait_for as ConnectionClosed, and its
    # finally cancelled the heartbeat task (else leaving the block would time out).
    assert "Client disconnected" in capsys.readouterr().out


def robust_app() -> Erlen:
    app = Erlen(__name__)

    @app.websocket("/ws/robust")
    async def robust_websocket():
        try:
            await websocket.accept()
            while True:
                try:
                    # Receive and validate message
                    data = await websocket.receive_json()
                    # Validate message structure
                    if not isinstance(data, dict) or "type" not in data:
                        await websocket.send_json(
                            {
                                "type": "error",
                                "code": "INVALID_FORMAT",
                                "message": 'Message must be JSON object with "type" field',
                            }
                        )
                        continue
                    # Process different message types
                    if data["type"] == "echo":
                        await websocket.send_json(
                            {"type": "echo_response", "original": data.get("message", "")}
                        )
                    elif data["type"] == "time":
                        await websocket.send_json(
                            {"type": "time_response", "timestamp": time.time()}
                        )
                    else:
                        await websocket.send_json(
                            {
                                "type": "error",
                                "code": "UNKNOWN_TYPE",
                                "message": f"Unknown message type: {data['type']}",
                            }
                        )
                except BadRequest:
                    # Invalid JSON received
                    await websocket.send_json(
                        {"type": "error", "code": "INVALID_JSON", "message": "Invalid JSON format"}
                    )
                except Exception as e:
                    # Handle unexpected errors
                    await websocket.send_json(
                        {
                            "type": "error",
                            "code": "INTERNAL_ERROR",
                            "message": "An internal error occurred",
                        }
                    )
                    print(f"WebSocket error: {e}")
        except ConnectionClosed:
            print("WebSocket connection closed normally")
        except Exception as e:
            print(f"WebSocket handler error: {e}")
            try:
                await websocket.close(code=1011, reason="Internal server error")
            except:  # noqa: E722 - as written in the seed
                pass  # Connection might already be closed

    return app


async def test_robust_example(capsys: pytest.CaptureFixture[str]) -> None:
    app = robust_app()
    async with app.test_client().websocket("/ws/robust") as ws:
        await ws.send_json({"type": "echo", "message": "hi"})
        assert await ws.receive_json() == {"type": "echo_response", "original": "hi"}
        await ws.send_json({"type": "time"})
        reply = await ws.receive_json()
        assert reply["type"] == "time_response"
        assert isinstance(reply["timestamp"], float)
        await ws.send_json([1, 2])
        assert (await ws.receive_json())["code"] == "INVALID_FORMAT"
        await ws.send_json({"type": "dance"})
        assert await ws.receive_json() == {
            "type": "error",
            "code": "UNKNOWN_TYPE",
            "message": "Unknown message type: dance",
        }
        await ws.send("}{")
        assert (await ws.receive_json())["code"] == "INVALID_JSON"
        # The connection survived the bad JSON.
        await ws.send_json({"type": "echo", "message": "still here"})
        assert (await ws.receive_json())["original"] == "still here"
    out = capsys.readouterr().out
    # ConnectionClosed is not an Exception: the inner `except Exception` did not eat it.
    assert "WebSocket connection closed normally" in out
    assert "WebSocket error" not in out


async def test_the_class_listing_of_the_seed() -> None:
    """The seed's ``class Websocket`` listing, member by member, with its signatures: the
    attributes, ``accept(headers, subprotocol)``, ``receive``/``send`` of text and bytes,
    ``receive_json``, ``send_json`` (one value, several, or keyword arguments as a dict)
    and ``close(code, reason)``."""
    app = Erlen(__name__)
    seen: dict[str, Any] = {}

    @app.websocket("/rooms/<name>")
    async def room(name: str) -> None:
        seen.update(
            path=websocket.path,
            query_string=websocket.query_string,
            args=websocket.args.to_dict(),
            header=websocket.headers["X-Client"],
            offered=websocket.requested_subprotocols,
        )
        await websocket.accept(headers={"X-Accepted": name}, subprotocol="chat")
        await websocket.send(await websocket.receive())
        await websocket.send(await websocket.receive())
        await websocket.send_json(await websocket.receive_json())
        await websocket.send_json(1, 2)
        await websocket.send_json(kind="bye")
        await websocket.close(4000, "done")

    client = app.test_client()
    async with client.websocket(
        "/rooms/blue", query_string={"user": "ann"}, headers={"X-Client": "t"},
        subprotocols=["chat", "other"],
    ) as ws:  # fmt: skip
        assert (ws.subprotocol, ws.headers["X-Accepted"]) == ("chat", "blue")
        await ws.send("text")
        assert await ws.receive() == "text"
        await ws.send(b"\x00bytes")
        assert await ws.receive() == b"\x00bytes"
        await ws.send_json({"a": [1]})
        assert await ws.receive_json() == {"a": [1]}
        assert await ws.receive_json() == [1, 2]
        assert await ws.receive_json() == {"kind": "bye"}
        with pytest.raises(WebsocketDisconnectError) as closed:
            await ws.receive()
    assert (closed.value.code, closed.value.reason) == (4000, "done")
    assert seen == {
        "path": "/rooms/blue",
        "query_string": b"user=ann",
        "args": {"user": "ann"},
        "header": "t",
        "offered": ["chat", "other"],
    }
