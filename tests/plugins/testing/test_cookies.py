"""The test client's cookie jar: what the app sets, what the test sets, by path."""

from __future__ import annotations

from typing import Any

from erlen import Erlen, request


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/login")
    async def login() -> Any:
        response = await app.make_response("in")
        response.set_cookie("token", "t1", httponly=True)
        response.set_cookie("scoped", "s1", path="/admin")
        return response

    @app.route("/logout")
    async def logout() -> Any:
        response = await app.make_response("out")
        response.delete_cookie("token")
        return response

    @app.route("/admin/cookies")
    @app.route("/cookies")
    async def cookies() -> Any:
        return dict(request.cookies)

    return app


async def test_get_cookie_sees_what_the_app_set() -> None:
    client = make_app().test_client()
    assert client.get_cookie("token") is None
    await client.get("/login")
    token = client.get_cookie("token")
    assert token is not None
    assert token.value == "t1"
    assert token.has_nonstandard_attr("HttpOnly")
    await client.get("/logout")
    assert client.get_cookie("token") is None


async def test_cookies_are_sent_by_path() -> None:
    client = make_app().test_client()
    await client.get("/login")
    assert await (await client.get("/cookies")).get_json() == {"token": "t1"}
    assert await (await client.get("/admin/cookies")).get_json() == {"scoped": "s1", "token": "t1"}


async def test_cookie_set_by_the_test_for_a_path() -> None:
    client = make_app().test_client()
    client.set_cookie("localhost", "pref", "dark", path="/admin")
    assert await (await client.get("/cookies")).get_json() == {}
    assert await (await client.get("/admin/cookies")).get_json() == {"pref": "dark"}
    client.delete_cookie("localhost", "pref", path="/admin")
    assert await (await client.get("/admin/cookies")).get_json() == {}


async def test_explicit_cookie_header_wins_over_the_jar() -> None:
    client = make_app().test_client()
    await client.get("/login")
    response = await client.get("/cookies", headers={"Cookie": "token=mine"})
    assert await response.get_json() == {"token": "mine"}


async def test_without_cookies_nothing_is_kept() -> None:
    client = make_app().test_client(use_cookies=False)
    await client.get("/login")
    assert client.cookie_jar is None
    assert client.get_cookie("token") is None
    assert await (await client.get("/cookies")).get_json() == {}
