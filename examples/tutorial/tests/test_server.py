"""The board served by a real server (hypercorn on 127.0.0.1, a free port)."""

import asyncio
import json

import httpx
import websockets


async def test_real_browser_path(erlen_live_server) -> None:
    async with httpx.AsyncClient(base_url=erlen_live_server) as http:
        page = await http.get("/")
        assert page.status_code == 200
        assert "/static/live.js" in page.text
        form = {"username": "ada", "password": "secret"}
        await http.post("/auth/register", data=form)
        await http.post("/auth/login", data=form)  # httpx keeps the session cookie

        live_url = erlen_live_server.replace("http://", "ws://") + "/live"
        async with websockets.connect(live_url) as ws:
            ready = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            assert ready == {"type": "ready"}
            created = await http.post("/api/posts", json={"body": "Served!"})
            assert created.status_code == 201
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            assert message["post"]["body"] == "Served!"
