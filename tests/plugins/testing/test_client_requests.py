"""What the test client sends and gives back, as Quart's client does: form pairs, JSON
as the caller wrote it (over a websocket too), a HEAD answer with its body, the peer
address, server pushes."""

from __future__ import annotations

from typing import Any

from erlen import Erlen, request, websocket


def echo_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/", methods=["GET", "HEAD", "POST"])
    async def index() -> Any:
        if request.method == "POST":
            return await request.get_data(as_text=True)
        return f"{request.method} from {request.remote_addr}"

    @app.post("/form")
    async def form() -> Any:
        return (await request.form).to_dict(flat=False)

    @app.post("/headers")
    async def headers() -> Any:
        return {"type": request.content_type, "length": request.content_length}

    @app.get("/push")
    async def push() -> str:
        await request.send_push_promise("/style.css")
        return "page"

    return app


async def test_form_pairs_repeat_a_field() -> None:
    response = await echo_app().test_client().post("/form", form=[("x", "1"), ("x", "2")])
    assert await response.get_json() == {"x": ["1", "2"]}


async def test_json_reaches_the_app_as_the_test_wrote_it() -> None:
    response = await echo_app().test_client().post("/", json={"b": 1, "a": 2})
    assert await response.get_data(as_text=True) == '{"b": 1, "a": 2}'


async def test_a_body_has_its_length_and_the_callers_content_type_wins() -> None:
    client = echo_app().test_client()
    response = await client.post(
        "/headers", json={"op": "add"}, headers={"Content-Type": "application/json-patch+json"}
    )
    assert await response.get_json() == {
        "type": "application/json-patch+json",
        "length": len('{"op": "add"}'),
    }


async def test_a_head_answer_keeps_its_body() -> None:
    response = await echo_app().test_client().head("/")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "HEAD from 127.0.0.1"
    assert response.headers["Content-Length"] == str(len("HEAD from 127.0.0.1"))


async def test_the_peer_is_local_unless_scope_base_says_otherwise() -> None:
    client = echo_app().test_client()
    assert await (await client.get("/")).get_data(as_text=True) == "GET from 127.0.0.1"
    response = await client.get("/", scope_base={"client": ("10.1.2.3", 999)})
    assert await response.get_data(as_text=True) == "GET from 10.1.2.3"


async def test_server_push_needs_http2() -> None:
    client = echo_app().test_client()
    await client.get("/push")
    assert client.push_promises == []  # HTTP/1.1 has no server push
    await client.get("/push", http_version="2")
    assert [path for path, _headers in client.push_promises] == ["/style.css"]


async def test_websocket_send_json_is_encoded_like_json_bodies() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(await websocket.receive())

    async with app.test_client().websocket("/ws") as conn:
        await conn.send_json({"b": 1, "a": 2})
        assert await conn.receive() == '{"b": 1, "a": 2}'


async def test_a_background_task_has_begun_when_the_response_is_returned() -> None:
    # As over a network, or with Quart's client (the app runs in its own task there): a
    # test that reads the next answer right away sees what the task did before its
    # first wait.
    app = Erlen(__name__)
    saved: list[str] = []

    async def save(name: str) -> None:
        saved.append(name)

    @app.post("/names/<name>")
    async def add(name: str) -> tuple[str, int]:
        app.add_background_task(save, name)
        return "accepted", 202

    @app.get("/names")
    async def names() -> Any:
        return saved

    client = app.test_client()
    response = await client.post("/names/ada")
    assert response.status_code == 202
    assert await (await client.get("/names")).get_json() == ["ada"]
