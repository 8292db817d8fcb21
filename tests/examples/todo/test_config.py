"""Configuration: defaults, ``TODO_*`` environment variables, and the test mapping."""

from __future__ import annotations

from examples.todo import create_app


async def test_defaults_need_no_configuration(tmp_path, page) -> None:
    app = create_app({"UPLOAD_FOLDER": str(tmp_path)})
    assert app.config["DATABASE"] == ":memory:"
    async with app.test_app():
        response = await app.test_client().get("/")
        assert response.status_code == 200
        assert "<title>All todos - Todos</title>" in await page(response)


async def test_environment_variables_with_the_todo_prefix(monkeypatch, tmp_path, page) -> None:
    monkeypatch.setenv("TODO_PAGE_TITLE", '"Chores"')
    monkeypatch.setenv("TODO_MAX_TITLE_LENGTH", "5")
    monkeypatch.setenv("TODO_UPLOAD_FOLDER", str(tmp_path))
    app = create_app()
    assert app.config["MAX_TITLE_LENGTH"] == 5
    async with app.test_app():
        client = app.test_client()
        assert "<title>All todos - Chores</title>" in await page(await client.get("/"))
        response = await client.post("/api/todos", json={"title": "Too long"})
        assert response.status_code == 400
        assert (await response.get_json())["message"] == "title is too long"


async def test_test_config_wins_over_the_environment(monkeypatch, config, page) -> None:
    monkeypatch.setenv("TODO_PAGE_TITLE", '"Chores"')
    app = create_app({**config, "PAGE_TITLE": "Testing"})
    async with app.test_app():
        response = await app.test_client().get("/")
        assert "<title>All todos - Testing</title>" in await page(response)
