"""A ``werkzeug.wrappers.Response`` returned from a view (bare or in a tuple) is sent as
it is, as Quart and Flask send it: ``werkzeug.utils.redirect`` returns one."""

from __future__ import annotations

from collections.abc import Iterator

from erlen import Erlen
from werkzeug.utils import redirect
from werkzeug.wrappers import Response as WerkzeugResponse


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/old")
    async def old() -> WerkzeugResponse:
        return redirect("/new")

    @app.route("/tuple")
    async def in_a_tuple() -> tuple[WerkzeugResponse, int, dict[str, str]]:
        return WerkzeugResponse("made by werkzeug"), 201, {"X-Extra": "1"}

    @app.route("/streamed")
    def streamed() -> WerkzeugResponse:
        def chunks() -> Iterator[bytes]:
            yield b"one "
            yield b"two"

        return WerkzeugResponse(chunks(), mimetype="text/plain")

    return app


async def test_a_werkzeug_redirect_is_sent() -> None:
    response = await make_app().test_client().get("/old")
    assert response.status_code == 302
    assert response.headers["Location"] == "/new"
    assert b"/new" in await response.get_data()


async def test_a_werkzeug_response_in_a_tuple_takes_the_status_and_headers() -> None:
    response = await make_app().test_client().get("/tuple")
    assert response.status_code == 201
    assert response.headers["X-Extra"] == "1"
    assert response.headers["Content-Length"] == "16"
    assert await response.get_data() == b"made by werkzeug"


async def test_a_streamed_werkzeug_response_is_streamed() -> None:
    client = make_app().test_client()
    response = await client.get("/streamed")
    assert (response.status_code, await response.get_data()) == (200, b"one two")
    head = await client.head("/tuple")
    assert head.status_code == 201  # (the test client keeps a HEAD body, as Quart's)


async def test_make_response_keeps_it_and_after_request_sees_it() -> None:
    app = make_app()
    seen: list[type] = []

    @app.after_request
    def after(response: WerkzeugResponse) -> WerkzeugResponse:
        seen.append(type(response))
        response.headers["X-After"] = "yes"
        return response

    async with app.app_context():
        made = await app.make_response((WerkzeugResponse("x"), 202))
    assert isinstance(made, WerkzeugResponse) and made.status_code == 202
    response = await app.test_client().get("/tuple")
    assert response.headers["X-After"] == "yes"
    assert seen == [WerkzeugResponse]
