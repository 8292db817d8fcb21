"""``request.mimetype`` and ``mimetype_params``: each distinct Content-Type is parsed
once; a view changing its params dict changes only its own request."""

from __future__ import annotations

from erlen import Erlen, request


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/type", methods=["POST"])
    async def content_type() -> dict[str, object]:
        answer = {
            "mimetype": request.mimetype,
            "params": dict(request.mimetype_params),
            "is_json": request.is_json,
        }
        request.mimetype_params["scribbled"] = "yes"
        return answer

    return app


async def post(app: Erlen, content_type: str) -> object:
    client = app.test_client()
    response = await client.post("/type", data=b"{}", headers={"Content-Type": content_type})
    return await response.get_json()


async def test_the_same_content_type_reads_the_same_every_time() -> None:
    app = make_app()
    for _ in range(3):
        assert await post(app, "Application/JSON; charset=UTF-8") == {
            "mimetype": "application/json",
            "params": {"charset": "UTF-8"},
            "is_json": True,
        }


async def test_different_content_types_are_told_apart() -> None:
    app = make_app()
    assert (await post(app, "text/plain"))["mimetype"] == "text/plain"  # type: ignore[index]
    assert await post(app, "application/vnd.api+json") == {
        "mimetype": "application/vnd.api+json",
        "params": {},
        "is_json": True,
    }
