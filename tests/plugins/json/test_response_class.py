"""``jsonify`` builds the app's current ``response_class``, even when it changes."""

from __future__ import annotations

from typing import Any

from erlen import Erlen, Response, jsonify


class TaggedResponse(Response):
    """A response class that adds a header in its constructor."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers["X-Tagged"] = "yes"


async def test_jsonify_follows_a_response_class_swapped_at_run_time() -> None:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> Any:
        return jsonify({"a": 1})

    client = app.test_client()
    first = await client.get("/")
    assert first.headers["Content-Type"] == "application/json"
    assert "X-Tagged" not in first.headers
    app.response_class = TaggedResponse
    second = await client.get("/")
    assert second.headers["X-Tagged"] == "yes"
    assert await second.get_json() == {"a": 1}


async def test_jsonify_follows_a_changed_mimetype() -> None:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> Any:
        return jsonify(a=1)

    client = app.test_client()
    assert (await client.get("/")).headers["Content-Type"] == "application/json"
    app.json.mimetype = "application/vnd.api+json"  # type: ignore[attr-defined]
    response = await client.get("/")
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    assert await response.get_data() == b'{"a":1}\n'
