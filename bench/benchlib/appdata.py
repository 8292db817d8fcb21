"""The data every benchmark app serves and every scenario expects: one copy, imported by
the apps (``bench/apps/*.py``) and by :mod:`benchlib.scenarios`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

TEMPLATE = "<h1>{{ title }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>"
ITEMS = [f"item {i}" for i in range(10)]
ROUTE_COUNT = 300  # numbered routes /r0../r299 in every app; the last one is measured
API_TOKEN = "Bearer bench-token"
ROWS = [{"id": i, "name": f"row {i}", "active": i % 2 == 0} for i in range(100)]
CATALOG: list[dict[str, Any]] = [
    {"id": i, "name": f"item {i}", "price": i * 0.25, "tags": ["a", "b"], "active": i % 3 == 0}
    for i in range(1000)
]
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'",
    "Permissions-Policy": "geolocation=()",
    "Cache-Control": "no-store",
    "X-Request-Id": "bench-1",
}
ARTICLE = "<h1>Article</h1>" + "<p>Lorem ipsum dolor sit amet.</p>" * 20
COOKIE_EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
PRICES = {"apple": 3, "pear": 4}  # the product lookup of ``error_mro`` (an unknown name: KeyError)
CSV_ROWS = ROWS[:20]  # the rows ``csv_response`` exports
PRELOAD_LINKS = ("</app.css>; rel=preload; as=style", "</app.js>; rel=preload; as=script")
REPORT_MODIFIED = datetime(2025, 1, 1, tzinfo=UTC)  # ``if_modified_since``'s Last-Modified
WS_SUBPROTOCOL = "v2.chat"  # the subprotocol ``ws_subprotocol`` picks from the client's offer
BLOB = bytes(range(256)) * 4096  # ``bytes_1mb``: a 1 MiB binary body
SSE_EVENTS = 5  # ``sse``: events per response
# ``send_file_bytesio``: an in-memory CSV file
REPORT_CSV = "".join(f"{r['id']},{r['name']}\n" for r in ROWS[:10]).encode()
WS_ACCEPT_HEADER = ("X-Server", "bench")  # the header ``ws_accept_headers`` accepts with
BACKGROUND_DONE: list[str] = []  # what ``background_task``'s tasks recorded (kept short)


async def record_background(name: str) -> None:
    """The work ``background_task`` schedules after its response: remember the last few."""
    BACKGROUND_DONE.append(name)
    if len(BACKGROUND_DONE) > 16:
        del BACKGROUND_DONE[:8]


def sse_event(index: int) -> str:
    """Event ``index`` of the ``sse`` stream, in the Server-Sent Events wire format."""
    return f'id: {index}\nevent: tick\ndata: {{"n": {index}}}\n\n'


BROADCAST_CLIENTS = 10  # ``ws_broadcast``: connections every message is relayed to


class Broker:
    """The chat room of Quart's broadcast tutorial: one queue per connection; a message
    published is put on every queue (the same object in the three apps)."""

    def __init__(self) -> None:
        self.connections: set[asyncio.Queue[Any]] = set()

    async def publish(self, message: Any) -> None:
        """Hand ``message`` to every subscribed connection."""
        for connection in self.connections:
            await connection.put(message)

    async def subscribe(self) -> AsyncIterator[Any]:
        """The messages published while subscribed, in order."""
        connection: asyncio.Queue[Any] = asyncio.Queue()
        self.connections.add(connection)
        try:
            while True:
                yield await connection.get()
        finally:
            self.connections.remove(connection)
