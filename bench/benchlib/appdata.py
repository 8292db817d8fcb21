"""The data every benchmark app serves and every scenario expects: one copy, imported by
the apps (``bench/apps/*.py``) and by :mod:`benchlib.scenarios`."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
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


# --- round 6 shapes -----------------------------------------------------------------------
QUERY_ARGS = 50  # ``query_50``: arguments a0=0 .. a49=49
COOKIE_COUNT = 30  # ``cookies_30``: cookies c0=v0 .. c29=v29
BIG_JSON_ITEMS = 16_500  # ``json_1mb``: items of the posted document (about 1 MiB)
BIG_UPLOAD = bytes(range(256)) * 4096  # ``upload_1mb``: the uploaded file (1 MiB)
API_KEY = "bench-api-key"  # ``class_view_decorators``: the X-Api-Key a decorator checks
WS_TOKENS = {"Bearer ws-token": "alice"}  # ``ws_token``: the websocket's accepted tokens
NDJSON_LINES = 10  # ``stream_headers``: lines of the NDJSON stream


@dataclass
class Event:
    """``json_dataclass``: a record returned as JSON (dataclass, datetime, UUID, Decimal)."""

    id: int
    title: str
    starts: datetime
    ref: uuid.UUID
    price: Decimal


EVENTS = [
    Event(
        i,
        f"event {i}",
        datetime(2025, 1, 1 + i, 18, 30, tzinfo=UTC),
        uuid.UUID(int=0x4F1C2A3E8B7D4C6E9A5F0E1D2C3B4A00 + i),
        Decimal("12.50") + i,
    )
    for i in range(10)
]


class ShopError(Exception):
    """``error_hierarchy``: the root of an app's own exception classes (400)."""

    status = 400


class PaymentError(ShopError):
    """A payment problem (402): its handler is more specific than ShopError's."""

    status = 402


class CardDeclined(PaymentError):
    """What the view raises: no handler of its own, PaymentError's answers."""


def ndjson_line(index: int) -> str:
    """Line ``index`` of the ``stream_headers`` stream."""
    return f'{{"n": {index}, "ok": true}}\n'


# --- round 7 shapes -----------------------------------------------------------------------
WS_IDLE_TIMEOUT = 30.0  # ``ws_wait_for``: the receive timeout after which the app pings
WS_BIG_FRAME = 65_536  # ``ws_bytes_64k``: bytes per binary message
WS_CLOSE = (4000, "done")  # ``ws_close_reason``: the code and reason the app closes with
WS_GREETING = "welcome"  # ``ws_greeting``: what the app sends right after its accept
# ``ws_negotiate``: the subprotocols the server speaks, preferred first
WS_SERVER_PROTOCOLS = ("v3.chat", "v2.chat")
SSE_LIVE_EVENTS = 10  # ``sse_recipe``: events per response
TRACE_HEADERS = 32  # ``big_headers``: X-Trace-<n> request headers, each about 100 bytes
QUOTE_LINES = 20  # ``nested_json``: order lines in the posted document
QUOTA_LIMIT = 100  # ``abort_make_response``: the largest ``limit`` accepted
ARCHIVE_MONTHS = 6  # ``url_for_args``: links built per request
CHECKSUM_INPUT = bytes(range(256)) * 16  # ``sync_hash``: 4 KiB hashed, then re-hashed
ROLE_HEADER = ("X-Role", "admin")  # ``view_func_put``: the role the decorator requires


@dataclass
class ServerSentEvent:
    """One Server-Sent Event, encoded as Quart's documentation writes it."""

    data: str
    event: str | None = None
    id: int | None = None
    retry: int | None = None

    def encode(self) -> bytes:
        """The event in the wire format."""
        message = f"data: {self.data}"
        if self.event is not None:
            message = f"{message}\nevent: {self.event}"
        if self.id is not None:
            message = f"{message}\nid: {self.id}"
        if self.retry is not None:
            message = f"{message}\nretry: {self.retry}"
        return f"{message}\n\n".encode()


def live_event(index: int) -> ServerSentEvent:
    """Event ``index`` of the ``sse_recipe`` stream."""
    return ServerSentEvent(f'{{"n": {index}, "status": "ok"}}', event="update", id=index)


class FakeDatabase:
    """``g_helpers``: the connection a request opens once through ``get_db()``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.queries = 0

    def user(self, user_id: str) -> dict[str, Any]:
        """Look a user up."""
        self.queries += 1
        return {"id": user_id, "name": f"user {user_id}"}

    def orders(self, user: dict[str, Any]) -> list[int]:
        """The user's order numbers."""
        self.queries += 1
        return [100 + i for i in range(3)]


def checksum(data: bytes, rounds: int) -> str:
    """``sync_hash``'s CPU work: SHA-256 of ``data``, re-hashed ``rounds`` times."""
    digest = hashlib.sha256(data).digest()
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def quote_totals(order: dict[str, Any]) -> dict[str, Any]:
    """``nested_json``: what the view computes from the posted order."""
    lines = order["lines"]
    customer = order["customer"]
    return {
        "customer": customer["id"],
        "city": customer["address"]["city"],
        "lines": len(lines),
        "total": round(sum(line["qty"] * line["price"] for line in lines), 2),
        "gifts": sum(1 for line in lines if line["options"]["gift"]),
    }
