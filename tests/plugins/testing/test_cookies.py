"""The test client's cookie jar: what the app sets, what the test sets.

As Quart's client, it sends every cookie it holds with every request: the domain, path
and ``Secure`` attributes decide nothing (a test logs in once and stays logged in).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


async def test_every_cookie_goes_with_every_request() -> None:
    client = make_app().test_client()
    await client.get("/login")
    # "scoped" was set for /admin: sent to /cookies too, as Quart's client does.
    assert await (await client.get("/cookies")).get_json() == {"scoped": "s1", "token": "t1"}
    assert await (await client.get("/admin/cookies")).get_json() == {"scoped": "s1", "token": "t1"}


async def test_cookie_set_by_the_test_then_deleted() -> None:
    client = make_app().test_client()
    client.set_cookie("localhost", "pref", "dark", path="/admin")
    assert await (await client.get("/cookies")).get_json() == {"pref": "dark"}
    client.delete_cookie("localhost", "pref", path="/admin")
    assert await (await client.get("/admin/cookies")).get_json() == {}


async def test_secure_cookies_go_over_plain_http() -> None:
    client = make_app().test_client()
    client.set_cookie("localhost", "auth", "s3cret", secure=True, httponly=True)
    assert await (await client.get("/cookies")).get_json() == {"auth": "s3cret"}


async def test_the_server_name_and_domain_do_not_limit_a_cookie() -> None:
    client = make_app().test_client()
    client.set_cookie(None, "a", "1")  # type: ignore[arg-type]  # quart-auth passes None
    client.set_cookie("example.com", "b", "2", domain="example.com")
    assert await (await client.get("/cookies")).get_json() == {"a": "1", "b": "2"}
    assert await (await client.get("/cookies", subdomain="api")).get_json() == {"a": "1", "b": "2"}


async def test_an_expired_cookie_is_not_sent() -> None:
    client = make_app().test_client()
    client.set_cookie("localhost", "old", "x", expires=1)
    client.set_cookie("localhost", "new", "y", max_age=3600)
    assert await (await client.get("/cookies")).get_json() == {"new": "y"}


async def test_an_explicit_cookie_header_comes_first() -> None:
    client = make_app().test_client()
    await client.get("/login")
    response = await client.get("/cookies", headers={"Cookie": "token=mine"})
    # The jar's cookies follow the caller's; of two values of a name the first counts.
    assert await response.get_json() == {"scoped": "s1", "token": "mine"}


async def test_without_cookies_nothing_is_kept() -> None:
    client = make_app().test_client(use_cookies=False)
    await client.get("/login")
    assert client.cookie_jar is None
    assert client.get_cookie("token") is None
    assert await (await client.get("/cookies")).get_json() == {}


async def test_set_cookie_takes_a_timedelta_and_a_datetime() -> None:
    client = make_app().test_client()
    client.set_cookie("localhost", "a", "1", max_age=timedelta(hours=1))
    client.set_cookie("localhost", "b", "2", expires=datetime.now(UTC) + timedelta(hours=1))
    assert await (await client.get("/cookies")).get_json() == {"a": "1", "b": "2"}
