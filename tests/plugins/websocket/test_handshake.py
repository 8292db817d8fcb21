"""The handshake: subprotocols, accept headers, idempotent accept, rejections (returned
responses, abort, close before accept, with and without the server's
`websocket.http.response` extension), routing errors and request-like attributes."""

from __future__ import annotations

import logging

import pytest
from erlen import Blueprint, Erlen, abort, websocket
from erlen.testing import WebsocketDisconnectError, WebsocketResponseError


async def test_subprotocol_is_negotiated() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        offered = websocket.requested_subprotocols
        await websocket.accept(subprotocol="chat.v2")
        await websocket.send(",".join(offered))

    async with app.test_client().websocket("/ws", subprotocols=["chat.v1", "chat.v2"]) as conn:
        assert conn.subprotocol == "chat.v2"
        assert await conn.receive() == "chat.v1,chat.v2"


async def test_unrequested_subprotocol_is_a_clear_error(caplog: pytest.LogCaptureFixture) -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        await websocket.accept(subprotocol="graphql-ws")

    with caplog.at_level(logging.ERROR), pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws", subprotocols=["chat.v1"]):
            pass
    assert info.value.response.status_code == 500
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    message = str(record.exc_info[1])  # type: ignore[index]
    assert "'graphql-ws'" in message and "['chat.v1']" in message


async def test_accept_headers_are_sent_and_accept_is_idempotent() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        await websocket.accept(headers={"X-Session": "abc"})
        await websocket.accept()  # a second accept does nothing
        await websocket.send("ok")

    async with app.test_client().websocket("/ws") as conn:
        assert conn.headers is not None
        assert conn.headers["X-Session"] == "abc"
        assert await conn.receive() == "ok"


async def test_returned_response_with_headers_rejects() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        return "Slow down", 429, {"Retry-After": "5"}

    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws"):
            pass
    response = info.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "5"
    assert await response.get_data() == b"Slow down"


async def test_abort_401_rejects_with_its_body() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        abort(401)

    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws"):
            pass
    assert info.value.response.status_code == 401
    assert b"Unauthorized" in await info.value.response.get_data()


async def test_without_the_http_response_extension_a_rejection_is_a_403() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        return "Invalid password", 401

    client = app.test_client()
    with pytest.raises(WebsocketResponseError) as info:
        async with client.websocket("/ws", scope_base={"extensions": {}}):
            pass
    # The app could only close the handshake: the server's answer is 403.
    assert info.value.response.status_code == 403


async def test_close_before_accept_is_a_403_and_keeps_code_and_reason() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        await websocket.close(4001, "go away")

    with pytest.raises(WebsocketDisconnectError) as info:
        async with app.test_client().websocket("/ws"):
            pass
    assert isinstance(info.value, WebsocketResponseError)
    assert info.value.response.status_code == 403
    assert (info.value.code, info.value.reason) == (4001, "go away")


async def test_handler_returning_nothing_without_accepting_is_a_403() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        return None

    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/ws"):
            pass
    assert info.value.response.status_code == 403


async def test_unknown_path_is_a_404_rejection() -> None:
    app = Erlen(__name__)
    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/nowhere"):
            pass
    assert info.value.response.status_code == 404


async def test_hosts_route_websockets_as_requests() -> None:
    # With SERVER_NAME, a websocket's subdomain comes from its Host, and a Host outside
    # SERVER_NAME is refused with a 404 and a warning (tests/core/test_host_routing.py).
    app = Erlen(__name__)
    app.config["SERVER_NAME"] = "example.test"
    api = Blueprint("api", __name__, subdomain="api")

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(f"main {websocket.host}")

    @api.websocket("/ws")
    async def api_ws() -> None:
        await websocket.send(f"api {websocket.host}")

    app.register_blueprint(api)
    client = app.test_client()
    async with client.websocket("/ws") as conn:
        assert await conn.receive() == "main example.test"
    async with client.websocket("/ws", subdomain="api") as conn:
        assert await conn.receive() == "api api.example.test"
    with pytest.warns(UserWarning, match="server name"):
        with pytest.raises(WebsocketResponseError) as info:
            async with client.websocket("/ws", headers={"Host": "other.test"}):
                pass
    assert info.value.response.status_code == 404


async def test_websocket_to_an_http_only_route_is_a_400_rejection() -> None:
    app = Erlen(__name__)

    @app.route("/page")
    async def page():
        return "page"

    with pytest.raises(WebsocketResponseError) as info:
        async with app.test_client().websocket("/page"):
            pass
    assert info.value.response.status_code == 400


async def test_request_like_attributes() -> None:
    app = Erlen(__name__)

    @app.websocket("/rooms/<int:room>")
    async def room(room: int):
        await websocket.send_json(
            {
                "room": room,
                "path": websocket.path,
                "query_string": websocket.query_string.decode(),
                "args": websocket.args.getlist("tag"),
                "header": websocket.headers["X-Client"],
                "cookie": websocket.cookies.get("flavour"),
                "user": websocket.authorization.username,
                "scheme": websocket.scheme,
                "host": websocket.host,
                "url": websocket.url,
                "method": websocket.method,
                "endpoint": websocket.endpoint,
                "view_args": websocket.view_args,
            }
        )

    client = app.test_client()
    client.set_cookie("localhost", "flavour", "lemon")
    async with client.websocket(
        "/rooms/7",
        query_string={"tag": ["a", "b"]},
        headers={"X-Client": "tests"},
        auth=("ann", "pw"),
    ) as conn:
        info = await conn.receive_json()
    assert info == {
        "room": 7,
        "path": "/rooms/7",
        "query_string": "tag=a&tag=b",
        "args": ["a", "b"],
        "header": "tests",
        "cookie": "lemon",
        "user": "ann",
        "scheme": "ws",
        "host": "localhost",
        "url": "ws://localhost/rooms/7?tag=a&tag=b",
        "method": "GET",
        "endpoint": "room",
        "view_args": {"room": 7},
    }


async def test_websocket_object_is_exported_and_hashable() -> None:
    import erlen
    from erlen.plugins.websocket.wrapper import Websocket

    assert erlen.Websocket is Websocket
    app = Erlen(__name__)
    seen: list[bool] = []

    @app.websocket("/ws")
    async def ws():
        conn = websocket._get_current_object()
        seen.append(isinstance(conn, Websocket) and conn in {conn} and conn == websocket)
        await websocket.send("done")

    async with app.test_client().websocket("/ws") as conn:
        assert await conn.receive() == "done"
    assert seen == [True]


def test_the_proxy_outside_a_connection_names_the_problem() -> None:
    with pytest.raises(RuntimeError, match="Working outside of websocket context"):
        websocket.path  # noqa: B018
    with pytest.raises(TypeError, match=r"connections\.add\(websocket\.connection\)"):
        {websocket}  # noqa: B018
