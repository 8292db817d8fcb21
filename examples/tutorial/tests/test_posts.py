async def test_create_needs_login(client) -> None:
    response = await client.get("/create")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"


async def test_create_and_list(client, auth) -> None:
    await auth.register()
    await auth.login()
    response = await client.post("/create", form={"body": "Hello <board>"})
    assert response.headers["Location"] == "/"

    page = await (await client.get("/")).get_data(as_text=True)
    assert "Posted." in page  # the flashed message, shown once
    assert "Hello &lt;board&gt;" in page  # escaped by the template
    assert "Posted." not in await (await client.get("/")).get_data(as_text=True)


async def test_empty_post_is_refused(client, auth) -> None:
    await auth.register()
    await auth.login()
    response = await client.post("/create", form={"body": "   "})
    assert response.status_code == 200
    assert "Write something first." in await response.get_data(as_text=True)
