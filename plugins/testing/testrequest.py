"""Building made-up requests without I/O: scopes, bodies and test request contexts.

Used by ``app.test_request_context`` (through ``erlen_test_request_context``) and by the
test client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

from erlen.wrappers.request import RequestLimits
from werkzeug.datastructures import Authorization, Headers

if TYPE_CHECKING:
    from erlen import Erlen
    from erlen.ctx import RequestContext

sentinel = object()


def make_test_headers_path_and_query_string(
    app: Erlen,
    path: str,
    headers: Any = None,
    query_string: dict[str, Any] | bytes | str | None = None,
    auth: Authorization | tuple[str, str] | None = None,
    subdomain: str | None = None,
) -> tuple[Headers, str, bytes]:
    """Headers (with Host), path and raw query string for a test request."""
    headers = Headers(headers)
    if auth is not None:
        if isinstance(auth, tuple):
            auth = Authorization("basic", {"username": auth[0], "password": auth[1]})
        headers.setdefault("Authorization", auth.to_header())
    server_name = app.config["SERVER_NAME"] or "localhost"
    if subdomain:
        server_name = f"{subdomain}.{server_name}"
    headers.setdefault("Host", server_name)
    headers.setdefault("User-Agent", "Erlen")
    if "?" in path:
        if query_string is not None:
            raise ValueError("Query string is defined in the path and as an argument")
        path, _, qs = path.partition("?")
        query_bytes = qs.encode("latin-1")
    elif query_string is None:
        query_bytes = b""
    elif isinstance(query_string, bytes):
        query_bytes = query_string
    elif isinstance(query_string, str):
        query_bytes = query_string.encode("latin-1")
    else:
        query_bytes = urlencode(query_string, doseq=True).encode("latin-1")
    # ASGI servers put the percent-decoded path in the scope; so does the test client.
    return headers, unquote(path), query_bytes


def make_test_body_with_headers(
    *,
    data: Any = None,
    form: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
    json: Any = sentinel,
    app: Erlen | None = None,
) -> tuple[bytes, Headers]:
    """Encode one of ``data``, ``form``(+``files``) or ``json`` as a body with its headers."""
    given = sum(x is not None for x in (data, form)) + (json is not sentinel)
    if given > 1 or (files is not None and (data is not None or json is not sentinel)):
        raise ValueError("Test args 'json', 'form'/'files', and 'data' are mutually exclusive")
    headers = Headers()
    if data is not None:
        if isinstance(data, str):
            body = data.encode()
        elif isinstance(data, (bytes, bytearray, memoryview)):
            body = bytes(data)
        else:
            # Flask's client turns a dict into a form; Quart's drops it silently.
            raise TypeError(
                f"data must be str or bytes, not {type(data).__name__}:"
                " pass form=... for form fields, json=... for JSON"
            )
    elif json is not sentinel:
        if app is not None:
            body = app.json.dumps(json).encode()
        else:
            import json as _json

            body = _json.dumps(json).encode()
        headers["Content-Type"] = "application/json"
    elif files is not None:
        body, content_type = _encode_multipart(form or {}, files)
        headers["Content-Type"] = content_type
    elif form is not None:
        body = urlencode(_form_items(form), doseq=True).encode("ascii")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        body = b""
    return body, headers


def _form_items(form: Any) -> list[tuple[str, Any]]:
    items = form.items(multi=True) if hasattr(form, "getlist") else form.items()
    return list(items)


def _encode_multipart(form: Any, files: Any) -> tuple[bytes, str]:
    import secrets

    boundary = f"----ErlenBoundary{secrets.token_hex(8)}"
    parts: list[bytes] = []
    for name, value in _form_items(form):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + str(value).encode()
            + b"\r\n"
        )
    for name, storage in _form_items(files):
        filename = getattr(storage, "filename", None) or name
        content_type = getattr(storage, "content_type", None) or "application/octet-stream"
        stream = getattr(storage, "stream", storage)
        content = stream.read() if hasattr(stream, "read") else bytes(stream)
        if isinstance(content, str):
            content = content.encode()
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}";'
                f' filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


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
) -> dict[str, Any]:
    """An ASGI scope for a test request or websocket."""
    scope: dict[str, Any] = {
        "type": type_,
        "http_version": http_version,
        "asgi": {"spec_version": "2.3", "version": "3.0"},
        "path": path,
        "root_path": root_path,
        "scheme": scheme,
        "query_string": query_string,
        "raw_path": path.encode("utf-8"),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80 if scheme in {"http", "ws"} else 443),
        "extensions": {},
    }
    if type_ == "http":
        scope["method"] = method
        scope["extensions"] = {"http.response.push": {}}
    elif type_ == "websocket":
        scope["extensions"] = {"websocket.http.response": {}}
    if scope_base is not None:
        scope.update(scope_base)
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
    scope = make_test_scope(
        "http", path, method, req_headers, query_bytes, scheme, root_path, http_version, scope_base
    )
    config = app.config
    limits = RequestLimits(
        config["MAX_CONTENT_LENGTH"],
        config["BODY_TIMEOUT"],
        config["MAX_FORM_MEMORY_SIZE"],
        config["MAX_FORM_PARTS"],
    )
    request = app.request_class.from_scope(scope, None, None, limits)
    request.body.set_result(body)
    app.match_request(request)
    return app.request_context(request)
