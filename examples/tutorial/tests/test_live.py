import asyncio


async def test_new_posts_reach_open_pages(client, auth) -> None:
    await auth.register()
    await auth.login()
    async with client.websocket("/live") as first, client.websocket("/live") as second:
        for ws in (first, second):
            assert await asyncio.wait_for(ws.receive_json(), timeout=5) == {"type": "ready"}
        await client.post("/api/posts", json={"body": "Live!"})
        for ws in (first, second):
            message = await asyncio.wait_for(ws.receive_json(), timeout=5)
            assert message["type"] == "post"
            assert message["post"]["body"] == "Live!"
