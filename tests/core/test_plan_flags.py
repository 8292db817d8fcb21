"""Each endpoint's plan says in one flag whether anything runs before its view and at
its teardown: every source of such a function must set it (app or blueprint functions,
URL value preprocessors, plugin hooks), and a route without any must still answer."""

from __future__ import annotations

from typing import Any

from erlen import Blueprint, Erlen, g, hookimpl


def make_app(**kwargs: Any) -> tuple[Erlen, list[str]]:
    app = Erlen(__name__, **kwargs)
    log: list[str] = []
    bp = Blueprint("bp", __name__)

    @bp.url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, Any] | None) -> None:
        assert values is not None
        g.lang = values.pop("lang")
        log.append(f"preprocess {endpoint}")

    @bp.route("/<lang>/hello")
    async def hello() -> str:
        return f"hello {g.lang}"

    @bp.teardown_request
    def bp_teardown(exc: BaseException | None) -> None:
        log.append("bp teardown")

    app.register_blueprint(bp)

    @app.route("/plain")
    async def plain() -> str:
        return "plain"

    return app, log


async def test_a_url_value_preprocessor_alone_runs_before_the_view() -> None:
    app, log = make_app()
    client = app.test_client()
    response = await client.get("/fr/hello")
    assert await response.get_data(as_text=True) == "hello fr"
    assert log == ["preprocess bp.hello", "bp teardown"]
    log.clear()
    response = await client.get("/plain")
    assert await response.get_data(as_text=True) == "plain"
    assert log == []


async def test_plugin_hooks_run_for_a_route_with_no_functions_of_its_own() -> None:
    log: list[str] = []

    class Plugin:
        name = "flags"

        @hookimpl
        def erlen_before_request(self, app: Erlen, request: Any) -> None:
            log.append(f"before {request.path}")

        @hookimpl
        def erlen_teardown_request(self, app: Erlen, request: Any, exc: Any) -> None:
            log.append(f"teardown {request.path}")

    app, _log = make_app(plugins=["testing", Plugin()])
    response = await app.test_client().get("/plain")
    assert await response.get_data(as_text=True) == "plain"
    assert log == ["before /plain", "teardown /plain"]
