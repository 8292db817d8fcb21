"""Text views answered without a response object, and the ASGI entry without its layers.

When nothing can see the response (no ``after_request`` function, no session to save,
no ``request_finished`` receiver), a text or bytes return value is sent directly; and
``app(scope, receive, send)`` goes straight to the protocol handler while nothing wraps
``asgi_app``. Each test shows a user-visible behaviour those shortcuts must keep.
"""

from __future__ import annotations

from typing import Any

from erlen import Erlen, Response, has_request_context, request, request_finished, session

from tests.asgi_helpers import serve_once


def make_app(**config: Any) -> Erlen:
    """An app with one text view and one bytes view."""
    app = Erlen(__name__)
    app.config.update(config)

    @app.route("/")
    async def index() -> str:
        return "héllo"

    @app.route("/bytes")
    async def raw() -> bytes:
        return b"\x00\x01"

    return app


async def test_text_and_bytes_views_get_type_and_length() -> None:
    client = make_app().test_client()
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Length"] == str(len("héllo".encode()))
    assert await response.get_data(as_text=True) == "héllo"
    response = await client.get("/bytes")
    assert await response.get_data() == b"\x00\x01"
    assert response.headers["Content-Length"] == "2"


async def test_head_gets_headers_without_body() -> None:
    status, headers, body = await serve_once(make_app(), "HEAD", "/")
    assert status == 200
    assert headers["Content-Length"] == str(len("héllo".encode()))
    assert body == b""
    # The test client keeps the body, as Quart's does.
    response = await make_app().test_client().head("/")
    assert await response.get_data() == "héllo".encode()


async def test_request_finished_receiver_connected_later_sees_the_response() -> None:
    app = make_app()
    client = app.test_client()
    assert (await client.get("/")).status_code == 200  # the app is frozen now
    seen: list[tuple[int, bytes]] = []

    async def finished(sender: Any, response: Response, **extra: Any) -> None:
        seen.append((response.status_code, await response.get_data()))

    request_finished.connect(finished, app)
    try:
        assert await (await client.get("/")).get_data(as_text=True) == "héllo"
    finally:
        request_finished.disconnect(finished, app)
    assert seen == [(200, "héllo".encode())]


async def test_response_class_swapped_after_first_request_is_used() -> None:
    class TextResponse(Response):
        default_mimetype = "text/plain"

    app = make_app()
    client = app.test_client()
    assert (await client.get("/")).headers["Content-Type"] == "text/html; charset=utf-8"
    app.response_class = TextResponse
    response = await client.get("/")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert await response.get_data(as_text=True) == "héllo"


async def test_session_written_in_before_request_is_saved_for_a_text_view() -> None:
    app = make_app(SECRET_KEY="direct-secret")
    app.register_plugin("sessions")

    @app.before_request
    async def remember() -> None:
        session["seen"] = request.path

    response = await app.test_client().get("/")
    assert "session=" in response.headers["Set-Cookie"]
    assert response.headers["Vary"] == "Cookie"


async def test_asgi_app_wrapped_after_the_first_request_is_called() -> None:
    app = make_app()
    client = app.test_client()
    assert "X-Wrapped" not in (await client.get("/")).headers
    inner = app.asgi_app

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def tagged_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-wrapped", b"1")]
            await send(message)

        await inner(scope, receive, tagged_send)

    app.asgi_app = wrapped  # type: ignore[method-assign]
    response = await client.get("/")
    assert response.headers["X-Wrapped"] == "1"
    assert await response.get_data(as_text=True) == "héllo"


async def test_subclass_overriding_match_request_is_honoured() -> None:
    class AliasErlen(Erlen):
        def match_request(self, request: Any, websocket: bool = False) -> None:
            if request.path == "/alias":
                request.path = "/"
            super().match_request(request, websocket)

    app = AliasErlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "index"

    response = await app.test_client().get("/alias")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "index"


async def test_response_class_gets_the_body_alone_or_quarts_keywords() -> None:
    # make_response calls the class with the body alone when the view gave no status or
    # headers, and with Quart's keywords (status=, headers=) otherwise, as Quart does.
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    class RecordingResponse(Response):
        def __init__(self, response: Any = None, *args: Any, **kwargs: Any) -> None:
            if has_request_context():  # the app's responses, not the test client's
                calls.append((args, kwargs))
            super().__init__(response, *args, **kwargs)

    app = Erlen(__name__)
    app.response_class = RecordingResponse

    @app.route("/plain")
    async def plain() -> str:
        return "plain"

    @app.route("/tuple")
    async def with_status() -> Any:
        return "made", 201, {"X-Made": "1"}

    @app.after_request
    async def keep(response: Any) -> Any:  # the response is built, not sent bare
        return response

    client = app.test_client()
    response = await client.get("/plain")
    assert (response.status_code, await response.get_data(as_text=True)) == (200, "plain")
    response = await client.get("/tuple")
    assert (response.status_code, response.headers["X-Made"]) == (201, "1")
    assert calls == [((), {}), ((), {"status": 201, "headers": {"X-Made": "1"}})]
