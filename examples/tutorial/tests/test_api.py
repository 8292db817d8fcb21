async def test_list_and_get(client, auth) -> None:
    await auth.register()
    await auth.login()
    response = await client.post("/api/posts", json={"body": "From the API"})
    assert response.status_code == 201
    post = await response.get_json()
    assert post["body"] == "From the API"
    assert post["username"] == "ada"

    listing = await (await client.get("/api/posts")).get_json()
    assert [p["id"] for p in listing["posts"]] == [post["id"]]
    assert await (await client.get(f"/api/posts/{post['id']}")).get_json() == post


async def test_errors_are_json(client, auth) -> None:
    response = await client.get("/api/posts/99")
    assert response.status_code == 404
    assert await response.get_json() == {"error": "Not Found", "message": "There is no post 99."}

    response = await client.post("/api/posts", json={"body": "hi"})
    assert response.status_code == 401

    await auth.register()
    await auth.login()
    response = await client.post("/api/posts", json=["not", "an", "object"])
    assert response.status_code == 400
    assert (await response.get_json())["message"] == 'Send a JSON object: {"body": "..."}.'
