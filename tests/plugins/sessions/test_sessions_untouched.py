"""A request that sends its session cookie but never touches ``session``.

A non-permanent session already verified is known to need nothing, so it is not opened;
these tests pin that the answers stay those of opening it: a permanent session is still
refreshed on every request (also after its cookie was verified once), an ordinary one
gets no cookie and no ``Vary``, and a custom interface's ``save_session`` still runs.
"""

from __future__ import annotations

from typing import Any

from erlen import Erlen, session
from erlen.sessions import SecureCookieSessionInterface


def make_app() -> Erlen:
    app = Erlen(__name__)
    app.config["SECRET_KEY"] = "untouched-key"

    @app.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        return "in"

    @app.route("/login-permanent")
    async def login_permanent() -> str:
        session.permanent = True
        session["user"] = "ada"
        return "in"

    @app.route("/me")
    async def me() -> str:
        return f"user={session.get('user', 'nobody')}"

    @app.route("/plain")
    async def plain() -> str:
        return "plain"

    return app


async def test_an_ordinary_session_cookie_gets_no_cookie_and_no_vary_on_other_routes() -> None:
    app = make_app()
    client = app.test_client()
    await client.get("/login")
    assert await (await client.get("/me")).get_data() == b"user=ada"  # verified once
    for _ in range(3):
        response = await client.get("/plain")
        assert await response.get_data() == b"plain"
        assert "Set-Cookie" not in response.headers
        assert "Vary" not in response.headers
    assert await (await client.get("/me")).get_data() == b"user=ada"


async def test_a_permanent_session_is_refreshed_on_every_untouched_request() -> None:
    app = make_app()
    client = app.test_client()
    await client.get("/login-permanent")
    assert await (await client.get("/me")).get_data() == b"user=ada"  # verified once
    for _ in range(3):
        response = await client.get("/plain")
        assert "Expires=" in response.headers["Set-Cookie"]
        assert response.headers["Vary"] == "Cookie"  # the refresh reads the session


async def test_turning_a_session_permanent_starts_the_refresh() -> None:
    app = make_app()
    client = app.test_client()
    await client.get("/login")
    assert "Set-Cookie" not in (await client.get("/plain")).headers
    await client.get("/login-permanent")
    assert "Expires=" in (await client.get("/plain")).headers["Set-Cookie"]


async def test_a_custom_save_session_still_runs_for_an_untouched_session() -> None:
    app = make_app()
    saved: list[dict[str, Any]] = []

    class Recording(SecureCookieSessionInterface):
        async def save_session(self, app: Any, session: Any, response: Any) -> None:
            saved.append(dict(session))
            await super().save_session(app, session, response)

    app.session_interface = Recording()
    client = app.test_client()
    await client.get("/login")
    await client.get("/me")
    saved.clear()
    response = await client.get("/plain")
    assert await response.get_data() == b"plain"
    assert saved == [{"user": "ada"}]
