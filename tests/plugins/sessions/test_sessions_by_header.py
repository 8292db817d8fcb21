"""The stock cookie interface remembers a verified session cookie by the whole ``Cookie``
header it came in, and keeps that while the app's config is unchanged.

These tests pin what a user sees: any change to the config (through every way a dict can
be changed) is honoured at once, ``request.cookies`` set or replaced before the session is
opened is what the session is read from, other cookies changing in the header keep the
session, and a request class with its own ``cookies`` is used as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from erlen import Erlen, Request, request, session
from erlen.sessions import SecureCookieSessionInterface
from werkzeug.datastructures import ImmutableMultiDict


def make_app() -> Erlen:
    app = Erlen(__name__)
    app.config["SECRET_KEY"] = "header-key"
    app.session_interface = SecureCookieSessionInterface()

    @app.route("/login/<name>")
    async def login(name: str) -> str:
        session["user"] = name
        return "in"

    @app.route("/me")
    async def me() -> str:
        return f"user={session.get('user', 'nobody')}"

    return app


async def cookie_of(app: Erlen, name: str) -> str:
    """The ``session=...`` pair a login as ``name`` sets."""
    response = await app.test_client().get(f"/login/{name}")
    return response.headers["Set-Cookie"].split(";", 1)[0]


async def me(app: Erlen, cookie: str) -> bytes:
    client = app.test_client(use_cookies=False)
    return await (await client.get("/me", headers={"Cookie": cookie})).get_data()


CHANGES: dict[str, Callable[[Any], Any]] = {
    "item": lambda config: config.__setitem__("SECRET_KEY", "other"),
    "update": lambda config: config.update(SECRET_KEY="other"),
    "ior": lambda config: config.__ior__({"SECRET_KEY": "other"}),
    "setdefault-then-item": lambda config: (
        config.pop("SECRET_KEY"),
        config.setdefault("SECRET_KEY", "other"),
    ),
    "from_mapping": lambda config: config.from_mapping(SECRET_KEY="other"),
}


@pytest.mark.parametrize("how", sorted(CHANGES))
async def test_a_new_secret_key_set_any_way_rejects_the_remembered_cookie(how: str) -> None:
    app = make_app()
    cookie = await cookie_of(app, "ada")
    for _ in range(3):  # verified, then remembered by value, then by header
        assert await me(app, cookie) == b"user=ada"
    CHANGES[how](app.config)
    assert await me(app, cookie) == b"user=nobody"


async def test_a_deleted_and_restored_key_is_seen() -> None:
    app = make_app()
    cookie = await cookie_of(app, "ada")
    for _ in range(3):
        assert await me(app, cookie) == b"user=ada"
    del app.config["SESSION_COOKIE_NAME"]
    app.config["SESSION_COOKIE_NAME"] = "other"
    assert await me(app, cookie) == b"user=nobody"
    app.config.popitem()  # the last key set: SESSION_COOKIE_NAME
    app.config["SESSION_COOKIE_NAME"] = "session"
    assert await me(app, cookie) == b"user=ada"


async def test_other_cookies_changing_keep_the_session() -> None:
    app = make_app()
    cookie = await cookie_of(app, "ada")
    for n in range(5):
        assert await me(app, f"theme=t{n}; {cookie}; visit={n}") == b"user=ada"


async def test_two_sessions_in_turn_are_each_read() -> None:
    app = make_app()
    ada, bea = await cookie_of(app, "ada"), await cookie_of(app, "bea")
    for _ in range(3):
        assert await me(app, ada) == b"user=ada"
        assert await me(app, bea) == b"user=bea"


async def test_cookies_replaced_before_the_session_opens_are_what_it_reads() -> None:
    app = make_app()
    swap_to: list[str] = []

    @app.before_request
    async def swap_cookies() -> None:
        if request.args.get("swap"):
            request.cookies = ImmutableMultiDict({"session": swap_to[0]})

    ada, bea = await cookie_of(app, "ada"), await cookie_of(app, "bea")
    swap_to.append(bea.split("=", 1)[1])

    client = app.test_client(use_cookies=False)
    for _ in range(3):  # ada's cookie verified and remembered by its header
        response = await client.get("/me", headers={"Cookie": ada})
        assert await response.get_data() == b"user=ada"
    response = await client.get("/me?swap=1", headers={"Cookie": ada})
    assert await response.get_data() == b"user=bea"
    response = await client.get("/me", headers={"Cookie": ada})
    assert await response.get_data() == b"user=ada"


async def test_a_request_class_with_its_own_cookies_is_read_through_them() -> None:
    app = make_app()
    ada, bea = await cookie_of(app, "ada"), await cookie_of(app, "bea")
    bea_value = bea.split("=", 1)[1]

    class ForcedCookies(Request):
        @property
        def cookies(self) -> Any:  # type: ignore[override]
            return ImmutableMultiDict({"session": bea_value})

    forced = make_app()
    forced.request_class = ForcedCookies
    for _ in range(3):  # never ada's, whatever the header says
        assert await me(forced, ada) == b"user=bea"


def make_untouched_app() -> Erlen:
    app = make_app()

    @app.route("/forever")
    async def forever() -> str:
        session["user"] = "cyd"
        session.permanent = True
        return "in for good"

    @app.route("/plain")
    async def plain() -> str:
        return "plain"

    return app


async def plain(app: Erlen, cookie: str) -> Any:
    client = app.test_client(use_cookies=False)
    return await client.get("/plain", headers={"Cookie": cookie})


async def test_a_remembered_cookie_on_a_route_not_reading_it_gets_nothing_back() -> None:
    app = make_untouched_app()
    cookie = await cookie_of(app, "ada")
    for n in range(4):  # verified, then known by value, then by header
        response = await plain(app, f"{cookie}; visit={n % 2}")
        assert await response.get_data() == b"plain"
        assert "Set-Cookie" not in response.headers
        assert "Vary" not in response.headers


async def test_a_remembered_permanent_cookie_is_refreshed_on_a_route_not_reading_it() -> None:
    app = make_untouched_app()
    response = await app.test_client().get("/forever")
    cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    for _ in range(4):
        response = await plain(app, cookie)
        assert "Expires=" in response.headers["Set-Cookie"]
        assert response.headers["Vary"] == "Cookie"


async def test_other_cookies_alone_open_no_session() -> None:
    app = make_untouched_app()
    await cookie_of(app, "ada")  # the app has verified a cookie: its snapshot exists
    for _ in range(3):
        response = await plain(app, "theme=dark; visit=1")
        assert "Set-Cookie" not in response.headers
        assert "Vary" not in response.headers
