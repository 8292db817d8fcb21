"""The examples of the site's own pages (docs/index.md and the guides written for the
site: sessions, testing, configuration, deployment) run as documented."""

from __future__ import annotations

from typing import Any

INDEX = "docs/index.md"


async def test_home_page_hello(run_example: Any) -> None:
    ns = run_example(INDEX, "hello")
    client = ns["app"].test_client()
    response = await client.get("/")
    assert await response.get_data(as_text=True) == "Hello, World!"
    async with client.websocket("/ws") as ws:
        await ws.send("ping")
        assert await ws.receive() == "ping"
