"""What :mod:`answers` asks both frameworks: ``{case id: (method, path, options)}``,
``options`` the test client's ``open()`` keywords; session flows (one client, requests
in order); websocket conversations (the path and the messages sent)."""

from __future__ import annotations

import base64
from typing import Any

MULTIPART = (
    b'--B\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nfile!\r\n"
    b'--B\r\nContent-Disposition: form-data; name="t"\r\n\r\nval\r\n--B--\r\n'
)
BASIC = "Basic " + base64.b64encode(b"u:p").decode()
RICH_HEADERS = {
    "Accept": "text/html;q=0.5, application/json",
    "Authorization": BASIC,
    "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
    "Range": "bytes=0-5",
    "Origin": "http://o",
    "Referer": "http://r",
    "User-Agent": "UA",
    "Cookie": "a=b",
    "Content-Type": "application/json; charset=utf-8",
    "X-Multi": "m",
}
GETS = """
/str /bytes /empty /unicode /dict /list /tuple-status /tuple-httpstatus /tuple-status-line
/tuple-headers /tuple-header-pairs /tuple-repeated-pairs /tuple-headers-object /tuple-full
/tuple-content-length /tuple-list-value /tuple-int-value /tuple-pairs-tuple /tuple-dict
/tuple-dict-headers /tuple-response /tuple-response-headers /tuple-one /tuple-four /none
/int /status-204 /status-304 /response /response-content-type /response-status-line
/response-json-mimetype /werkzeug-response /make-response /make-response-status
/make-response-headers /make-response-dict /response-attributes /response-status-setters
/response-vary /response-etag /header-unicode /header-newline /jsonify /jsonify-list
/jsonify-args /jsonify-status /json-dates /json-dataclass /json-decimal-uuid /json-markup
/json-sorted /json-set /json-response-attributes /redirect /redirect-301 /redirect-absolute
/redirect-non-ascii /redirect-url-for /abort-404 /abort-description /abort-response
/abort-redirect /abort-unknown-code /raise-bad-request /return-not-found /raise-value-error
/missing-arg /conflict /app-error /key-error /url-build-error /template-error
/async-generator /sync-generator /generator-status /stream-with-context?a=q /list-iterator
/sync-view /sync-view-json /async-generator-view /sync-generator-view
/args?a=1&a=2&b=%C3%A9&c /args?a=%ff /request/%C3%A9 /contexts /g /convert/5/a/b
/convert/x/a /float/1.5 /float/1 /uuid/00000000-0000-0000-0000-000000000005 /uuid/zz
/strict /strict/ /no-slash/ /lenient /lenient/ /put-only /defaults /defaults/3
/defaults/4 /get-shortcut /post-shortcut /keyword-only/q /default-argument/a /url-for
/fr/home /home /before-answers /after-raises /after-this-request /bp/inner /bp/abort
/bp/nothere /bp/value-error /bp/template /again/where /template /cookies/set /files/f.txt
/files/p.html /files/../x /files/nope.txt /send-file-io /decorated /sync-callable
/partial /lambda /items /items/3 /greeting /ensure-async /copy-context /nothere /%zz
/str?x=%zz /order/plain /order-events?after=plain /order/nested/deep /order-events?after=deep
/order/nested/raises /order-events?after=raises /order/nested/aborts
/order-events?after=aborts /order/nothere /order-events?after=nothere
/http-handler/404 /http-handler/418 /http-handler/599 /handler-raises
/before-aborts /g-in-hooks /session-in-after /head-redirect /template-file
/template-missing /stream-template /return/markup /return/str-subclass
/return/bytes-subclass /return/ordered-dict /return/default-dict /return/list-subclass
/return/args?q=1&q=2&r=3 /jsonify/args?q=1&q=2 /jsonify/keywords?q=1&q=2
/lenient?x=1 /strict?x=1&y=%20
""".split()
REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {f"GET {p}": ("GET", p, {}) for p in GETS}
for method, paths in {
    "HEAD": "/str /dict /async-generator /redirect /nothere /put-only /cookies/set /head-redirect",
    "OPTIONS": "/str /put-only /nothere /data /items",
    "POST": "/str /items",
    "DELETE": "/put-only /data /items/4 /greeting",
    "PUT": "/greeting",
}.items():
    for path in paths.split():
        REQUESTS[f"{method} {path}"] = (method, path, {})
REQUESTS.update(
    {
        "GET /request rich headers": (
            "GET",
            "/request/x%20y?a=1&b=%C3%A9",
            {"headers": RICH_HEADERS},
        ),
        "GET /request Host header": (
            "GET",
            "/request/x",
            {"headers": {"Host": "example.org:8080"}},
        ),
        "GET /request query_string": (
            "GET",
            "/request/x",
            {"query_string": {"q": "1", "r": ["a", "b"]}},
        ),
        "GET /request bearer": ("GET", "/request/x", {"headers": {"Authorization": "Bearer tok"}}),
        "GET /request bad basic": (
            "GET",
            "/request/x",
            {"headers": {"Authorization": "Basic !!!"}},
        ),
        "GET /request https": ("GET", "/request/x", {"scheme": "https"}),
        "GET /request root_path": ("GET", "/request/x", {"root_path": "/root"}),
        "GET /cookies sent": ("GET", "/cookies", {"headers": {"Cookie": 'a=1; b="x y"; c=%20; d'}}),
        "POST /form fields": ("POST", "/form", {"form": {"a": "1", "b": "é"}}),
        "POST /form urlencoded": (
            "POST",
            "/form",
            {
                "data": b"a=1&a=2&b",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
        ),
        "POST /form multipart": (
            "POST",
            "/form",
            {"data": MULTIPART, "headers": {"Content-Type": "multipart/form-data; boundary=B"}},
        ),
        "POST /form multipart cut": (
            "POST",
            "/form",
            {
                "data": b"--B\r\ngarbage",
                "headers": {"Content-Type": "multipart/form-data; boundary=B"},
            },
        ),
        "POST /form no boundary": (
            "POST",
            "/form",
            {"data": b"x", "headers": {"Content-Type": "multipart/form-data"}},
        ),
        "POST /missing-form-field": ("POST", "/missing-form-field", {"form": {"a": "1"}}),
        "POST /json": ("POST", "/json", {"json": {"a": [1, 2]}}),
        "POST /json invalid": (
            "POST",
            "/json",
            {"data": b"{bad", "headers": {"Content-Type": "application/json"}},
        ),
        "POST /json not json": (
            "POST",
            "/json",
            {"data": b"{}", "headers": {"Content-Type": "text/plain"}},
        ),
        "POST /json empty": (
            "POST",
            "/json",
            {"data": b"", "headers": {"Content-Type": "application/json"}},
        ),
        "POST /json not utf-8": (
            "POST",
            "/json",
            {"data": b"\xff\xfe", "headers": {"Content-Type": "application/json"}},
        ),
        "POST /json +json type": (
            "POST",
            "/json",
            {"data": b"1", "headers": {"Content-Type": "application/vnd.api+json"}},
        ),
        "POST /json-silent invalid": (
            "POST",
            "/json-silent",
            {"data": b"{bad", "headers": {"Content-Type": "application/json"}},
        ),
        "POST /json-force": (
            "POST",
            "/json-force",
            {"data": b"[1]", "headers": {"Content-Type": "text/plain"}},
        ),
        "POST /data": ("POST", "/data", {"data": b"abc"}),
        "POST /body/chunks": ("POST", "/body/chunks", {"data": b"y" * 900}),
        "POST /body/text": ("POST", "/body/text", {"data": "é".encode()}),
        "POST /body/json-twice": ("POST", "/body/json-twice", {"json": {"a": 1}}),
        "POST /body/file-save": (
            "POST",
            "/body/file-save",
            {"data": MULTIPART, "headers": {"Content-Type": "multipart/form-data; boundary=B"}},
        ),
        "POST /body-limit within": ("POST", "/body-limit", {"data": b"x" * 1000}),
        "POST /body-limit over": ("POST", "/body-limit", {"data": b"x" * 1001}),
        "PUT /data typed": (
            "PUT",
            "/data",
            {"data": b"abc", "headers": {"Content-Type": "text/plain; charset=utf-8"}},
        ),
        "POST /values": ("POST", "/values?q=1", {"form": {"f": "2"}}),
        "GET /response-etag match": (
            "GET",
            "/response-etag",
            {"headers": {"If-None-Match": '"abc"'}},
        ),
        "GET /response-etag weak match": (
            "GET",
            "/response-etag",
            {"headers": {"If-None-Match": 'W/"abc"'}},
        ),
        "GET /response-etag if-match": (
            "GET",
            "/response-etag",
            {"headers": {"If-Match": '"zzz"'}},
        ),
        "GET /response-etag range": ("GET", "/response-etag", {"headers": {"Range": "bytes=1-2"}}),
        "GET /response-etag bad range": (
            "GET",
            "/response-etag",
            {"headers": {"Range": "bytes=9-20"}},
        ),
        "GET /files range": ("GET", "/files/f.txt", {"headers": {"Range": "bytes=2-4"}}),
        "GET /files reversed range": ("GET", "/files/f.txt", {"headers": {"Range": "bytes=5-1"}}),
        "GET /response-etag reversed range": (
            "GET",
            "/response-etag",
            {"headers": {"Range": "bytes=5-1"}},
        ),
        "GET /files suffix range": ("GET", "/files/f.txt", {"headers": {"Range": "bytes=-3"}}),
        "GET /files two ranges": ("GET", "/files/f.txt", {"headers": {"Range": "bytes=0-1,3-4"}}),
        "GET /files other unit": ("GET", "/files/f.txt", {"headers": {"Range": "items=0-1"}}),
        "GET /files range past the end": (
            "GET",
            "/files/f.txt",
            {"headers": {"Range": "bytes=20-30"}},
        ),
    }
)
#: What httpx's HTTP/2 client cannot read, whoever serves it: it checks the
#: ``Content-Length`` of a HEAD answer and of a 304 against their (absent) body.
HTTP2_CLIENT_FAILS = {
    case_id
    for case_id, (method, path, _options) in REQUESTS.items()
    if method == "HEAD" or path == "/status-304"
}
FLOWS: dict[str, list[str]] = {
    "session set then read": ["/session/set", "/session"],
    "permanent session, cleared": ["/session/permanent", "/session", "/session/clear", "/session"],
    "flashes": ["/flash", "/flashes", "/flashes"],
}
#: The step of a conversation where the client closes the connection (code 1000).
CLOSE = "<close>"
#: ``{case id: (path, steps)}``: each step sends its message, receives (None) or closes
#: (:data:`CLOSE`).
WEBSOCKETS: dict[str, tuple[str, list[Any]]] = {
    "websocket echo": ("/ws/echo", ["a", None, b"b", None, CLOSE]),
    "websocket json": ("/ws/json?x=1", ['{"a": 1}', None, None]),
    "websocket json invalid": ("/ws/json", ["{bad", None]),
    "websocket info": ("/ws/info?q=2", [None, None]),
    "websocket rejected": ("/ws/reject", [None]),
    "websocket aborted": ("/ws/abort", [None]),
    "websocket closed by the app": ("/ws/close", [None]),
    "websocket no route": ("/ws/none", [None]),
    "websocket feed": ("/live/feed/2", [None, None, None]),
    "websocket accept headers": ("/live/headers?a=1&a=2&b=3", [None]),
    "websocket handler raises": ("/live/raises", ["x", None]),
    "websocket HTTP route": ("/str", [None]),
}


#: Requests whose client leaves while the view waits (or its streamed body is sent):
#: ``(method, path, raw extra head and body, the event that ends the wait)`` sent over a
#: raw socket, closed once the view says it waits.
DEPARTURES = {
    "depart GET": ("GET", "/depart/wait", b"\r\n", "teardown"),
    "depart POST": ("POST", "/depart/wait", b"Content-Length: 5\r\n\r\nhello", "teardown"),
    "depart stream": ("GET", "/depart/stream", b"\r\n", "stream ended"),
}
