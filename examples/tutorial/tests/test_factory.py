from board import create_app


def test_config() -> None:
    assert not create_app().testing
    assert create_app({"TESTING": True}).testing


async def test_index_without_posts(client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "Nothing yet." in await response.get_data(as_text=True)


def test_init_db_command(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "Initialized the database" in result.output
