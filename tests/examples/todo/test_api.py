"""The JSON API: MethodView resources, validation, JSON errors."""

from __future__ import annotations


async def _create(client, title: str = "Write tests") -> dict:
    response = await client.post("/api/todos", json={"title": title})
    assert response.status_code == 201
    return await response.get_json()


async def test_list_is_empty(client) -> None:
    response = await client.get("/api/todos")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert await response.get_json() == {"todos": []}


async def test_create_returns_201_and_location(client) -> None:
    response = await client.post("/api/todos", json={"title": "  Write tests "})
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/todos/1"
    assert await response.get_json() == {
        "id": 1,
        "title": "Write tests",
        "done": False,
        "attachment": None,
    }
    listed = await (await client.get("/api/todos")).get_json()
    assert [todo["title"] for todo in listed["todos"]] == ["Write tests"]


async def test_get_one(client) -> None:
    todo = await _create(client)
    response = await client.get(f"/api/todos/{todo['id']}")
    assert response.status_code == 200
    assert await response.get_json() == todo


async def test_patch_changes_only_what_is_given(client) -> None:
    todo = await _create(client)
    response = await client.patch(f"/api/todos/{todo['id']}", json={"done": True})
    assert response.status_code == 200
    assert await response.get_json() == {**todo, "done": True}
    response = await client.patch(f"/api/todos/{todo['id']}", json={"title": "Renamed"})
    assert await response.get_json() == {**todo, "done": True, "title": "Renamed"}


async def test_delete_then_404(client) -> None:
    todo = await _create(client)
    response = await client.delete(f"/api/todos/{todo['id']}")
    assert response.status_code == 204
    assert await response.get_data() == b""
    response = await client.get(f"/api/todos/{todo['id']}")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    body = await response.get_json()
    assert body["error"] == "not_found"
    assert body["message"]


async def test_missing_todo_is_a_json_404_for_every_verb(client) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.open("/api/todos/7", method=method, json={"done": True})
        assert response.status_code == 404, method
        assert (await response.get_json())["error"] == "not_found"


async def test_malformed_json_is_a_json_400(client) -> None:
    response = await client.post(
        "/api/todos", data=b'{"title": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert (await response.get_json())["error"] == "bad_request"


async def test_validation_errors(client) -> None:
    cases = [
        ([1, 2], "expected a JSON object"),
        ({}, "title must be a non-empty string"),
        ({"title": ""}, "title must be a non-empty string"),
        ({"title": 3}, "title must be a non-empty string"),
        ({"title": "x" * 201}, "title is too long"),
        ({"title": "ok", "done": "yes"}, "done must be true or false"),
        ({"title": "ok", "owner": "bob"}, "unknown fields: owner"),
    ]
    for body, message in cases:
        response = await client.post("/api/todos", json=body)
        assert response.status_code == 400, body
        assert await response.get_json() == {"error": "bad_request", "message": message}
    assert await (await client.get("/api/todos")).get_json() == {"todos": []}


async def test_form_body_is_not_json(client) -> None:
    response = await client.post("/api/todos", form={"title": "From a form"})
    assert response.status_code == 400
    assert (await response.get_json())["message"] == "expected a JSON object"


async def test_api_and_html_see_the_same_todos(logged_in) -> None:
    await logged_in.post("/todos", form={"title": "From the page"})
    todos = (await (await logged_in.get("/api/todos")).get_json())["todos"]
    assert [todo["title"] for todo in todos] == ["From the page"]
