async def test_register_then_login(client, auth) -> None:
    response = await auth.register()
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"

    response = await auth.login()
    assert response.headers["Location"] == "/"
    page = await (await client.get("/")).get_data(as_text=True)
    assert "<span>ada</span>" in page
    assert "Log out" in page


async def test_name_taken(client, auth) -> None:
    await auth.register()
    response = await auth.register()
    assert response.status_code == 200
    assert "The name ada is taken." in await response.get_data(as_text=True)


async def test_wrong_password(client, auth) -> None:
    await auth.register()
    response = await auth.login(password="wrong")
    assert "Wrong username or password." in await response.get_data(as_text=True)


async def test_logout(client, auth) -> None:
    await auth.register()
    await auth.login()
    response = await client.post("/auth/logout")
    assert response.headers["Location"] == "/"
    assert "Log in" in await (await client.get("/")).get_data(as_text=True)
