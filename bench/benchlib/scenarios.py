"""The benchmark scenarios: what request to send and how to verify the answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchlib.asgi import Response

ITEMS_HTML = "<h1>Items</h1><ul>" + "".join(f"<li>item {i}</li>" for i in range(10)) + "</ul>"
TEMPLATE_OUTPUT = ITEMS_HTML.encode()
PAGE_OUTPUT = (
    "<!doctype html><html><head><title>Items</title></head><body>" + ITEMS_HTML + "</body></html>"
).encode()
STREAM_OUTPUT = "".join(f"chunk{i}\n" for i in range(10)).encode()
CONTEXT_STREAM_OUTPUT = "".join(f"bob {i}\n" for i in range(5)).encode()
HELLO_FILE_BODY = b"Hello from a small file on disk.\n"
UPLOAD_BODY = bytes(range(256)) * 4  # 1 KB of binary data
ROWS = [{"id": i, "name": f"row {i}", "active": i % 2 == 0} for i in range(100)]
FLASH_PAGE = (
    b"<!doctype html><html><head><title>Messages</title></head><body>"
    b'<p class="flash">Saved.</p></body></html>'
)
PROFILE_PAGE = (
    b"<!doctype html><html><head><title>Profile - Bench</title></head><body>"
    b"<h1>Profile</h1><p>Signed in as alice</p></body></html>"
)
WS_MESSAGE = "Hello, websocket!"
FORM_BODY = b"name=alice&age=30"
JSON_POST_BODY = b'{"name":"alice","age":30}'
ROUTE_COUNT = 300  # numbered routes /r0../r299 in every app; the last one is measured


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
    header_has: dict[str, str] | None = None,
    set_cookies: tuple[str, ...] = (),
    min_chunks: int = 0,
) -> Check:
    """Build a check of a response; it returns a list of problems (empty if fine).

    ``headers`` must match exactly, ``header_has`` values must occur in the header, and
    each ``set_cookies`` entry (``name`` or ``name=value``) must start a ``Set-Cookie``.
    """

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
        for name, part in (header_has or {}).items():
            if part not in (response.header(name) or ""):
                problems.append(f"header {name}: {response.header(name)!r}, lacks {part!r}")
        sent = response.header_values("set-cookie")
        for cookie in set_cookies:
            prefix = cookie if "=" in cookie else cookie + "="
            if not any(value.startswith((prefix + ";", prefix)) for value in sent):
                problems.append(f"set-cookie {sent!r}, expected one starting with {prefix!r}")
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
    """One benchmarked handler shape: its request (or websocket message) and its check.

    ``raw``: the hand-written ASGI floor (``apps/raw.py``) serves it too; the other
    shapes exist in the three framework apps only. ``ws_json``: websocket messages are
    JSON documents, compared after parsing. ``login``: a path to GET once before the
    run; its ``Set-Cookie`` values are sent as the ``Cookie`` of every request.
    """

    name: str
    description: str
    path: str
    check: Check = field(repr=False)
    method: str = "GET"
    kind: str = "http"
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    query: bytes = b""
    login: str = ""
    raw: bool = False
    ws_json: bool = False

    def serves(self, framework: str) -> bool:
        """Whether ``framework``'s app implements this shape."""
        return self.raw or framework != "raw"


def body_headers(content_type: bytes, body: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """``Content-Type`` and ``Content-Length`` of a request body."""
    return ((b"content-type", content_type), (b"content-length", str(len(body)).encode()))


TEXT = ("text/plain", "text/html")
JSON = ("application/json",)
HTML = ("text/html",)
HELLO = b"Hello, World!"
SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "plaintext", "return str", "/plaintext", expect(body=HELLO, content_types=TEXT), raw=True
    ),
    Scenario("bytes", "return bytes", "/bytes", expect(body=HELLO)),
    Scenario(
        "dict",
        "return dict (JSON)",
        "/dict",
        expect(json_body={"message": "Hello, World!"}, content_types=JSON),
    ),
    Scenario(
        "list",
        "return list (JSON)",
        "/list",
        expect(json_body=["Hello", "World"], content_types=JSON),
    ),
    Scenario(
        "json",
        "return jsonify(dict)",
        "/json",
        expect(json_body={"message": "Hello, World!"}, content_types=JSON),
        raw=True,
    ),
    Scenario(
        "jsonify_201",
        "return jsonify(dict), 201",
        "/jsonify-201",
        expect(201, json_body={"id": 1, "status": "created"}, content_types=JSON),
    ),
    Scenario(
        "tuple_status",
        "return str, 201",
        "/tuple-status",
        expect(201, body=b"Created", content_types=TEXT),
    ),
    Scenario(
        "tuple_headers",
        "return str, headers",
        "/tuple-headers",
        expect(body=HELLO, content_types=TEXT, headers={"x-custom": "1"}),
    ),
    Scenario(
        "tuple_full",
        "return str, 201, headers",
        "/tuple",
        expect(201, body=b"Created", content_types=TEXT, headers={"x-custom": "1"}),
        raw=True,
    ),
    Scenario(
        "response",
        "return Response(str, mimetype)",
        "/response",
        expect(body=HELLO, content_types=("text/plain",)),
    ),
    Scenario(
        "make_response",
        "make_response(str), then set a header",
        "/make-response",
        expect(body=HELLO, content_types=TEXT, headers={"x-custom": "1"}),
    ),
    Scenario(
        "redirect",
        "redirect(url_for(...))",
        "/redirect",
        expect(302, headers={"location": "/plaintext"}),
    ),
    Scenario(
        "path_param",
        "GET /users/42 (int converter)",
        "/users/42",
        expect(body=b"user 42", content_types=TEXT),
        raw=True,
    ),
    Scenario(
        "two_params",
        "GET /users/42/posts/hello (int + str)",
        "/users/42/posts/hello",
        expect(body=b"user 42 post hello", content_types=TEXT),
    ),
    Scenario(
        "param_headers",
        "path parameter returned with headers",
        "/items/7",
        expect(body=b"item 7", content_types=TEXT, headers={"x-item-id": "7"}),
    ),
    Scenario(
        "query_args",
        "GET /search?q=erlen&page=2 (request.args)",
        "/search",
        expect(body=b"q=erlen page=2", content_types=TEXT),
        query=b"q=erlen&page=2",
    ),
    Scenario(
        "abort_handled",
        "abort(404) -> blueprint @errorhandler(404)",
        "/shop/7",
        expect(404, body=b"no item 7", content_types=TEXT),
    ),
    Scenario(
        "custom_error",
        "raise MyError -> app @errorhandler(MyError)",
        "/conflict",
        expect(409, body=b"conflict: busy", content_types=TEXT),
    ),
    Scenario("not_found", "GET /missing -> 404", "/missing", expect(status=404), raw=True),
    Scenario(
        "method_not_allowed",
        "POST /plaintext -> 405",
        "/plaintext",
        expect(405, header_has={"allow": "GET"}),
        method="POST",
        headers=body_headers(b"text/plain", b""),
    ),
    Scenario(
        "hooks",
        "blueprint before_request (g) + after_request (header)",
        "/hooks",
        expect(body=b"x=1", content_types=TEXT, headers={"x-after": "1"}),
    ),
    Scenario(
        "lifecycle",
        "before/after hooks + session read",
        "/lifecycle",
        expect(body=b"x=1 user=alice", content_types=TEXT, headers={"x-after": "1"}),
        login="/login",
        raw=True,
    ),
    Scenario(
        "teardown",
        "teardown_request closes what the view opened",
        "/db",
        expect(body=b"open=1", content_types=TEXT),
    ),
    Scenario(
        "blueprint",
        "blueprint url_prefix + blueprint before_request (auth)",
        "/api/status",
        expect(body=b"api ok", content_types=TEXT),
        headers=((b"authorization", b"Bearer bench-token"),),
    ),
    Scenario(
        "session_read",
        "session read (logged-in cookie)",
        "/session",
        expect(body=b"user=alice", content_types=TEXT),
        login="/login",
    ),
    Scenario(
        "session_write",
        "session write (new cookie)",
        "/session/write",
        expect(body=b"saved", content_types=TEXT, set_cookies=("session",)),
    ),
    Scenario(
        "form",
        "POST urlencoded form (await request.form)",
        "/form",
        expect(body=b"name=alice age=30", content_types=TEXT),
        method="POST",
        body=FORM_BODY,
        headers=body_headers(b"application/x-www-form-urlencoded", FORM_BODY),
    ),
    Scenario(
        "json_post",
        "POST small JSON (await request.get_json()), return dict",
        "/json-post",
        expect(json_body={"hello": "alice"}, content_types=JSON),
        method="POST",
        body=JSON_POST_BODY,
        headers=body_headers(b"application/json", JSON_POST_BODY),
    ),
    Scenario(
        "echo_1k",
        "POST /echo, 1 KB JSON parsed and re-serialised",
        "/echo",
        expect(json_body=ECHO_DOCUMENT, content_types=JSON),
        method="POST",
        body=ECHO_BODY,
        headers=body_headers(b"application/json", ECHO_BODY),
        raw=True,
    ),
    Scenario(
        "cookies",
        "read request.cookies, set_cookie",
        "/cookies",
        expect(body=b"theme=dark", content_types=TEXT, set_cookies=("visited=1",)),
        headers=((b"cookie", b"theme=dark"),),
    ),
    Scenario(
        "template",
        "render_template_string, 10-item loop",
        "/template",
        expect(body=TEMPLATE_OUTPUT, content_types=HTML),
        raw=True,
    ),
    Scenario(
        "template_file",
        "render_template from a file extending a base",
        "/page",
        expect(body=PAGE_OUTPUT, content_types=HTML),
    ),
    Scenario(
        "stream",
        "GET /stream, 10 chunks from an async generator",
        "/stream",
        expect(body=STREAM_OUTPUT, content_types=("text/plain",), min_chunks=10),
        raw=True,
    ),
    Scenario(
        "sync_view",
        "def view() (sync, run in a thread)",
        "/sync",
        expect(body=HELLO, content_types=TEXT),
    ),
    Scenario(
        "routes_300",
        f"GET /r{ROUTE_COUNT - 1}, last of {ROUTE_COUNT} numbered routes",
        f"/r{ROUTE_COUNT - 1}",
        expect(body=f"route {ROUTE_COUNT - 1}".encode(), content_types=TEXT),
        raw=True,
    ),
    Scenario(
        "method_view",
        "MethodView class-based view, GET returns a dict",
        "/api-items/7",
        expect(json_body={"id": 7, "name": "item 7"}, content_types=JSON),
    ),
    Scenario(
        "url_for_many",
        "four url_for calls (params, query argument), dict out",
        "/links",
        expect(
            json_body={
                "self": "/links",
                "user": "/users/42",
                "post": "/users/42/posts/hello",
                "search": "/search?q=erlen",
            },
            content_types=JSON,
        ),
    ),
    Scenario(
        "args_headers",
        "request.args.get + request.headers.get together",
        "/whoami",
        expect(body=b"name=bob lang=fr agent=erlen-bench/1", content_types=TEXT),
        headers=((b"accept-language", b"fr"),),
        query=b"name=bob",
    ),
    Scenario(
        "send_file",
        "send_file of a small file on disk",
        "/download",
        expect(body=HELLO_FILE_BODY, content_types=("text/plain",)),
    ),
    Scenario(
        "static_file",
        "GET /static/hello.txt (the static folder route)",
        "/static/hello.txt",
        expect(body=HELLO_FILE_BODY, content_types=("text/plain",)),
    ),
    Scenario(
        "abort_default",
        "abort(403) with no handler: default error page",
        "/forbidden",
        expect(403),
    ),
    Scenario(
        "before_response",
        "blueprint before_request returns a response (503)",
        "/maintenance/status",
        expect(503, body=b"down for maintenance", content_types=TEXT),
    ),
    Scenario(
        "error_any",
        "raise ValueError -> @errorhandler(Exception) (blueprint)",
        "/guarded/fail",
        expect(500, body=b"error: ValueError", content_types=TEXT),
    ),
    Scenario(
        "cookie_swap",
        "make_response, set_cookie + delete_cookie",
        "/cookie-swap",
        expect(body=b"swapped", content_types=TEXT, set_cookies=("theme=dark", "legacy=")),
    ),
    Scenario(
        "stream_context",
        "stream_with_context generator reading request.args, 5 chunks",
        "/stream-context",
        expect(body=CONTEXT_STREAM_OUTPUT, content_types=("text/plain",), min_chunks=5),
        query=b"name=bob",
    ),
    Scenario(
        "get_data",
        "POST 1 KB binary body, await request.get_data()",
        "/upload",
        expect(body=b"received 1024 bytes", content_types=TEXT),
        method="POST",
        body=UPLOAD_BODY,
        headers=body_headers(b"application/octet-stream", UPLOAD_BODY),
    ),
    Scenario(
        "jsonify_rows",
        "jsonify of a list of 100 small dicts",
        "/rows",
        expect(json_body=ROWS, content_types=JSON),
    ),
    Scenario(
        "async_await",
        "async view awaiting asyncio.sleep(0) once",
        "/async-wait",
        expect(body=b"waited", content_types=TEXT),
    ),
    Scenario(
        "flash",
        "page rendering get_flashed_messages() (flash cookie from a redirect)",
        "/flash",
        expect(body=FLASH_PAGE, content_types=HTML, set_cookies=("session",)),
        login="/flash/add",
    ),
    Scenario(
        "context_processor",
        "blueprint context_processor + render_template from a file",
        "/profile",
        expect(body=PROFILE_PAGE, content_types=HTML),
    ),
    Scenario(
        "ws_echo",
        "websocket text echo, per message",
        "/ws",
        expect(),
        kind="ws",
        raw=True,
    ),
    Scenario(
        "ws_json",
        "websocket receive_json/send_json echo, per message",
        "/ws-json",
        expect(),
        kind="ws",
        ws_json=True,
    ),
)
SCENARIO_NAMES: tuple[str, ...] = tuple(s.name for s in SCENARIOS)
BY_NAME: dict[str, Scenario] = {s.name: s for s in SCENARIOS}


def ws_message(scenario: Scenario, index: int = 0) -> str:
    """The text of websocket message ``index`` of ``scenario``."""
    if scenario.ws_json:
        return json.dumps({"message": WS_MESSAGE, "n": index}, separators=(",", ":"))
    return f"{WS_MESSAGE} #{index}"


def ws_echo_matches(scenario: Scenario, sent: str, reply: Any) -> bool:
    """Whether a websocket reply echoes ``sent`` (JSON compared parsed)."""
    if reply.get("type") != "websocket.send":
        return False
    if not scenario.ws_json:
        return bool(reply.get("text") == sent)
    text = reply.get("text") if reply.get("text") is not None else reply.get("bytes")
    try:
        return bool(json.loads(text) == json.loads(sent))
    except (TypeError, ValueError):
        return False


def parse_scenarios(text: str) -> list[Scenario]:
    """Turn ``"plaintext,json"`` into scenarios, keeping the canonical order."""
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    unknown = wanted - set(BY_NAME)
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return [s for s in SCENARIOS if s.name in wanted]
