"""The broadcast guide's example (docs/broadcast.md) runs as documented, on the default
``memory://`` broker."""

from __future__ import annotations

import asyncio
import json
from typing import Any

BROADCAST = "docs/broadcast.md"


async def test_the_room_relays_between_two_clients(run_example: Any) -> None:
    ns = run_example(BROADCAST, "broadcast-room")
    client = ns["app"].test_client()
    async with client.websocket("/ws") as ann, client.websocket("/ws") as bob:
        # Both have joined once each can hear the other: retry the first line until then.
        for _ in range(100):
            await ann.send("hello")
            try:
                heard = await asyncio.wait_for(bob.receive(), 0.05)
                break
            except TimeoutError:
                continue
        else:
            raise AssertionError("bob never heard ann")
        assert json.loads(heard) == {"text": "hello"}
        await bob.send("hi ann")
        assert json.loads(await asyncio.wait_for(ann.receive(), 5)) == {"text": "hi ann"}
