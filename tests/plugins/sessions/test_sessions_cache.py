"""Session cookies verified once are trusted again only while they stay valid.

The cookie interface remembers cookies it already verified with the current keys, so a
browser resending its cookie does not pay for the signature check again. These tests
pin what must not change because of that: tampered, re-keyed and expired cookies still
give an empty session, and a view mutating a session value in place without saving it
does not leak into the next request.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from erlen import Erlen, session


def make_app() -> Erlen:
    app = Erlen(__name__)
    app.config["SECRET_KEY"] = "first-key"

    @app.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        session["tags"] = ["a"]
        return "in"

    @app.route("/flat-login")
    async def flat_login() -> str:
        session["user"] = "bob"
        return "in"

    @app.route("/me")
    async def me() -> str:
        return f"user={session.get('user', 'nobody')} tags={session.get('tags')}"

    @app.route("/scribble")
    async def scribble() -> str:
        session["tags"].append("leaked")  # in place: the session is not marked modified
        return "scribbled"

    return app


async def cookie_of(app: Erlen, path: str) -> str:
    """The session cookie the app sets on ``path``."""
    response = await app.test_client(use_cookies=False).get(path)
    header = response.headers["Set-Cookie"]
    assert header.startswith("session=")
    return header.split(";", 1)[0].split("=", 1)[1]


async def me(app: Erlen, cookie: str) -> bytes:
    client = app.test_client(use_cookies=False)
    response = await client.get("/me", headers={"Cookie": f"session={cookie}"})
    assert response.status_code == 200
    return await response.get_data()  # type: ignore[no-any-return]


async def test_a_resent_cookie_gives_the_same_session_every_time() -> None:
    app = make_app()
    cookie = await cookie_of(app, "/flat-login")
    for _ in range(3):
        assert await me(app, cookie) == b"user=bob tags=None"


async def test_a_tampered_cookie_gives_an_empty_session() -> None:
    app = make_app()
    cookie = await cookie_of(app, "/flat-login")
    assert await me(app, cookie) == b"user=bob tags=None"
    payload, timestamp, signature = cookie.rsplit(".", 2)
    forged = f"{payload}.{timestamp}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert await me(app, forged) == b"user=nobody tags=None"


async def test_a_new_secret_key_rejects_a_cookie_verified_with_the_old_one() -> None:
    app = make_app()
    cookie = await cookie_of(app, "/flat-login")
    assert await me(app, cookie) == b"user=bob tags=None"
    app.config["SECRET_KEY"] = "second-key"
    assert await me(app, cookie) == b"user=nobody tags=None"
    app.config["SECRET_KEY_FALLBACKS"] = ["first-key"]
    assert await me(app, cookie) == b"user=bob tags=None"


async def test_a_verified_cookie_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    cookie = await cookie_of(app, "/flat-login")
    assert await me(app, cookie) == b"user=bob tags=None"
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert await me(app, cookie) == b"user=nobody tags=None"


async def test_an_unsaved_in_place_change_does_not_reach_the_next_request() -> None:
    app = make_app()
    cookie = await cookie_of(app, "/login")
    assert await me(app, cookie) == b"user=ada tags=['a']"
    client = app.test_client(use_cookies=False)
    headers: Any = {"Cookie": f"session={cookie}"}
    assert (await client.get("/scribble", headers=headers)).status_code == 200
    assert await me(app, cookie) == b"user=ada tags=['a']"


async def test_more_sessions_than_the_cache_holds_all_read_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from erlen.plugins.sessions import verified as sessions

    monkeypatch.setattr(sessions, "MAX_VERIFIED_COOKIES", 2)
    app = make_app()

    @app.route("/as/<name>")
    async def as_user(name: str) -> str:
        session["user"] = name
        return "in"

    cookies = {name: await cookie_of(app, f"/as/{name}") for name in ("a", "b", "c")}
    for _ in range(2):  # the least recently used is dropped and verified again
        for name, cookie in cookies.items():
            assert await me(app, cookie) == f"user={name} tags=None".encode()
    assert await me(app, cookies["a"]) == b"user=a tags=None"
