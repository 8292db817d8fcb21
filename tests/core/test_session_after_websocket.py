"""The session of a websocket whose handler returned no response is still handed to the
session interface's ``save_session``, with ``response=None`` (Quart's call): a
server-side store saves it; the cookie interface can set no cookie and says so."""

from __future__ import annotations

import logging
from typing import Any

from erlen import Erlen, session, websocket
from erlen.sessions import SecureCookieSession, SessionInterface


class MemoryStore(SessionInterface):
    """Sessions kept in a dict, opened for every connection (awaited, as in Quart)."""

    def __init__(self) -> None:
        self.saved: list[tuple[dict[str, Any], Any]] = []

    async def open_session(self, app: Erlen, request: Any) -> SecureCookieSession:
        return SecureCookieSession()

    async def save_session(self, app: Erlen, session: Any, response: Any) -> None:
        self.saved.append((dict(session), response))


def make_app() -> Erlen:
    app = Erlen(__name__, extra_plugins=["websocket", "sessions"])
    app.secret_key = "not secret"

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        session["seen"] = True
        await websocket.send("hi")

    return app


async def test_a_store_saves_the_session_of_an_accepted_websocket() -> None:
    app = make_app()
    store = app.session_interface = MemoryStore()
    async with app.test_client().websocket("/ws") as conn:
        assert await conn.receive() == "hi"
    assert store.saved == [({"seen": True}, None)]


async def test_the_cookie_interface_logs_that_the_change_is_lost(caplog: Any) -> None:
    app = make_app()
    with caplog.at_level(logging.WARNING):
        async with app.test_client().websocket("/ws") as conn:
            assert await conn.receive() == "hi"
    assert any("the change is lost" in r.getMessage() for r in caplog.records)


async def test_an_untouched_lazy_session_is_not_saved() -> None:
    app = Erlen(__name__, extra_plugins=["websocket", "sessions"])
    app.secret_key = "not secret"
    calls: list[Any] = []

    class Recording(type(app.session_interface)):  # type: ignore[misc]
        async def save_session(self, app: Erlen, session: Any, response: Any) -> None:
            calls.append(response)

    app.session_interface = Recording()

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("no session")

    async with app.test_client().websocket("/ws") as conn:
        assert await conn.receive() == "no session"
    assert calls == []
