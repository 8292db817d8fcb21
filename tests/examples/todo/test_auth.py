"""Login and logout with the signed-cookie session; ``g.user`` in every template."""

from __future__ import annotations


async def test_login_page(client, page) -> None:
    response = await client.get("/login")
    assert response.status_code == 200
    body = await page(response)
    assert "<title>Log in - Todos</title>" in body
    assert '<input name="password" type="password">' in body


async def test_login_sets_the_session_and_greets(client, page, password) -> None:
    response = await client.post(
        "/login", form={"username": "alice", "password": password}, follow_redirects=True
    )
    assert response.status_code == 200
    body = await page(response)
    assert "Welcome back, alice!" in body
    assert "Logged in as alice" in body
    async with client.session_transaction() as sess:
        assert sess["user"] == "alice"


async def test_wrong_password_is_refused(client, page) -> None:
    response = await client.post("/login", form={"username": "alice", "password": "nope"})
    assert response.status_code == 401
    body = await page(response)
    assert "Wrong username or password." in body
    assert "Logged in as" not in body
    async with client.session_transaction() as sess:
        assert "user" not in sess


async def test_login_returns_to_the_page_that_asked(client, password) -> None:
    response = await client.post(
        "/login?next=/export.csv", form={"username": "alice", "password": password}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/export.csv"


async def test_login_never_redirects_to_another_site(client, password) -> None:
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = await client.post(
            "/login",
            query_string={"next": target},
            form={"username": "alice", "password": password},
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target


async def test_session_set_by_the_test_loads_g_user(logged_in, page) -> None:
    assert "Logged in as alice" in await page(await logged_in.get("/"))


async def test_unknown_user_in_the_session_is_anonymous(client, page) -> None:
    async with client.session_transaction() as sess:
        sess["user"] = "mallory"
    body = await page(await client.get("/"))
    assert "Logged in as" not in body
    assert 'href="/login"' in body


async def test_logout(logged_in, page) -> None:
    response = await logged_in.post("/logout", follow_redirects=True)
    body = await page(response)
    assert "You are logged out." in body
    assert "Logged in as" not in body
    async with logged_in.session_transaction() as sess:
        assert "user" not in sess


async def test_tampered_cookie_is_ignored(client, page) -> None:
    # A session cookie whose signature does not match: nobody is logged in.
    client.set_cookie("localhost", "session", "eyJ1c2VyIjoiYWxpY2UifQ.forged.signature")
    body = await page(await client.get("/"))
    assert "Logged in as" not in body


async def test_remember_me_makes_the_cookie_outlive_the_browser(client, password) -> None:
    response = await client.post("/login", form={"username": "alice", "password": password})
    assert "Expires=" not in response.headers["Set-Cookie"]
    await client.post("/logout")
    response = await client.post(
        "/login", form={"username": "alice", "password": password, "remember": "on"}
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "Expires=" in cookie
    assert "HttpOnly" in cookie
