"""The request-building helpers of ``erlen.testing`` (Quart's ``quart.testing`` functions):
the scope, the default headers and the body encodings, as Quart builds them."""

from __future__ import annotations

from io import BytesIO

import pytest
from erlen import Erlen
from erlen.datastructures import FileStorage
from erlen.testing import (
    make_test_body_with_headers,
    make_test_headers_path_and_query_string,
    make_test_scope,
)
from werkzeug.datastructures import Headers, MultiDict


def test_the_scope_is_the_plain_asgi_dict() -> None:
    scope = make_test_scope(
        "http", "/a b/é", "POST", Headers({"X-Token": "t"}), b"q=1", "https", "", "1.1", None
    )
    assert scope == {
        "type": "http",
        "http_version": "1.1",
        "asgi": {"spec_version": "2.1"},
        "method": "POST",
        "scheme": "https",
        "path": "/a b/é",
        "raw_path": b"/a%20b/%C3%A9",
        "query_string": b"q=1",
        "root_path": "",
        "headers": [(b"x-token", b"t")],
        "extensions": {},
        "_quart._preserve_context": False,
    }


def test_scope_base_adds_to_the_scope_and_extensions_follow_the_protocol() -> None:
    scope = make_test_scope(
        "http", "/", "GET", Headers(), b"", "http", "", "2", {"client": ("10.0.0.9", 4321)}
    )
    assert scope["client"] == ("10.0.0.9", 4321)
    assert scope["extensions"] == {"http.response.push": {}}  # HTTP/2 offers server push
    websocket = make_test_scope("websocket", "/ws", "GET", Headers(), b"", "ws", "", "1.1", None)
    assert websocket["extensions"] == {"websocket.http.response": {}}
    assert make_test_scope(
        "http", "/", "GET", Headers(), b"", "http", "", "1.1", None, _preserve_context=True
    )["_quart._preserve_context"]


def test_headers_get_a_user_agent_and_the_host() -> None:
    app = Erlen(__name__)
    headers, path, query = make_test_headers_path_and_query_string(app, "/x%20y?a=1&a=2")
    assert headers == Headers({"User-Agent": "Quart", "Host": "localhost"})
    assert (path, query) == ("/x y", b"a=1&a=2")
    app.config["SERVER_NAME"] = "example.com"
    headers, _path, _query = make_test_headers_path_and_query_string(
        app, "/", {"User-Agent": "bot/1"}, subdomain="api"
    )
    assert (headers["User-Agent"], headers["Host"]) == ("bot/1", "api.example.com")


def test_query_string_argument_and_auth() -> None:
    app = Erlen(__name__)
    headers, _path, query = make_test_headers_path_and_query_string(
        app, "/", None, {"a": ["1", "2"], "b": "é"}, ("ada", "pw")
    )
    assert query == b"a=1&a=2&b=%C3%A9"
    assert headers["Authorization"] == "Basic YWRhOnB3"
    with pytest.raises(ValueError, match="Query string is defined in the path"):
        make_test_headers_path_and_query_string(app, "/?a=1", None, {"b": "2"})


def test_json_keeps_the_callers_key_order_and_spacing_outside_an_app() -> None:
    body, headers = make_test_body_with_headers(json={"b": 1, "a": [2, 3]})
    assert body == b'{"b": 1, "a": [2, 3]}'
    assert headers == Headers({"Content-Type": "application/json"})


async def test_json_uses_the_apps_provider_inside_an_app_context() -> None:
    app = Erlen(__name__)
    async with app.app_context():
        body, _headers = make_test_body_with_headers(json={"b": 1, "a": 2})
    assert body == app.json.dumps({"b": 1, "a": 2}).encode()


@pytest.mark.parametrize(
    "form", [[("x", "1"), ("x", "2"), ("y", "é")], MultiDict([("x", "1"), ("x", "2"), ("y", "é")])]
)
def test_form_takes_pairs_and_multidicts(form: object) -> None:
    body, headers = make_test_body_with_headers(form=form)
    assert body == b"x=1&x=2&y=%C3%A9"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_files_are_multipart_with_a_fixed_boundary() -> None:
    body, headers = make_test_body_with_headers(
        form={"note": "hi"}, files={"doc": FileStorage(BytesIO(b"abc"), filename="a.txt")}
    )
    assert headers["Content-Type"] == "multipart/form-data; boundary=----QuartBoundary"
    assert body == (
        b"\r\n------QuartBoundary\r\n"
        b'Content-Disposition: form-data; name="doc"; filename="a.txt"\r\n\r\nabc\r\n'
        b"------QuartBoundary\r\n"
        b'Content-Disposition: form-data; name="note"\r\n\r\nhi\r\n'
        b"------QuartBoundary--\r\n"
    )


def test_data_and_the_exclusive_arguments() -> None:
    assert make_test_body_with_headers(data="é") == ("é".encode(), Headers())
    assert make_test_body_with_headers(data=b"raw") == (b"raw", Headers())
    assert make_test_body_with_headers() == (b"", Headers())
    with pytest.raises(ValueError, match="mutually exclusive"):
        make_test_body_with_headers(json={}, form={})
    with pytest.raises(ValueError, match="mutually exclusive"):
        make_test_body_with_headers(data="x", files={})
