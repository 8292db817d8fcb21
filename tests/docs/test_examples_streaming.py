"""The streaming guide's examples (docs/streaming.md) run as documented."""

from __future__ import annotations

from typing import Any

STREAMING = "docs/streaming.md"


async def test_streamed_count(run_example: Any) -> None:
    ns = run_example(STREAMING, "stream")
    response = await ns["app"].test_client().get("/count?to=4")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert await response.get_data(as_text=True) == "0\n1\n2\n3\n"


async def test_server_sent_events_and_their_test(run_example: Any) -> None:
    ns = run_example(STREAMING, "sse", "sse-test")
    response = await ns["app"].test_client().get("/ticks")
    assert response.headers["Cache-Control"] == "no-cache"
    body = await response.get_data(as_text=True)
    assert body.count("event: tick") == 3
    await ns["test_ticks"]()
