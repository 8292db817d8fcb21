"""Error handling: HTTP exceptions, error handlers, the 500 path, logging, propagation."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from erlen import Erlen, Response, abort, got_request_exception, request
from erlen.hints import AWAIT_HINT
from erlen.logging import default_handler
from werkzeug.exceptions import Conflict, HTTPException, NotFound


class AppError(Exception):
    pass


class SubAppError(AppError):
    pass


class OtherError(Exception):
    pass


@pytest.fixture
def app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/boom")
    async def boom() -> str:
        raise RuntimeError("secret-detail-xyz")

    @app.route("/app-error")
    async def app_error() -> str:
        raise AppError("base")

    @app.route("/sub-error")
    async def sub_error() -> str:
        raise SubAppError("sub")

    @app.route("/other")
    async def other() -> str:
        raise OtherError("other")

    @app.route("/conflict")
    async def conflict() -> str:
        raise Conflict()

    @app.route("/abort/<int:code>")
    async def aborting(code: int) -> str:
        abort(code)

    return app


async def text(response: Any) -> str:
    return await response.get_data(as_text=True)  # type: ignore[no-any-return]


async def test_http_exceptions_become_their_responses(app: Erlen) -> None:
    client = app.test_client()
    response = await client.get("/conflict")
    assert response.status_code == 409
    assert "Conflict" in await text(response)
    assert response.mimetype == "text/html"


async def test_unhandled_exception_is_500_without_leaking(
    app: Erlen, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/boom")
    assert response.status_code == 500
    body = await text(response)
    assert "Internal Server Error" in body
    assert "secret-detail-xyz" not in body
    assert "Traceback" not in body
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(records) == 1
    assert records[0].getMessage() == "Exception on request GET /boom"
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is RuntimeError


async def test_testing_answers_with_the_traceback_page(app: Erlen) -> None:
    # Quart 0.22: in testing the error propagates out of handle_request, then the
    # protocol handler answers it with the debug page; PROPAGATE_EXCEPTIONS = True (and
    # neither testing nor debug) lets it reach the test instead.
    app.config["TESTING"] = True
    response = await app.test_client().get("/boom")
    assert response.status_code == 500
    assert "secret-detail-xyz" in await response.get_data(as_text=True)


async def test_propagate_exceptions_config(app: Erlen) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError):
        await app.test_client().get("/boom")


async def test_propagate_false_overrides_testing(app: Erlen) -> None:
    app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=False)
    response = await app.test_client().get("/boom")
    assert response.status_code == 500


async def test_debug_answers_with_the_traceback_page(app: Erlen) -> None:
    # As Quart's debug mode (Flask re-raises into werkzeug's debugger instead), with
    # PROPAGATE_EXCEPTIONS = True too (Quart 0.22 shows the page whenever debug is on).
    app.debug = True
    response = await app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Erlen debugger" in await response.get_data(as_text=True)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    response = await app.test_client().get("/boom")
    assert "Erlen debugger" in await response.get_data(as_text=True)


async def test_http_exceptions_are_not_propagated_in_testing(app: Erlen) -> None:
    app.config["TESTING"] = True
    assert (await app.test_client().get("/conflict")).status_code == 409
    assert (await app.test_client().get("/missing")).status_code == 404


async def test_errorhandler_for_status_code(app: Erlen) -> None:
    @app.errorhandler(404)
    async def not_found(error: NotFound) -> Any:
        return {"error": "nothing here", "code": error.code}, 404

    response = await app.test_client().get("/missing")
    assert response.status_code == 404
    assert await response.get_json() == {"error": "nothing here", "code": 404}
    response = await app.test_client().get("/abort/404")
    assert await response.get_json() == {"error": "nothing here", "code": 404}


async def test_errorhandler_for_405(app: Erlen) -> None:
    @app.errorhandler(405)
    async def not_allowed(error: HTTPException) -> Any:
        return "nope", 405

    response = await app.test_client().post("/boom")
    assert (response.status_code, await text(response)) == (405, "nope")


async def test_errorhandler_for_exception_class_with_subclass_resolution(app: Erlen) -> None:
    @app.errorhandler(AppError)
    async def handle_app_error(error: AppError) -> Any:
        return f"app error: {type(error).__name__} {error}", 418

    client = app.test_client()
    response = await client.get("/app-error")
    assert (response.status_code, await text(response)) == (418, "app error: AppError base")
    response = await client.get("/sub-error")
    assert (response.status_code, await text(response)) == (418, "app error: SubAppError sub")
    assert (await client.get("/other")).status_code == 500


async def test_most_specific_handler_wins(app: Erlen) -> None:
    @app.errorhandler(AppError)
    async def base(error: Exception) -> str:
        return "base"

    @app.errorhandler(SubAppError)
    async def sub(error: Exception) -> str:
        return "sub"

    client = app.test_client()
    assert await text(await client.get("/sub-error")) == "sub"
    assert await text(await client.get("/app-error")) == "base"


async def test_register_error_handler(app: Erlen) -> None:
    def handle(error: Exception) -> tuple[str, int]:
        return "registered", 400

    app.register_error_handler(OtherError, handle)
    app.register_error_handler(409, lambda e: ("conflict handled", 409))
    client = app.test_client()
    response = await client.get("/other")
    assert (response.status_code, await text(response)) == (400, "registered")
    assert await text(await client.get("/conflict")) == "conflict handled"


async def test_handler_for_http_exception_base_class(app: Erlen) -> None:
    @app.errorhandler(HTTPException)
    async def any_http(error: HTTPException) -> Any:
        return {"code": error.code}, error.code

    client = app.test_client()
    assert await (await client.get("/missing")).get_json() == {"code": 404}
    assert await (await client.get("/conflict")).get_json() == {"code": 409}
    assert await (await client.get("/abort/403")).get_json() == {"code": 403}


async def test_handler_for_exception_catches_http_exceptions_too(app: Erlen) -> None:
    @app.errorhandler(Exception)
    async def anything(error: Exception) -> Any:
        return f"caught {type(error).__name__}", 500

    client = app.test_client()
    assert await text(await client.get("/boom")) == "caught RuntimeError"
    # An HTTPException is an Exception too: the generic handler answers it (Flask semantics).
    assert await text(await client.get("/missing")) == "caught NotFound"


async def test_500_handler(app: Erlen, caplog: pytest.LogCaptureFixture) -> None:
    @app.errorhandler(500)
    async def server_error(error: Any) -> Any:
        original = getattr(error, "original_exception", None)
        return f"custom 500 for {type(original).__name__}", 500

    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/boom")
    assert (response.status_code, await text(response)) == (500, "custom 500 for RuntimeError")
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


async def test_error_in_error_handler_is_500(app: Erlen, caplog: pytest.LogCaptureFixture) -> None:
    @app.errorhandler(AppError)
    async def broken(error: Exception) -> str:
        raise ValueError("handler broke")

    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/app-error")
    assert response.status_code == 500
    assert "handler broke" not in await text(response)


async def test_error_handler_returning_response(app: Erlen) -> None:
    @app.errorhandler(OtherError)
    async def handle(error: Exception) -> Response:
        return Response("as response", status=422, headers={"X-Handled": "1"})

    response = await app.test_client().get("/other")
    assert (response.status_code, response.headers["X-Handled"]) == (422, "1")


async def test_error_handler_may_be_sync(app: Erlen) -> None:
    @app.errorhandler(404)
    def sync_handler(error: Exception) -> tuple[str, int]:
        return f"sync {request.path}", 404

    assert await text(await app.test_client().get("/nowhere")) == "sync /nowhere"


async def test_errorhandler_registration_errors(app: Erlen) -> None:
    with pytest.raises(ValueError, match="not a recognized HTTP error code"):
        app.register_error_handler(999, lambda e: "x")
    with pytest.raises(TypeError, match="instance"):
        app.register_error_handler(AppError("x"), lambda e: "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a subclass of Exception"):
        app.register_error_handler(str, lambda e: "x")  # type: ignore[arg-type]


async def test_trap_http_exceptions(app: Erlen) -> None:
    app.config.update(TRAP_HTTP_EXCEPTIONS=True, PROPAGATE_EXCEPTIONS=True)
    with pytest.raises(Conflict):
        await app.test_client().get("/conflict")


async def test_got_request_exception_signal(app: Erlen) -> None:
    seen: list[str] = []

    def receiver(sender: Any, exception: BaseException, **kwargs: Any) -> None:
        seen.append(str(exception))

    got_request_exception.connect(receiver, app)
    try:
        response = await app.test_client().get("/boom")
    finally:
        got_request_exception.disconnect(receiver, app)
    assert response.status_code == 500
    assert seen == ["secret-detail-xyz"]


async def test_exception_in_before_request_is_handled(app: Erlen) -> None:
    @app.before_request
    async def check() -> None:
        if request.path == "/guarded":
            raise AppError("blocked")

    @app.route("/guarded")
    async def guarded() -> str:
        return "reached"

    @app.errorhandler(AppError)
    async def handle(error: Exception) -> tuple[str, int]:
        return "blocked by handler", 403

    response = await app.test_client().get("/guarded")
    assert (response.status_code, await text(response)) == (403, "blocked by handler")


async def test_exception_in_after_request_is_500(app: Erlen) -> None:
    @app.after_request
    async def broken(response: Response) -> Response:
        raise RuntimeError("after broke")

    @app.route("/fine")
    async def fine() -> str:
        return "fine"

    response = await app.test_client().get("/fine")
    assert response.status_code == 500


async def test_a_view_returning_none_is_named() -> None:
    app = Erlen(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.route("/nothing")
    async def nothing() -> None:
        return None

    with pytest.raises(TypeError, match="The view function for 'nothing' did not return"):
        await app.test_client().get("/nothing")


async def test_a_status_without_a_code_is_a_logged_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``return "x", "two hundred"`` was werkzeug's status 0: hypercorn sent an empty 500
    and logged "Error in ASGI Framework", the app nothing. It is now the app's 500, with
    a log line for the request saying what a status is."""
    app = Erlen(__name__)

    @app.route("/words")
    async def words() -> Any:
        return "x", "two hundred"

    @app.route("/line")
    async def line() -> Any:
        return "made", " 201 CREATED", {"X-Kind": "line"}

    @app.route("/code")
    async def code() -> Any:
        return "teapot", "418"

    @app.route("/three")
    async def three() -> Any:
        return "x", "OK", {"X-Kind": "three"}

    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/words")
    assert response.status_code == 500
    assert "Internal Server Error" in await text(response)
    assert "Exception on request GET /words" in caplog.text
    assert (
        "TypeError: The view function for 'words' returned the status 'two hundred'. A status"
        " is an int (201) or a line that starts with one ('201 CREATED')."
    ) in caplog.text
    response = await app.test_client().get("/line")
    assert (response.status_code, response.headers["X-Kind"]) == (201, "line")
    assert (await app.test_client().get("/code")).status_code == 418
    with caplog.at_level(logging.ERROR):
        assert (await app.test_client().get("/three")).status_code == 500
    assert "The view function for 'three' returned the status 'OK'." in caplog.text


async def test_a_forgotten_await_gets_a_hint() -> None:
    app = Erlen(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = True

    async def load() -> str:
        return "data"

    @app.route("/forgot")
    def forgot():  # type: ignore[no-untyped-def]
        return load()  # a sync view calling an async function

    with pytest.raises(TypeError) as info:
        await app.test_client().get("/forgot")
    message = str(info.value)
    assert "The view function for 'forgot' did not return a valid response" in message
    assert "but it was a coroutine. It is awaitable: did you forget an 'await'" in message


def missing_awaits_app() -> Erlen:
    """The views of a Flask developer's first day: the body read without ``await``. Each
    closes the coroutine it forgot, so that no test leaves a never-awaited one behind."""
    app = Erlen(__name__)

    @app.post("/json")
    async def json_item() -> Any:
        data = request.get_json()
        try:
            return {"name": data["name"]}  # type: ignore[index]
        finally:
            data.close()

    @app.post("/form")
    async def form_field() -> Any:
        form = request.form
        try:
            return form.get("name", "")  # type: ignore[attr-defined]
        finally:
            form.close()  # type: ignore[attr-defined]

    @app.post("/data")
    async def body_echo() -> Any:
        data = request.get_data()
        try:
            return {"body": data}
        finally:
            data.close()  # type: ignore[union-attr]

    return app


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/json", "TypeError: 'coroutine' object is not subscriptable"),
        ("/form", "AttributeError: 'coroutine' object has no attribute 'get'"),
        ("/data", "TypeError: "),
    ],
)
async def test_a_body_read_without_await_is_logged_with_a_hint(
    caplog: pytest.LogCaptureFixture, path: str, error: str
) -> None:
    app = missing_awaits_app()
    with caplog.at_level(logging.ERROR):
        response = await app.test_client().post(path, json={"name": "ann"})
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    logged = caplog.text
    assert error in logged
    assert "Hint: a coroutine was used as a value: did you forget 'await'?" in logged
    assert "await request.get_json()" in logged
    assert record.getMessage() == f"Exception on request POST {path}"


async def test_the_hint_reaches_a_test_that_propagates_and_the_debug_page() -> None:
    app = missing_awaits_app()
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(TypeError) as info:
        await app.test_client().post("/json", json={"name": "ann"})
    assert info.value.__notes__ == [AWAIT_HINT]  # pytest prints notes under the error
    app = missing_awaits_app()
    app.debug = True
    response = await app.test_client().post("/json", json={"name": "ann"})
    page = await response.get_data(as_text=True)
    assert response.status_code == 500
    assert "did you forget &#39;await&#39;?" in page


async def test_other_errors_get_no_await_hint() -> None:
    app = Erlen(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.route("/plain")
    async def plain() -> Any:
        return {}["coroutine"]

    with pytest.raises(KeyError) as info:
        await app.test_client().get("/plain")
    assert not getattr(info.value, "__notes__", None)


async def test_the_error_line_reads_in_app_as_in_flask_and_quart(
    app: Erlen, caplog: pytest.LogCaptureFixture
) -> None:
    # It read "ERROR in appbase: ..." (or "in errors" in debug mode).
    with caplog.at_level(logging.INFO):
        app.logger.info("the app's own line")
        await app.test_client().get("/boom")
        app.debug = True
        await app.test_client().get("/boom")
    formatter = default_handler.formatter
    assert formatter is not None
    lines = [formatter.format(r).split("\n")[0] for r in caplog.records]
    assert [line.split("] ", 1)[1] for line in lines] == [
        "INFO in test_errors: the app's own line",
        "ERROR in app: Exception on request GET /boom",
        "ERROR in app: Exception on request GET /boom",
    ]


@pytest.mark.parametrize("debug", [False, True])
async def test_the_error_line_escapes_control_characters_of_the_path(
    caplog: pytest.LogCaptureFixture, debug: bool
) -> None:
    # A client picks the path: a decoded %0A must not write a second, forged log line,
    # nor %1B reach a terminal. (debug: the line logged before the traceback page.)
    app = Erlen(__name__)
    app.debug = debug

    @app.before_request
    async def fail() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/x%0AERROR in app: forged%1B[31m")
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    message = record.getMessage()
    assert message == "Exception on request GET /x\\nERROR in app: forged\\x1b[31m"
    assert "\n" not in message
