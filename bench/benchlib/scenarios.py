"""The benchmark scenarios: what request to send and how to verify the answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchlib.asgi import Response

TEMPLATE_OUTPUT = (
    "<h1>Items</h1><ul>" + "".join(f"<li>item {i}</li>" for i in range(10)) + "</ul>"
).encode()
STREAM_OUTPUT = "".join(f"chunk{i}\n" for i in range(10)).encode()
WS_MESSAGE = "Hello, websocket!"


def echo_payload(size: int = 1024) -> dict[str, Any]:
    """A JSON document of nested objects that serialises (compactly) to ``size`` bytes."""
    items: list[dict[str, Any]] = []
    document: dict[str, Any] = {"id": 7, "name": "bench", "items": items, "note": ""}
    index = 0
    while len(_compact(document)) < size - 80:
        items.append(
            {"id": index, "label": f"label-{index}", "price": index * 1.5, "active": index % 2 == 0}
        )
        index += 1
    document["note"] = "x" * (size - len(_compact(document)))
    return document


def _compact(document: Any) -> bytes:
    """Serialise without whitespace."""
    return json.dumps(document, separators=(",", ":")).encode()


ECHO_DOCUMENT = echo_payload()
ECHO_BODY = _compact(ECHO_DOCUMENT)

Check = Callable[[Response], list[str]]


def expect(
    status: int = 200,
    body: bytes | None = None,
    json_body: Any = None,
    content_types: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
    min_chunks: int = 0,
) -> Check:
    """Build a check of a response; it returns a list of problems (empty if fine)."""

    def check(response: Response) -> list[str]:
        problems: list[str] = []
        if response.status != status:
            problems.append(f"status {response.status}, expected {status}")
        if body is not None and response.body != body:
            problems.append(f"body {response.body[:80]!r}, expected {body[:80]!r}")
        if json_body is not None:
            problems.extend(_json_problems(response.body, json_body))
        content_type = response.header("content-type") or ""
        if content_types and not content_type.startswith(content_types):
            problems.append(f"content-type {content_type!r}, expected one of {content_types}")
        for name, value in (headers or {}).items():
            if response.header(name) != value:
                problems.append(f"header {name}: {response.header(name)!r}, expected {value!r}")
        chunks = sum(1 for chunk in response.chunks if chunk)
        if chunks < min_chunks:
            problems.append(f"body came in {chunks} chunk(s), expected a stream of {min_chunks}")
        return problems

    return check


def _json_problems(raw: bytes, wanted: Any) -> list[str]:
    """Compare a JSON body with the expected document."""
    try:
        parsed = json.loads(raw)
    except ValueError as error:
        return [f"body is not JSON ({error}): {raw[:80]!r}"]
    return [] if parsed == wanted else [f"JSON body {raw[:80]!r} differs from what was expected"]


@dataclass(frozen=True)
class Scenario:
    """One benchmarked request (or websocket message) and its verification."""

    name: str
    description: str
    path: str
    check: Check = field(repr=False)
    method: str = "GET"
    kind: str = "http"
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    login: bool = False


TEXT = ("text/plain", "text/html")
SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "plaintext",
        "GET /plaintext",
        "/plaintext",
        expect(body=b"Hello, World!", content_types=TEXT),
    ),
    Scenario(
        "json",
        "GET /json",
        "/json",
        expect(json_body={"message": "Hello, World!"}, content_types=("application/json",)),
    ),
    Scenario(
        "path_param",
        "GET /users/42 (int converter)",
        "/users/42",
        expect(body=b"user 42", content_types=TEXT),
    ),
    Scenario(
        "echo_1k",
        "POST /echo, 1 KB JSON parsed and re-serialised",
        "/echo",
        expect(json_body=ECHO_DOCUMENT, content_types=("application/json",)),
        method="POST",
        body=ECHO_BODY,
        headers=(
            (b"content-type", b"application/json"),
            (b"content-length", str(len(ECHO_BODY)).encode()),
        ),
    ),
    Scenario("not_found", "GET /missing -> 404", "/missing", expect(status=404)),
    Scenario(
        "routes_100",
        "GET /r99, last of 100 extra routes",
        "/r99",
        expect(body=b"route 99", content_types=TEXT),
    ),
    Scenario(
        "lifecycle",
        "before/after hooks + session read",
        "/lifecycle",
        expect(body=b"x=1 user=alice", content_types=TEXT, headers={"x-after": "1"}),
        login=True,
    ),
    Scenario(
        "stream",
        "GET /stream, 10 chunks from an async generator",
        "/stream",
        expect(body=STREAM_OUTPUT, content_types=("text/plain",), min_chunks=10),
    ),
    Scenario(
        "template",
        "render_template_string, 10-item loop",
        "/template",
        expect(body=TEMPLATE_OUTPUT, content_types=("text/html",)),
    ),
    Scenario(
        "ws_echo", "websocket echo, per message on one connection", "/ws", expect(), kind="ws"
    ),
)
SCENARIO_NAMES: tuple[str, ...] = tuple(s.name for s in SCENARIOS)
BY_NAME: dict[str, Scenario] = {s.name: s for s in SCENARIOS}


def parse_scenarios(text: str) -> list[Scenario]:
    """Turn ``"plaintext,json"`` into scenarios, keeping the canonical order."""
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    unknown = wanted - set(BY_NAME)
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return [s for s in SCENARIOS if s.name in wanted]
