"""The fast matcher remembers where the static descent of a path ends (by the path
before its last "/"): requests sharing that prefix must get the answers of a first walk."""

from __future__ import annotations

from erlen import Erlen


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/users/<int:user_id>")
    async def user(user_id: int) -> str:
        return f"user {user_id + 1}"

    @app.route("/users/me")
    async def me() -> str:
        return "me"

    @app.route("/users/<name>/posts/<int:n>", methods=["POST"])
    async def post(name: str, n: int) -> str:
        return f"post {name} {n}"

    @app.route("/files/<path:rest>")
    async def files(rest: str) -> str:
        return f"file {rest}"

    @app.route("/dir/")
    async def directory() -> str:
        return "dir"

    return app


REQUESTS = [
    ("GET", "/users/41", 200, "user 42"),
    ("GET", "/users/me", 200, "me"),
    ("GET", "/users/x", 404, None),
    ("POST", "/users/41", 405, None),
    ("POST", "/users/ada/posts/3", 200, "post ada 3"),
    ("GET", "/users/ada/posts/3", 405, None),
    ("POST", "/users/ada/posts/x", 404, None),
    ("GET", "/files/a", 200, "file a"),
    ("GET", "/files/a/b/c", 200, "file a/b/c"),
    ("GET", "/dir", 308, None),
    ("GET", "/dir/", 200, "dir"),
    ("GET", "/nowhere/1", 404, None),
]


async def test_every_answer_is_the_same_on_the_second_pass() -> None:
    client = make_app().test_client()
    for _pass in range(2):
        for method, path, status, body in REQUESTS:
            response = await client.open(path, method=method)
            assert (method, path, response.status_code) == (method, path, status)
            if body is not None:
                assert await response.get_data(as_text=True) == body


async def test_a_rule_added_to_the_map_later_is_matched() -> None:
    from werkzeug.routing import Rule

    app = make_app()
    client = app.test_client()
    assert (await client.get("/users/41")).status_code == 200
    assert (await client.get("/late/1")).status_code == 404
    app.url_map.add(Rule("/late/<int:user_id>", endpoint="user"))
    response = await client.get("/late/1")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "user 2"
