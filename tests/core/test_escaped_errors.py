"""An unhandled error with testing, debug or ``PROPAGATE_EXCEPTIONS`` on (Quart 0.22's
rules): ``app.handle_request`` raises it, and the ``http`` protocol handler answers it with
the debug traceback page in testing or debug mode, or lets it reach the server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from erlen import Erlen


class Broken(Exception):
    pass


def failing_app(**config: Any) -> Erlen:
    app = Erlen(__name__)
    app.config.update(config)

    @app.route("/fail")
    async def fail() -> str:
        raise Broken("the <detail>")

    return app


@pytest.mark.parametrize("mode", [{"TESTING": True}, {"DEBUG": True}])
async def test_testing_or_debug_answers_500_with_the_traceback_page(
    mode: dict[str, bool], caplog: Any
) -> None:
    app = failing_app(**mode)
    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/fail?x=1")
    assert response.status_code == 500
    assert response.headers["Cache-Control"] == "no-store"
    page = await response.get_data(as_text=True)
    assert "the &lt;detail&gt;" in page
    assert "<th>URL</th><td>http://localhost/fail?x=1</td>" in page
    assert [r.getMessage() for r in caplog.records] == ["Exception on request GET /fail"]


@pytest.mark.parametrize("mode", [{"TESTING": True}, {"DEBUG": True}])
async def test_handle_request_itself_raises_in_testing_or_debug(mode: dict[str, bool]) -> None:
    app = failing_app(**mode)
    async with app.test_request_context("/fail") as ctx:
        with pytest.raises(Broken):
            await app.handle_request(ctx.request)


async def test_propagate_exceptions_without_testing_or_debug_reaches_the_caller() -> None:
    app = failing_app(PROPAGATE_EXCEPTIONS=True)
    with pytest.raises(Broken, match="detail"):
        await app.test_client().get("/fail")


async def test_propagate_false_keeps_the_plain_500_in_testing() -> None:
    response = (
        await failing_app(TESTING=True, PROPAGATE_EXCEPTIONS=False).test_client().get("/fail")
    )
    assert response.status_code == 500
    assert "detail" not in await response.get_data(as_text=True)


async def test_a_500_handler_is_not_used_when_the_error_propagates() -> None:
    app = failing_app(TESTING=True)
    app.register_error_handler(500, lambda error: ("handled", 500))
    response = await app.test_client().get("/fail")
    assert "Broken" in await response.get_data(as_text=True)
    app = failing_app()
    app.register_error_handler(500, lambda error: ("handled", 500))
    assert await (await app.test_client().get("/fail")).get_data() == b"handled"
