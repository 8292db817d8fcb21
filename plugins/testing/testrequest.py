"""Building made-up requests without I/O: scopes, bodies and test request contexts.

Used by ``app.test_request_context`` (through ``erlen_test_request_context``) and by the
test client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

from erlen.json import dumps as json_dumps
from erlen.wrappers.request import RequestLimits
from werkzeug.datastructures import Authorization, Headers
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartEncoder, Preamble
from werkzeug.urls import iri_to_uri

if TYPE_CHECKING:
    from erlen import Erlen
    from erlen.ctx import RequestContext

sentinel = object()

#: The ``User-Agent`` of test requests that set none: Quart's, so that tests ported from
#: Quart which check it pass unchanged.
USER_AGENT = "Quart"
#: The multipart boundary of ``files=`` bodies: fixed, as Quart's, so that a test can
#: compare a whole body.
MULTIPART_BOUNDARY = "----QuartBoundary"
#: How much of an uploaded file is read at a time while encoding a ``files=`` body.
_CHUNK = 16384


def make_test_headers_path_and_query_string(
    app: Erlen,
    path: str,
    headers: Any = None,
    query_string: dict[str, Any] | bytes | str | None = None,
    auth: Authorization | tuple[str, str] | None = None,
    subdomain: str | None = None,
) -> tuple[Headers, str, bytes]:
    """The headers, path and raw query string of a test request (Quart's function).

    ``headers`` (a dict, a list of pairs or ``Headers``; copied) get ``Authorization``
    from ``auth`` (a ``(username, password)`` pair is Basic), ``User-Agent`` and ``Host``
    (``SERVER_NAME``, or ``localhost``, under ``subdomain``) unless they have them. The
    query string comes from ``query_string`` (a dict, lists for repeated keys; or raw
    ``bytes``/``str``) or from the part of ``path`` after ``?``, never both
    (``ValueError``). The path is percent-decoded, as ASGI servers put it in the scope.
    """
    headers = Headers(headers)
    if auth is not None:
        if isinstance(auth, tuple):
            auth = Authorization("basic", {"username": auth[0], "password": auth[1]})
        headers.setdefault("Authorization", auth.to_header())
    headers.setdefault("User-Agent", USER_AGENT)
    host = app.config["SERVER_NAME"] or "localhost"
    if subdomain is not None:
        host = f"{subdomain}.{host}"
    headers.setdefault("Host", host)
    if "?" in path and query_string is not None:
        raise ValueError("Query string is defined in the path and as an argument")
    if query_string is None:
        path, _, raw = path.partition("?")
        query_bytes = raw.encode("latin-1")
    elif isinstance(query_string, bytes):
        query_bytes = query_string
    elif isinstance(query_string, str):
        query_bytes = query_string.encode("latin-1")
    else:
        query_bytes = urlencode(query_string, doseq=True).encode("ascii")
    return headers, unquote(path), query_bytes


def make_test_body_with_headers(
    *,
    data: str | bytes | Mapping[str, Any] | None = None,
    form: Any = None,
    files: Any = None,
    json: Any = sentinel,
    app: Erlen | None = None,
) -> tuple[bytes, Headers]:
    """The body of a test request and its ``Content-Type`` (Quart's function).

    One of ``data`` (``str``, UTF-8 encoded, ``bytes``, or a mapping of form fields as
    Flask's client takes it), ``json`` (encoded with the
    current app's JSON provider inside an app context, else ``json.dumps``: the keys in
    the caller's order) or ``form``; ``files`` (name to ``FileStorage``) goes with
    ``form`` as ``multipart/form-data``. ``form`` and ``files`` are a dict, a
    ``MultiDict`` (every value) or a list of pairs (repeated names). ``app`` is accepted
    for Quart's signature; the JSON provider is the current app's, as in Quart.
    """
    if (json is not sentinel) + (form is not None) + (data is not None) > 1:
        raise ValueError("Test args 'json', 'form', and 'data' are mutually exclusive")
    if (json is not sentinel) + (files is not None) + (data is not None) > 1:
        raise ValueError("Test args 'files', 'json', and 'data' are mutually exclusive")
    headers = Headers()
    if data is not None:
        if isinstance(data, str):
            return data.encode("utf-8"), headers
        if isinstance(data, (bytes, bytearray, memoryview)):
            return bytes(data), headers
        if not isinstance(data, Mapping):
            raise TypeError(
                f"data must be str, bytes or a mapping of form fields, not"
                f" {type(data).__name__}: pass form=... for form fields, json=... for JSON"
            )
        # A mapping is form fields, as Flask's client takes it (Quart's sends no body).
        form, data = data, None
    if json is not sentinel:
        headers["Content-Type"] = "application/json"
        return json_dumps(json).encode("utf-8"), headers
    if files is not None:
        headers["Content-Type"] = f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"
        return encode_multipart(form, files, MULTIPART_BOUNDARY), headers
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(_pairs(form), doseq=True).encode("ascii"), headers
    return b"", headers


def _pairs(fields: Any) -> list[tuple[str, Any]]:
    """The ``(name, value)`` pairs of a dict, a ``MultiDict`` (all values) or a list of
    pairs."""
    if fields is None:
        return []
    if hasattr(fields, "getlist"):
        return list(fields.items(multi=True))
    if hasattr(fields, "items"):
        return list(fields.items())
    return [(name, value) for name, value in fields]


def encode_multipart(form: Any, files: Any, boundary: str) -> bytes:
    """A ``multipart/form-data`` body: the files, then the form fields (Quart's order),
    written with werkzeug's multipart encoder."""
    encoder = MultipartEncoder(boundary.encode("ascii"))
    parts = [encoder.send_event(Preamble(data=b""))]
    for name, upload in _pairs(files):
        filename = getattr(upload, "filename", None)
        part_headers = getattr(upload, "headers", None)
        parts.append(
            encoder.send_event(
                File(name=name, filename=filename or name, headers=Headers(part_headers))
            )
        )
        if isinstance(upload, (bytes, bytearray, memoryview)):
            parts.append(encoder.send_event(Data(data=bytes(upload), more_data=True)))
        else:
            chunk = upload.read(_CHUNK)
            while chunk:
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8")
                parts.append(encoder.send_event(Data(data=chunk, more_data=True)))
                chunk = upload.read(_CHUNK)
        parts.append(encoder.send_event(Data(data=b"", more_data=False)))
    for name, value in _pairs(form):
        parts.append(encoder.send_event(Field(name=name, headers=Headers())))
        text = value if isinstance(value, (bytes, bytearray)) else str(value).encode("utf-8")
        parts.append(encoder.send_event(Data(data=bytes(text), more_data=False)))
    parts.append(encoder.send_event(Epilogue(data=b"")))
    return b"".join(parts)


def make_test_scope(
    type_: str,
    path: str,
    method: str,
    headers: Headers,
    query_string: bytes,
    scheme: str,
    root_path: str,
    http_version: str,
    scope_base: dict[str, Any] | None = None,
    *,
    _preserve_context: bool = False,
) -> dict[str, Any]:
    """The ASGI scope of a test request or websocket (Quart's function, the same dict).

    ``path`` is the decoded path (``raw_path`` is its URI form); ``scope_base`` updates
    the scope; an HTTP/2 or HTTP/3 request gets the server-push extension, a websocket
    the HTTP-response extension (refusing a handshake with a response). It has no
    ``client`` or ``server``: the test client adds them.
    """
    scope: dict[str, Any] = {
        "type": type_,
        "http_version": http_version,
        "asgi": {"spec_version": "2.1"},
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": iri_to_uri(path).encode("ascii"),
        "query_string": query_string,
        "root_path": root_path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "extensions": {},
        "_quart._preserve_context": _preserve_context,
    }
    if scope_base is not None:
        scope.update(scope_base)
    if type_ == "http" and http_version in {"2", "3"}:
        scope["extensions"] = {"http.response.push": {}}
    elif type_ == "websocket":
        scope["extensions"] = {"websocket.http.response": {}}
    return scope


def with_peer(scope: dict[str, Any]) -> dict[str, Any]:
    """``scope`` with the ``client`` and ``server`` a local connection has, unless it
    names them: the test client's requests come from ``127.0.0.1`` (``remote_addr``), as
    Flask's do (Quart's scope has no client: ``remote_addr`` is ``"<local>"``)."""
    scope.setdefault("client", ("127.0.0.1", 50000))
    scope.setdefault("server", ("localhost", 80 if scope["scheme"] in {"http", "ws"} else 443))
    return scope


def make_test_request_context(
    app: Erlen,
    path: str,
    *,
    method: str = "GET",
    headers: Any = None,
    query_string: Any = None,
    scheme: str = "http",
    data: Any = None,
    form: Any = None,
    json: Any = sentinel,
    root_path: str = "",
    http_version: str = "1.1",
    scope_base: dict[str, Any] | None = None,
    auth: Any = None,
    subdomain: str | None = None,
    **_: Any,
) -> RequestContext:
    """A request context for a made-up request with a complete body, already matched."""
    req_headers, path, query_bytes = make_test_headers_path_and_query_string(
        app, path, headers, query_string, auth, subdomain
    )
    body, body_headers = make_test_body_with_headers(data=data, form=form, json=json, app=app)
    req_headers.update(body_headers)
    if body:
        req_headers["Content-Length"] = str(len(body))
    # ``path`` is the request's path under ``root_path`` (as Quart's Request takes it);
    # the ASGI scope's path is the full one.
    full_path = root_path.rstrip("/") + path
    scope = make_test_scope(
        "http",
        full_path,
        method,
        req_headers,
        query_bytes,
        scheme,
        root_path,
        http_version,
        scope_base,
    )
    with_peer(scope)
    config = app.config
    limits = RequestLimits(
        config["MAX_CONTENT_LENGTH"],
        config["BODY_TIMEOUT"],
        config["MAX_FORM_MEMORY_SIZE"],
        config["MAX_FORM_PARTS"],
        config["MAX_FORM_TOTAL_MEMORY_SIZE"],
        config["MAX_FORM_PART_HEADERS_SIZE"],
    )
    request = app.request_class.from_scope(scope, None, None, limits)
    # The headers as the test spelled them, as Quart's test_request_context hands them to
    # the request's constructor (a served request's come from the scope, title-cased).
    request.headers = req_headers
    request.body.set_result(body)
    app.match_request(request)
    return app.request_context(request)


async def no_op_push(path: str, headers: Any) -> None:
    """A server-push callback that does nothing (Quart's ``no_op_push``)."""
