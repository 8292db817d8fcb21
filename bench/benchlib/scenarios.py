"""The benchmark scenarios: what request to send and how to verify the answer."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from benchlib import appdata
from benchlib.appdata import (
    API_KEY,
    ARCHIVE_MONTHS,
    BIG_JSON_ITEMS,
    BIG_UPLOAD,
    BLOB,
    BROADCAST_CLIENTS,
    CATALOG,
    CHECKSUM_INPUT,
    COOKIE_COUNT,
    CSV_ROWS,
    EVENTS,
    NDJSON_LINES,
    PRELOAD_LINKS,
    QUERY_ARGS,
    QUOTA_LIMIT,
    QUOTE_LINES,
    REPORT_CSV,
    REPORT_MODIFIED,
    ROLE_HEADER,
    ROUTE_COUNT,
    ROWS,
    SSE_EVENTS,
    SSE_LIVE_EVENTS,
    TRACE_HEADERS,
    WS_ACCEPT_HEADER,
    WS_BIG_FRAME,
    WS_CLOSE,
    WS_GREETING,
    WS_SERVER_PROTOCOLS,
    WS_SUBPROTOCOL,
    checksum,
    live_event,
    ndjson_line,
    quote_totals,
    sse_event,
)
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
SECURITY_HEADERS = {name.lower(): value for name, value in appdata.SECURITY_HEADERS.items()}
THING = {"name": "widget", "price": 9.5, "tags": ["a", "b"]}
OBJECT_ID = "4f1c2a3e-8b7d-4c6e-9a5f-0e1d2c3b4a59"
BIG_UPLOAD_BODY = bytes(range(256)) * 256  # 64 KiB
MULTIPART_BOUNDARY = "bench-boundary-7f3a"
MULTIPART_BODY = (
    (
        f"--{MULTIPART_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        f"report\r\n--{MULTIPART_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="data.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    + UPLOAD_BODY
    + f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()
)
STREAM_100_OUTPUT = "".join(f"line {i}\n" for i in range(100)).encode()
NOTE = {"title": "write docs", "done": False}
CONTACT_BODY = b"name=alice&message=hello+there"
LINKS_PAGE = (
    b"<!doctype html><html><head><title>Links</title></head><body>"
    b'<a href="http://127.0.0.1:8000/users/42">user</a>'
    b'<a href="http://127.0.0.1:8000/static/hello.txt">file</a></body></html>'
)
CSV_OUTPUT = (
    "id,name,active\n" + "".join(f"{r['id']},{r['name']},{r['active']}\n" for r in CSV_ROWS)
).encode()
NOTE_TEXT = b"line one\nline two\nline three\n"
HTTP_DATE = "%a, %d %b %Y %H:%M:%S GMT"
SURVEY_BODY = b"name=alice&topic=python&topic=asyncio&topic=web"
PHOTOS = (("a.jpg", 100), ("b.jpg", 200), ("c.jpg", 300))
GALLERY_BODY = (
    b"".join(
        (
            f"--{MULTIPART_BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="photos"; filename="{name}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + bytes(i % 256 for i in range(size))
        + b"\r\n"
        for name, size in PHOTOS
    )
    + f"--{MULTIPART_BOUNDARY}--\r\n".encode()
)
SSE_OUTPUT = "".join(sse_event(i) for i in range(SSE_EVENTS)).encode()
BAD_JSON_BODY = b'{"name": "alice",'
TODO_BODY = b'{"title": "write tests"}'
BASIC_ALICE = b"Basic " + base64.b64encode(b"alice:secret")

# --- round 6 shapes ---
QUERY_50 = "&".join(f"a{i}={i}" for i in range(QUERY_ARGS)).encode()
COOKIES_30 = "; ".join(f"c{i}=v{i}" for i in range(COOKIE_COUNT)).encode()
BIG_JSON_BODY = json.dumps(
    {
        "items": [
            {"id": i, "label": f"label-{i}", "price": i * 1.5, "active": i % 2 == 0}
            for i in range(BIG_JSON_ITEMS)
        ]
    },
    separators=(",", ":"),
).encode()
BIG_MULTIPART_BODY = (
    (
        f"--{MULTIPART_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    + BIG_UPLOAD
    + f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()
)
EXPORT_STREAM_OUTPUT = (
    "id,name,bench\n" + "".join(f"{r['id']},{r['name']}\n" for r in CSV_ROWS)
).encode()
NDJSON_OUTPUT = "".join(ndjson_line(i) for i in range(NDJSON_LINES)).encode()
MEMBER_PAGE = (
    b"<!doctype html><html><head><title>Home</title></head><body>"
    b"<h1>Home</h1><p>Signed in as alice (admin)</p></body></html>"
)
EVENTS_JSON = {
    "events": [
        {
            "id": e.id,
            "title": e.title,
            "starts": format_datetime(e.starts, usegmt=True),
            "ref": str(e.ref),
            "price": str(e.price),
        }
        for e in EVENTS
    ]
}
# Erlen writes datetimes as ISO 8601 where Flask and Quart write HTTP dates
# (docs/porting.md): ``json_dataclass`` accepts either form of the same instant.
EVENTS_JSON_ISO = {
    "events": [
        {**event, "starts": e.starts.isoformat().replace("+00:00", "Z")}
        for event, e in zip(EVENTS_JSON["events"], EVENTS, strict=True)
    ]
}
WS_TOKEN = (b"authorization", b"Bearer ws-token")

# --- round 7 shapes ---
CLIP = (Path(__file__).resolve().parent.parent / "apps" / "static" / "clip.txt").read_bytes()
CLIP_RANGE = (1024, 2047)  # ``send_file_range``: the byte range asked for (inclusive)
TRACES = tuple(
    (f"x-trace-{i}".encode(), f"{i:02d}-".encode() + b"0123456789abcdef" * 6)
    for i in range(TRACE_HEADERS)
)
QUOTE = {
    "customer": {
        "id": 7,
        "name": "alice",
        "address": {"street": "1 Main St", "city": "Lyon", "zip": "69001", "country": "FR"},
        "tags": ["vip", "newsletter"],
    },
    "lines": [
        {
            "sku": f"SKU-{i:04d}",
            "qty": 1 + i % 3,
            "price": 2.5 + i,
            "options": {"gift": i % 4 == 0, "colour": "blue", "tags": ["a", "b"]},
        }
        for i in range(QUOTE_LINES)
    ],
    "meta": {"source": "web", "coupon": None, "notes": {"delivery": "door", "floor": 3}},
}
QUOTE_BODY = json.dumps(QUOTE, separators=(",", ":")).encode()
ACCOUNT_BODY = b'{"name": "ops", "email": "ops@example.com"}'
ARCHIVE_LINKS = [
    f"/archive/2025/{month}/post-{month}?page=2&sort=new&tag=a&tag=b#comments"
    for month in range(1, ARCHIVE_MONTHS + 1)
]


def rpc_answer(sent: str | bytes) -> str:
    """``ws_json_reply``: the reply dict the app builds from a message."""
    data = json.loads(sent)
    message = data["message"]
    return json.dumps({"id": data["n"], "ok": True, "echo": message, "length": len(message)})


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
    header_lists: dict[str, tuple[str, ...]] | None = None,
) -> Check:
    """Build a check of a response; it returns a list of problems (empty if fine).

    ``headers`` must match exactly, ``header_has`` values must occur in the header,
    ``header_lists`` gives every value of a repeated header in order, and each
    ``set_cookies`` entry (``name`` or ``name=value``) must start a ``Set-Cookie``.
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
        for name, values in (header_lists or {}).items():
            if tuple(response.header_values(name)) != values:
                problems.append(f"headers {name}: {response.header_values(name)!r}, not {values}")
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


def either_json(first: Check, second: Check) -> Check:
    """A check passing when either check passes (the problems of the first otherwise)."""

    def check(response: Response) -> list[str]:
        problems = first(response)
        return problems if problems and second(response) else []

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
    JSON documents, compared after parsing; ``ws_binary``: they are bytes (``ws_size``
    of them, if set); ``ws_replies``: the app answers each message with that many
    (``"<sent> <i>"`` each when more than one; for JSON, ``{"n": <sent n>, "reply":
    <i>}``); ``ws_answer``: the one reply is ``ws_answer(<sent>)``, not the message;
    ``ws_subprotocols``: the handshake offers them and ``websocket.accept`` must pick
    ``ws_subprotocol``; ``ws_clients``: that many connections are open, the first
    sends, and each gets the message (a broadcast). Kind ``ws_connect``: each
    iteration is a whole connection (handshake, the app's ``ws_greeting`` if set, one
    message, the app's reply, the app's close), the reply being ``ws_reply_prefix`` +
    the message and the close carrying ``ws_close`` (code, reason);
    ``ws_accept_headers`` must be in the ``websocket.accept``. ``headers`` and
    ``query`` go with the request, or with the handshake of a websocket shape.
    ``login``: a path to GET once before the run; its ``Set-Cookie`` values are sent as
    the ``Cookie`` of every request. ``revalidate``: GET ``path`` once before the run
    and send its ``ETag`` as the ``If-None-Match`` of every request (a client
    revalidating its cached copy; each framework picks its own ETag, so it is not part
    of the scenario).
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
    ws_binary: bool = False
    ws_replies: int = 1
    ws_subprotocols: tuple[str, ...] = ()
    ws_subprotocol: str = ""
    ws_clients: int = 1
    ws_reply_prefix: str = ""
    ws_accept_headers: tuple[tuple[str, str], ...] = ()
    revalidate: bool = False
    ws_answer: Callable[[str | bytes], str | bytes] | None = field(default=None, repr=False)
    ws_size: int = 0
    ws_greeting: str = ""
    ws_close: tuple[int, str] = (1000, "")

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
        "json_large",
        "return dict holding 1,000 objects (large JSON)",
        "/catalog",
        expect(json_body={"count": len(CATALOG), "items": CATALOG}, content_types=JSON),
    ),
    Scenario(
        "json_validate",
        "POST JSON validated field by field, echoed as (dict, 201)",
        "/things",
        expect(201, json_body={"id": 1, **THING}, content_types=JSON),
        method="POST",
        body=json.dumps(THING).encode(),
        headers=body_headers(b"application/json", json.dumps(THING).encode()),
    ),
    Scenario(
        "request_meta",
        "request.method/path/url/remote_addr/host/scheme/headers[...]",
        "/meta",
        expect(
            body=b"GET /meta http://127.0.0.1:8000/meta?x=1 127.0.0.1 127.0.0.1:8000 http */*",
            content_types=TEXT,
        ),
        query=b"x=1",
    ),
    Scenario(
        "args_getlist",
        "request.args.getlist (repeated argument) + get(type=int)",
        "/tags",
        expect(body=b"tags=a,b,c limit=5", content_types=TEXT),
        query=b"tag=a&tag=b&tag=c&limit=5",
    ),
    Scenario(
        "many_headers",
        "return str, dict of 8 response headers",
        "/secure",
        expect(body=b"secure", content_types=TEXT, headers=SECURITY_HEADERS),
    ),
    Scenario(
        "cookie_full",
        "set_cookie with max_age, expires, path, domain, secure, httponly, samesite",
        "/cookie-full",
        expect(
            body=b"cookie set",
            content_types=TEXT,
            set_cookies=("sid=abc123",),
            header_has={"set-cookie": "Domain=example.com"},
        ),
    ),
    Scenario(
        "auth_401",
        "blueprint before_request answers (jsonify, 401) without a token",
        "/private/data",
        expect(401, json_body={"error": "unauthorized"}, content_types=JSON),
    ),
    Scenario(
        "abort_json",
        "abort(403, description) -> blueprint @errorhandler(403) returning jsonify",
        "/admin/users",
        expect(403, json_body={"error": "forbidden", "detail": "admins only"}, content_types=JSON),
    ),
    Scenario(
        "uuid_param",
        "uuid converter, dict out",
        f"/objects/{OBJECT_ID}",
        expect(json_body={"id": OBJECT_ID, "version": 4}, content_types=JSON),
    ),
    Scenario(
        "path_converter",
        "path converter (slashes in the value)",
        "/files/docs/2024/report.txt",
        expect(body=b"path docs/2024/report.txt", content_types=TEXT),
    ),
    Scenario(
        "nested_blueprint",
        "blueprint nested in a blueprint, both with url_prefix",
        "/v1/users/42/profile",
        expect(json_body={"id": 42, "name": "user 42"}, content_types=JSON),
    ),
    Scenario(
        "url_external",
        "url_for(..., _external=True)",
        "/share",
        expect(json_body={"url": "http://127.0.0.1:8000/users/42"}, content_types=JSON),
    ),
    Scenario(
        "make_response_full",
        "make_response(str, 201, headers), then a header",
        "/made-tuple",
        expect(201, body=b"created", content_types=TEXT, headers={"x-custom": "1", "x-extra": "2"}),
    ),
    Scenario(
        "response_json",
        'Response(json.dumps(...), mimetype="application/json")',
        "/raw-json",
        expect(json_body={"id": 7, "name": "widget", "tags": ["a", "b"]}, content_types=JSON),
    ),
    Scenario(
        "etag_304",
        "add_etag + make_conditional, If-None-Match matches: 304",
        "/article",
        expect(304, body=b""),
        revalidate=True,
    ),
    Scenario(
        "head",
        "HEAD of a GET route",
        "/plaintext",
        expect(headers={"content-length": "13"}),
        method="HEAD",
    ),
    Scenario(
        "options",
        "OPTIONS of a GET route (automatic answer)",
        "/resource",
        expect(header_has={"allow": "OPTIONS"}),
        method="OPTIONS",
    ),
    Scenario(
        "multipart",
        "POST multipart: a 1 KB file + a field (request.files, request.form)",
        "/upload-file",
        expect(body=b"report: data.bin 1024 bytes", content_types=TEXT),
        method="POST",
        body=MULTIPART_BODY,
        headers=body_headers(
            f"multipart/form-data; boundary={MULTIPART_BOUNDARY}".encode(), MULTIPART_BODY
        ),
    ),
    Scenario(
        "get_data_64k",
        "POST 64 KiB binary body, await request.get_data()",
        "/upload",
        expect(body=b"received 65536 bytes", content_types=TEXT),
        method="POST",
        body=BIG_UPLOAD_BODY,
        headers=body_headers(b"application/octet-stream", BIG_UPLOAD_BODY),
    ),
    Scenario(
        "stream_100",
        "GET /stream-100, 100 chunks from an async generator",
        "/stream-100",
        expect(body=STREAM_100_OUTPUT, content_types=("text/plain",), min_chunks=100),
    ),
    Scenario(
        "g_heavy",
        "view setting and reading g (attributes, in, get, setdefault, pop)",
        "/g-heavy",
        expect(body=b"alice admin r-1 5 0 True none", content_types=TEXT),
    ),
    Scenario(
        "config_reads",
        "current_app.config reads, dict out",
        "/settings",
        expect(
            json_body={"page_size": 20, "site": "Bench", "missing": "default", "debug": False},
            content_types=JSON,
        ),
    ),
    Scenario(
        "sync_cpu",
        "def view() summing 200 squares (sync, run in a thread)",
        "/sync-cpu",
        expect(body=b"sum=2646700", content_types=TEXT),
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
    Scenario(
        "ws_fanout",
        "websocket: ten messages sent per message received",
        "/ws-fanout",
        expect(),
        kind="ws",
        ws_replies=10,
    ),
    Scenario(
        "ws_bytes",
        "websocket binary echo, per message",
        "/ws-bytes",
        expect(),
        kind="ws",
        ws_binary=True,
    ),
    Scenario(
        "json_attr_201",
        "POST JSON read with await request.json, return (dict, 201)",
        "/notes",
        expect(201, json_body={"id": 3, **NOTE}, content_types=JSON),
        method="POST",
        body=json.dumps(NOTE).encode(),
        headers=body_headers(b"application/json", json.dumps(NOTE).encode()),
    ),
    Scenario(
        "form_prg",
        "POST form, redirect(url_for(..., query), 303) (Post/Redirect/Get)",
        "/contact",
        expect(303, headers={"location": "/contact/thanks?name=alice"}),
        method="POST",
        body=CONTACT_BODY,
        headers=body_headers(b"application/x-www-form-urlencoded", CONTACT_BODY),
    ),
    Scenario(
        "template_urls",
        "render_template of a file calling url_for(_external=True) and url_for('static')",
        "/link-page",
        expect(body=LINKS_PAGE, content_types=HTML),
    ),
    Scenario(
        "headers_add",
        "make_response, two set_cookie, headers.add of a repeated Link and a Vary",
        "/preload",
        expect(
            body=b"preloaded",
            content_types=TEXT,
            set_cookies=("a=1", "b=2"),
            header_lists={"link": PRELOAD_LINKS, "vary": ("Cookie",)},
        ),
    ),
    Scenario(
        "abort_response",
        "abort(Response(..., 418)): the view's own response raised",
        "/teapot",
        expect(418, body=b"short and stout", content_types=("text/plain",)),
    ),
    Scenario(
        "error_mro",
        "KeyError -> app @errorhandler(LookupError) (found through the exception's MRO)",
        "/products/plum",
        expect(404, body=b"missing: 'plum'", content_types=TEXT),
    ),
    Scenario(
        "after_this_request",
        "after_this_request callback adding a header",
        "/timed",
        expect(body=b"timed", content_types=TEXT, headers={"x-timed": "1"}),
    ),
    Scenario(
        "g_nested3",
        "three nested blueprints (url_prefix each), a before_request on each setting g",
        "/t/teams/members/7",
        expect(body=b"acme/core/7 via 3 hooks", content_types=TEXT),
    ),
    Scenario(
        "args_defaults",
        "four request.args.get with type and defaults (one missing, one invalid)",
        "/list-items",
        expect(body=b"page=1 per_page=20 sort=name desc=True", content_types=TEXT),
        query=b"page=abc&sort=name&desc=1",
    ),
    Scenario(
        "method_view_delete",
        "DELETE to a MethodView: an empty 204",
        "/api-items/7",
        expect(204, body=b""),
        method="DELETE",
    ),
    Scenario(
        "send_from_directory",
        "send_from_directory(folder, <path:filename>)",
        "/assets/hello.txt",
        expect(body=HELLO_FILE_BODY, content_types=("text/plain",)),
    ),
    Scenario(
        "csv_response",
        'Response(csv text, mimetype="text/csv") + Content-Disposition',
        "/export.csv",
        expect(
            body=CSV_OUTPUT,
            content_types=("text/csv",),
            headers={"content-disposition": "attachment; filename=export.csv"},
        ),
    ),
    Scenario(
        "get_data_text",
        "POST text, await request.get_data(as_text=True)",
        "/notes/raw",
        expect(body=b"3 lines, first: line one", content_types=TEXT),
        method="POST",
        body=NOTE_TEXT,
        headers=body_headers(b"text/plain; charset=utf-8", NOTE_TEXT),
    ),
    Scenario(
        "accept_best_match",
        "request.accept_mimetypes.best_match picks JSON over HTML",
        "/negotiate",
        expect(json_body={"format": "json"}, content_types=JSON),
        headers=((b"accept", b"text/html;q=0.9, application/json"),),
    ),
    Scenario(
        "five_converters",
        "int, float, uuid, string and path converters in one rule",
        f"/mix/7/2.5/{OBJECT_ID}/name/a/b.txt",
        expect(body=f"7 2.5 {OBJECT_ID} name a/b.txt".encode(), content_types=TEXT),
    ),
    Scenario(
        "if_modified_since",
        "last_modified + make_conditional, If-Modified-Since matches: 304",
        "/report",
        expect(304, body=b""),
        headers=((b"if-modified-since", REPORT_MODIFIED.strftime(HTTP_DATE).encode()),),
    ),
    Scenario(
        "session_permanent",
        "request.cookies.get + session.permanent = True + a session write",
        "/remember",
        expect(body=b"remembered dark", content_types=TEXT, set_cookies=("session",)),
        headers=((b"cookie", b"theme=dark"),),
    ),
    Scenario(
        "sync_hooked",
        "def view() in a blueprint with an async before_request setting g",
        "/sync-bp/whoami",
        expect(body=b"user=alice", content_types=TEXT),
    ),
    Scenario(
        "ws_json_multi",
        "websocket receive_json, three send_json replies per message",
        "/ws-json-multi",
        expect(),
        kind="ws",
        ws_json=True,
        ws_replies=3,
    ),
    Scenario(
        "ws_subprotocol",
        "websocket accepted with a subprotocol the client offered, then echo",
        "/ws-chat",
        expect(),
        kind="ws",
        ws_subprotocols=("v1.chat", WS_SUBPROTOCOL),
        ws_subprotocol=WS_SUBPROTOCOL,
    ),
    Scenario(
        "form_getlist",
        "POST urlencoded form with a repeated field: form.getlist",
        "/survey",
        expect(body=b"alice: python,asyncio,web", content_types=TEXT),
        method="POST",
        body=SURVEY_BODY,
        headers=body_headers(b"application/x-www-form-urlencoded", SURVEY_BODY),
    ),
    Scenario(
        "files_getlist",
        "POST multipart with three files under one name: request.files.getlist",
        "/gallery",
        expect(body=b"a.jpg=100 b.jpg=200 c.jpg=300", content_types=TEXT),
        method="POST",
        body=GALLERY_BODY,
        headers=body_headers(
            f"multipart/form-data; boundary={MULTIPART_BOUNDARY}".encode(), GALLERY_BODY
        ),
    ),
    Scenario(
        "background_task",
        "app.add_background_task, then the response",
        "/signup",
        expect(body=b"queued", content_types=TEXT),
        method="POST",
        headers=body_headers(b"text/plain", b""),
    ),
    Scenario(
        "sse",
        "Server-Sent Events: make_response(generator, text/event-stream), 5 events",
        "/events",
        expect(
            body=SSE_OUTPUT,
            content_types=("text/event-stream",),
            headers={"cache-control": "no-cache"},
            min_chunks=SSE_EVENTS,
        ),
    ),
    Scenario(
        "trailing_slash",
        "GET /docs of a /docs/ route: 308 to the slash",
        "/docs",
        expect(308, headers={"location": "http://127.0.0.1:8000/docs/"}),
    ),
    Scenario(
        "bytes_1mb",
        "Response of a 1 MiB bytes body",
        "/blob",
        expect(body=BLOB, content_types=("application/octet-stream",)),
    ),
    Scenario(
        "template_cookie",
        "make_response(render_template(...)) + set_cookie",
        "/page-visit",
        expect(body=PAGE_OUTPUT, content_types=HTML, set_cookies=("last_page=items",)),
    ),
    Scenario(
        "class_view",
        "View subclass with methods and dispatch_request, POST",
        "/reports/2024",
        expect(body=b"POST report 2024", content_types=TEXT),
        method="POST",
        headers=body_headers(b"text/plain", b""),
    ),
    Scenario(
        "copy_context",
        "copy_current_request_context helper awaited in another task",
        "/audit",
        expect(body=b"GET /audit by erlen-bench/1", content_types=TEXT),
    ),
    Scenario(
        "json_silent",
        "get_json(silent=True) on a malformed body: a JSON 400",
        "/json-silent",
        expect(400, json_body={"error": "invalid JSON"}, content_types=JSON),
        method="POST",
        body=BAD_JSON_BODY,
        headers=body_headers(b"application/json", BAD_JSON_BODY),
    ),
    Scenario(
        "basic_auth",
        "request.authorization (HTTP Basic)",
        "/whoami-basic",
        expect(body=b"basic alice", content_types=TEXT),
        headers=((b"authorization", BASIC_ALICE),),
    ),
    Scenario(
        "rest_create",
        "POST JSON, return jsonify(...), 201, Location from url_for",
        "/todos",
        expect(
            201,
            json_body={"id": 12, "title": "write tests"},
            content_types=JSON,
            headers={"location": "/todos/12"},
        ),
        method="POST",
        body=TODO_BODY,
        headers=body_headers(b"application/json", TODO_BODY),
    ),
    Scenario(
        "send_file_bytesio",
        "send_file(BytesIO, mimetype, as_attachment, filename)",
        "/export-bytes",
        expect(
            body=REPORT_CSV,
            content_types=("text/csv",),
            headers={"content-disposition": "attachment; filename=report.csv"},
        ),
    ),
    Scenario(
        "cache_control",
        "jsonify, then response.cache_control.public/max_age",
        "/cached",
        expect(
            json_body=ROWS[:3],
            content_types=JSON,
            header_has={"cache-control": "max-age=300"},
        ),
    ),
    Scenario(
        "logger_quiet",
        "current_app.logger.debug/info below the logger's level, dict out",
        "/quiet",
        expect(json_body={"items": 10}, content_types=JSON),
    ),
    Scenario(
        "login_required",
        "login_required decorator: anonymous, redirect(url_for(..., next=path))",
        "/dashboard",
        expect(302, headers={"location": "/sign-in?next=/dashboard"}),
    ),
    Scenario(
        "http_error_json",
        "abort(400, description) -> blueprint @errorhandler(HTTPException) as JSON",
        "/api2/orders",
        expect(
            400,
            json_body={"code": 400, "name": "Bad Request", "description": "missing field: sku"},
            content_types=JSON,
        ),
        method="POST",
        headers=body_headers(b"application/json", b""),
    ),
    Scenario(
        "error_500",
        "raise RuntimeError -> blueprint @errorhandler(500) (exception logged)",
        "/api2/crash",
        expect(500, body=b"internal error: RuntimeError", content_types=TEXT),
    ),
    Scenario(
        "ws_broadcast",
        f"websocket chat room: a message relayed to {BROADCAST_CLIENTS} connections (Broker);"
        " the handler sends, a task receives (Quart's tutorial, broadcaster's README)",
        "/ws-room",
        expect(),
        kind="ws",
        ws_clients=BROADCAST_CLIENTS,
    ),
    Scenario(
        "ws_broadcast_feed",
        f"the same chat room the other way round: the handler receives and publishes, a"
        f" task sends to its client ({BROADCAST_CLIENTS} connections)",
        "/ws-room-feed",
        expect(),
        kind="ws",
        ws_clients=BROADCAST_CLIENTS,
    ),
    Scenario(
        "ws_hooks",
        "websocket connection: before/after_websocket hooks, one message, handler returns",
        "/ws-hooked",
        expect(),
        kind="ws_connect",
        ws_reply_prefix="erlen-bench/1 1: ",
    ),
    Scenario(
        "ws_accept_headers",
        "websocket connection accepted with a header, one message, handler returns",
        "/ws-headers",
        expect(),
        kind="ws_connect",
        ws_accept_headers=(WS_ACCEPT_HEADER,),
    ),
    Scenario(
        "query_50",
        "50 query arguments: request.args.to_dict() and two by name",
        "/q50",
        expect(json_body={"count": QUERY_ARGS, "a7": "7", "a49": 49}, content_types=JSON),
        query=QUERY_50,
    ),
    Scenario(
        "cookies_30",
        "30 cookies: len(request.cookies) and one by name",
        "/prefs",
        expect(body=b"30 cookies, c7=v7", content_types=TEXT),
        headers=((b"cookie", COOKIES_30),),
    ),
    Scenario(
        "json_1mb",
        "POST a 1 MiB JSON document: get_json()",
        "/bulk",
        expect(json_body={"count": BIG_JSON_ITEMS}, content_types=JSON),
        method="POST",
        body=BIG_JSON_BODY,
        headers=body_headers(b"application/json", BIG_JSON_BODY),
    ),
    Scenario(
        "upload_1mb",
        "POST multipart with a 1 MiB file: request.files, read()",
        "/upload-big",
        expect(body=b"big.bin 1048576", content_types=TEXT),
        method="POST",
        body=BIG_MULTIPART_BODY,
        headers=body_headers(
            f"multipart/form-data; boundary={MULTIPART_BOUNDARY}".encode(), BIG_MULTIPART_BODY
        ),
    ),
    Scenario(
        "response_stream",
        "Response(stream_with_context(generator)(), mimetype, headers): a CSV download",
        "/export-stream",
        expect(
            body=EXPORT_STREAM_OUTPUT,
            content_types=("text/csv",),
            headers={"content-disposition": "attachment; filename=rows.csv"},
            min_chunks=len(CSV_ROWS) + 1,
        ),
        query=b"by=bench",
    ),
    Scenario(
        "stream_headers",
        "return async generator, 200, headers (NDJSON)",
        "/feed.ndjson",
        expect(
            body=NDJSON_OUTPUT,
            content_types=("application/x-ndjson",),
            headers={"x-lines": str(NDJSON_LINES)},
            min_chunks=NDJSON_LINES,
        ),
    ),
    Scenario(
        "gather_context",
        "asyncio.gather of three copy_current_request_context helpers",
        "/overview",
        expect(
            json_body={"parts": ["profile:bob", "orders:bob", "alerts:bob"]}, content_types=JSON
        ),
        query=b"user=bob",
    ),
    Scenario(
        "error_hierarchy",
        "raise CardDeclined(PaymentError(ShopError)): the nearest of two app handlers",
        "/checkout",
        expect(
            402,
            json_body={"error": "CardDeclined", "kind": "payment", "message": "card declined"},
            content_types=JSON,
        ),
        method="POST",
        headers=body_headers(b"text/plain", b""),
    ),
    Scenario(
        "bp_url_external",
        "blueprint url_for('.endpoint', _external=True), relative and static URLs",
        "/store/share/9",
        expect(
            json_body={
                "self": "http://127.0.0.1:8000/store/items/9",
                "index": "/store/",
                "file": "http://127.0.0.1:8000/static/hello.txt",
            },
            content_types=JSON,
        ),
    ),
    Scenario(
        "before_request_abort",
        "blueprint before_request: abort(404) (a feature flag), no handler",
        "/beta/search",
        expect(404),
    ),
    Scenario(
        "g_template",
        "blueprint before_request sets g, a template file reads g",
        "/members/home",
        expect(body=MEMBER_PAGE, content_types=HTML),
    ),
    Scenario(
        "class_view_decorators",
        "MethodView with decorators = [require_api_key] (functools.wraps), add_url_rule",
        "/invoices/5",
        expect(json_body={"id": 5, "total": 120, "currency": "EUR"}, content_types=JSON),
        headers=((b"x-api-key", API_KEY.encode()),),
    ),
    Scenario(
        "app_shortcuts",
        "@app.post on a path that also has an @app.get, with a converter",
        "/posts/hello-world/likes",
        expect(201, json_body={"post": "hello-world", "liked": True}, content_types=JSON),
        method="POST",
        headers=body_headers(b"text/plain", b""),
    ),
    Scenario(
        "route_defaults",
        "two rules for one view, the matched one with defaults={'page': 1}",
        "/blog/",
        expect(body=b"blog page 1", content_types=TEXT),
    ),
    Scenario(
        "url_lang_prefix",
        "blueprint url_prefix='/<lang_code>' with url_value_preprocessor + url_defaults",
        "/fr/about",
        expect(json_body={"lang": "fr", "self": "/fr/about"}, content_types=JSON),
    ),
    Scenario(
        "json_dataclass",
        "return dict of 10 dataclasses (datetime, UUID, Decimal fields; ISO or HTTP dates)",
        "/events.json",
        either_json(
            expect(json_body=EVENTS_JSON, content_types=JSON),
            expect(json_body=EVENTS_JSON_ISO, content_types=JSON),
        ),
    ),
    Scenario(
        "ws_broadcast_100",
        "websocket chat room: a message relayed to 100 connections (Broker)",
        "/ws-room",
        expect(),
        kind="ws",
        ws_clients=100,
    ),
    Scenario(
        "ws_token",
        "websocket connection: before_websocket checks an Authorization token, one message",
        "/ws-token",
        expect(),
        kind="ws_connect",
        headers=(WS_TOKEN,),
        ws_reply_prefix="alice: ",
    ),
    Scenario(
        "ws_wait_for",
        "websocket receive loop with asyncio.wait_for(receive(), timeout), echo per message",
        "/ws-idle",
        expect(),
        kind="ws",
    ),
    Scenario(
        "ws_json_reply",
        "websocket receive_json, send_json of a reply dict built from it, per message",
        "/ws-rpc",
        expect(),
        kind="ws",
        ws_json=True,
        ws_answer=rpc_answer,
    ),
    Scenario(
        "ws_path_query",
        "websocket connection to /ws-rooms/<int:room_id>?name=: both read, one message",
        "/ws-rooms/7",
        expect(),
        kind="ws_connect",
        query=b"name=bob",
        ws_reply_prefix="room 7 bob: ",
    ),
    Scenario(
        "ws_greeting",
        "websocket connection: accept() explicitly, send a greeting, then one message",
        "/ws-welcome",
        expect(),
        kind="ws_connect",
        ws_greeting=WS_GREETING,
        ws_reply_prefix="you said: ",
    ),
    Scenario(
        "ws_bytes_64k",
        f"websocket binary echo of {WS_BIG_FRAME // 1024} KiB messages, per message",
        "/ws-bytes",
        expect(),
        kind="ws",
        ws_binary=True,
        ws_size=WS_BIG_FRAME,
    ),
    Scenario(
        "ws_close_reason",
        f"websocket connection: one message, then close({WS_CLOSE[0]}, {WS_CLOSE[1]!r})",
        "/ws-bye",
        expect(),
        kind="ws_connect",
        ws_close=WS_CLOSE,
    ),
    Scenario(
        "ws_task_context",
        "websocket: receiving and sending tasks (copy_current_websocket_context) and a"
        " queue, per message",
        "/ws-tasks",
        expect(),
        kind="ws",
    ),
    Scenario(
        "ws_negotiate",
        "websocket connection: the server's preferred subprotocol of three offered, one message",
        "/ws-negotiate",
        expect(),
        kind="ws_connect",
        ws_subprotocols=("v1.chat", "v2.chat", "v3.chat"),
        ws_subprotocol=WS_SERVER_PROTOCOLS[0],
        ws_reply_prefix=f"{WS_SERVER_PROTOCOLS[0]}: ",
    ),
    Scenario(
        "sse_recipe",
        "Quart's SSE recipe: accept_mimetypes check, make_response(generator, headers),"
        " response.timeout = None",
        "/live",
        expect(
            body=b"".join(live_event(i).encode() for i in range(SSE_LIVE_EVENTS)),
            content_types=("text/event-stream",),
            headers={"cache-control": "no-cache"},
            min_chunks=SSE_LIVE_EVENTS,
        ),
        headers=((b"accept", b"text/event-stream"),),
    ),
    Scenario(
        "ndjson_sync",
        f"Response(sync generator of {len(CSV_ROWS)} json.dumps lines): a thread per chunk",
        "/rows.ndjson",
        expect(
            body="".join(json.dumps(row) + "\n" for row in CSV_ROWS).encode(),
            content_types=("application/x-ndjson",),
            min_chunks=len(CSV_ROWS),
        ),
    ),
    Scenario(
        "big_headers",
        f"{TRACE_HEADERS} X-Trace-* request headers of 100 bytes gathered from headers.items()",
        "/trace",
        expect(
            json_body={
                "count": TRACE_HEADERS,
                "first": TRACES[0][1].decode(),
                "last": TRACES[-1][1].decode(),
            },
            content_types=JSON,
        ),
        headers=TRACES,
    ),
    Scenario(
        "nested_json",
        f"POST a nested JSON order ({len(QUOTE_BODY)} B, {QUOTE_LINES} lines): get_json(),"
        " walked to a dict",
        "/orders/quote",
        expect(json_body=quote_totals(QUOTE), content_types=JSON),
        method="POST",
        body=QUOTE_BODY,
        headers=body_headers(b"application/json", QUOTE_BODY),
    ),
    Scenario(
        "abort_make_response",
        "abort(await make_response(jsonify(...), 422)) on a bad query argument",
        "/quota",
        expect(
            422,
            json_body={"error": f"limit must be 1..{QUOTA_LIMIT}", "limit": 500},
            content_types=JSON,
        ),
        query=b"limit=500",
    ),
    Scenario(
        "url_for_args",
        f"{ARCHIVE_MONTHS} url_for with 3 path values, 3 query values (one a list), _anchor",
        "/archive-links",
        expect(json_body={"links": ARCHIVE_LINKS}, content_types=JSON),
    ),
    Scenario(
        "send_file_range",
        "send_file(conditional=True) of an 8 KiB file, Range: bytes=1024-2047 -> 206",
        "/media/clip.txt",
        expect(
            206,
            body=CLIP[CLIP_RANGE[0] : CLIP_RANGE[1] + 1],
            headers={"content-range": f"bytes {CLIP_RANGE[0]}-{CLIP_RANGE[1]}/{len(CLIP)}"},
        ),
        headers=((b"range", f"bytes={CLIP_RANGE[0]}-{CLIP_RANGE[1]}".encode()),),
    ),
    Scenario(
        "view_func_put",
        "add_url_rule(view_func=require_role('admin')(view), methods=['PUT']), JSON body",
        "/accounts/12",
        expect(json_body={"id": 12, "name": "ops", "updated": True}, content_types=JSON),
        method="PUT",
        body=ACCOUNT_BODY,
        headers=(
            *body_headers(b"application/json", ACCOUNT_BODY),
            (ROLE_HEADER[0].lower().encode(), ROLE_HEADER[1].encode()),
        ),
    ),
    Scenario(
        "g_helpers",
        "get_db()/current_user()/record_event() helpers sharing state on g, dict out",
        "/account-summary",
        expect(
            json_body={
                "user": "user 7",
                "orders": [100, 101, 102],
                "events": ["open", "orders"],
                "queries": 2,
                "db": "Bench",
            },
            content_types=JSON,
        ),
        query=b"uid=7",
    ),
    Scenario(
        "sync_hash",
        "def view(): request.args, 50 SHA-256 rounds of 4 KiB, jsonify (in a thread)",
        "/checksum",
        expect(
            json_body={"rounds": 50, "digest": checksum(CHECKSUM_INPUT, 50)},
            content_types=JSON,
        ),
        query=b"rounds=50",
    ),
)
SCENARIO_NAMES: tuple[str, ...] = tuple(s.name for s in SCENARIOS)
BY_NAME: dict[str, Scenario] = {s.name: s for s in SCENARIOS}


def ws_message(scenario: Scenario, index: int = 0) -> str | bytes:
    """The payload of websocket message ``index`` of ``scenario`` (bytes if binary)."""
    if scenario.ws_json:
        return json.dumps({"message": WS_MESSAGE, "n": index}, separators=(",", ":"))
    if scenario.ws_binary and scenario.ws_size:
        head = f"{WS_MESSAGE} #{index}".encode()
        return head + bytes(i % 251 for i in range(scenario.ws_size - len(head)))
    if scenario.ws_binary:
        return f"{WS_MESSAGE} #{index}".encode() + bytes(range(16))
    return f"{WS_MESSAGE} #{index}"


def ws_expected(scenario: Scenario, sent: str | bytes) -> list[str | bytes]:
    """The replies ``scenario``'s app sends for the message ``sent``, in order."""
    if scenario.ws_answer is not None:
        return [scenario.ws_answer(sent)]
    if scenario.ws_replies == 1:
        return [sent]
    if scenario.ws_json:
        number = json.loads(sent)["n"]
        return [json.dumps({"n": number, "reply": i}) for i in range(scenario.ws_replies)]
    return [f"{sent!s} {i}" for i in range(scenario.ws_replies)]


def ws_echo_matches(scenario: Scenario, expected: str | bytes, reply: Any) -> bool:
    """Whether a websocket reply carries ``expected`` (JSON compared parsed)."""
    if reply.get("type") != "websocket.send":
        return False
    if isinstance(expected, bytes):
        return bool(reply.get("bytes") == expected)
    if not scenario.ws_json:
        return bool(reply.get("text") == expected)
    text = reply.get("text") if reply.get("text") is not None else reply.get("bytes")
    try:
        return bool(json.loads(text) == json.loads(expected))
    except (TypeError, ValueError):
        return False


def parse_scenarios(text: str) -> list[Scenario]:
    """Turn ``"plaintext,json"`` into scenarios, keeping the canonical order."""
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    unknown = wanted - set(BY_NAME)
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return [s for s in SCENARIOS if s.name in wanted]
