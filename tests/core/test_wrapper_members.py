"""API parity: the members of Quart's ``Request``, ``Response`` and ``Websocket`` exist on
Erlen's, and the ones a view calls behave as in Quart."""

from __future__ import annotations

import asyncio
import inspect
import io
import json as stdlib_json
from pathlib import Path
from typing import Any

import pytest
from erlen import Erlen, Request, Response, request
from erlen.formparser import FormDataParser
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest

# Members shared by Quart's Request and Websocket (werkzeug's sansio request + Quart's base).
QUART_BASE_MEMBERS = """
accept_charsets accept_encodings accept_languages accept_mimetypes
access_control_request_headers access_control_request_method access_route args
authorization base_url blueprint blueprints cache_control content_encoding content_length
content_md5 content_type cookies date dict_storage_class endpoint full_path headers host
host_url http_version if_match if_modified_since if_none_match if_range if_unmodified_since
is_json is_secure json_module list_storage_class max_forwards method mimetype
mimetype_params origin parameter_storage_class path pragma query_string range referrer
remote_addr root_path root_url routing_exception scheme scope script_root trusted_hosts url
url_root url_rule user_agent user_agent_class view_args
""".split()

QUART_REQUEST_MEMBERS = (
    QUART_BASE_MEMBERS
    + """
body body_class body_timeout close data files form form_data_parser_class get_data
get_json json lock_class make_form_data_parser max_content_length max_form_memory_size
max_form_parts on_json_loading_failed send_push_promise server stream values
""".split()
)

QUART_WEBSOCKET_MEMBERS = (
    QUART_BASE_MEMBERS
    + """
accept close receive receive_json requested_subprotocols send send_json
""".split()
)

QUART_RESPONSE_MEMBERS = """
accept_ranges access_control_allow_credentials access_control_allow_headers
access_control_allow_methods access_control_allow_origin access_control_expose_headers
access_control_max_age add_etag age allow automatically_set_content_length cache_control
content_encoding content_language content_length content_location content_md5
content_range content_security_policy content_security_policy_report_only content_type
cross_origin_embedder_policy cross_origin_opener_policy data data_body_class date
default_mimetype default_status delete_cookie expires file_body_class freeze get_data
get_etag get_json headers implicit_sequence_conversion io_body_class is_json iter_encode
iterable_body_class json json_module last_modified location make_conditional
make_sequence max_cookie_size mimetype mimetype_params response retry_after set_cookie
set_data set_etag status status_code timeout vary www_authenticate
""".split()

QUART_RESPONSE_ASYNC = "add_etag freeze get_data get_json make_conditional make_sequence"
QUART_REQUEST_ASYNC = "close get_data get_json send_push_promise"
QUART_WEBSOCKET_ASYNC = "accept close receive receive_json send send_json"


@pytest.fixture
def app() -> Erlen:
    return Erlen(__name__)


@pytest.fixture
async def live_request(app: Erlen) -> Any:
    async with app.test_request_context("/path?x=1", method="POST", data=b"body"):
        yield request._get_current_object()


@pytest.mark.parametrize("name", sorted(set(QUART_REQUEST_MEMBERS)))
async def test_quart_request_member_exists(live_request: Request, name: str) -> None:
    # dir(), not hasattr(): reading an awaitable property would leave a coroutine behind.
    assert name in dir(live_request), f"Request lacks Quart's member {name!r}"


@pytest.mark.parametrize("name", sorted(QUART_RESPONSE_MEMBERS))
def test_quart_response_member_exists(name: str) -> None:
    assert name in dir(Response("x")), f"Response lacks Quart's member {name!r}"


def test_async_wrapper_methods() -> None:
    for name in QUART_RESPONSE_ASYNC.split():
        assert inspect.iscoroutinefunction(getattr(Response, name)), name
    for name in QUART_REQUEST_ASYNC.split():
        assert inspect.iscoroutinefunction(getattr(Request, name)), name


def test_signatures_match_quart() -> None:
    def params(func: Any) -> list[tuple[str, Any]]:
        return [(p.name, p.default) for p in inspect.signature(func).parameters.values()][1:]

    empty = inspect.Parameter.empty
    assert params(Request.get_data) == [
        ("cache", True),
        ("as_text", False),
        ("parse_form_data", False),
    ]
    assert params(Request.get_json) == [("force", False), ("silent", False), ("cache", True)]
    assert params(Response.get_json) == [("force", False), ("silent", False)]
    assert params(Response.get_data) == [("as_text", False)]
    assert params(Response.add_etag) == [("overwrite", False), ("weak", False)]
    assert params(Response.make_conditional) == [
        ("request", empty),
        ("accept_ranges", False),
        ("complete_length", None),
    ]
    assert params(Response.__init__) == [
        ("response", None),
        ("status", None),
        ("headers", None),
        ("mimetype", None),
        ("content_type", None),
    ]


def test_websocket_members() -> None:
    # erlen.Websocket comes from the websocket plugin (imported lazily).
    from erlen import Websocket

    for name in QUART_WEBSOCKET_MEMBERS:
        assert name in dir(Websocket) or name in {
            "headers",
            "http_version",
            "method",
            "path",
            "query_string",
            "remote_addr",
            "root_path",
            "scheme",
            "scope",
        }, f"Websocket lacks Quart's member {name!r}"
    for name in QUART_WEBSOCKET_ASYNC.split():
        assert inspect.iscoroutinefunction(getattr(Websocket, name)) or name == "accept", name
    accept = inspect.signature(Websocket.accept).parameters
    assert [(p, accept[p].default) for p in list(accept)[1:]] == [
        ("headers", None),
        ("subprotocol", None),
    ]
    close = inspect.signature(Websocket.close).parameters
    assert [(p, close[p].default) for p in list(close)[1:]] == [
        ("code", inspect.Parameter.empty),
        ("reason", ""),
    ]


# --- Request behaviour --------------------------------------------------------------------


async def test_request_url_parts(app: Erlen) -> None:
    @app.route("/items/<int:item>")
    async def item(item: int) -> dict[str, Any]:
        return {
            "url": request.url,
            "base_url": request.base_url,
            "full_path": request.full_path,
            "host_url": request.host_url,
            "url_root": request.url_root,
            "script_root": request.script_root,
            "endpoint": request.endpoint,
            "view_args": request.view_args,
            "rule": request.url_rule.rule if request.url_rule else None,
            "is_secure": request.is_secure,
            "http_version": request.http_version,
            "scope_type": request.scope["type"],
        }

    response = await app.test_client().get("/items/3", query_string={"q": "a b"})
    assert await response.get_json() == {
        "url": "http://localhost/items/3?q=a+b",
        "base_url": "http://localhost/items/3",
        "full_path": "/items/3?q=a+b",
        "host_url": "http://localhost/",
        "url_root": "http://localhost/",
        "script_root": "",
        "endpoint": "item",
        "view_args": {"item": 3},
        "rule": "/items/<int:item>",
        "is_secure": False,
        "http_version": "1.1",
        "scope_type": "http",
    }


async def test_request_blueprint_properties(app: Erlen) -> None:
    from erlen import Blueprint

    outer, inner = Blueprint("outer", __name__), Blueprint("inner", __name__)

    @inner.route("/x")
    async def x() -> dict[str, Any]:
        return {"blueprint": request.blueprint, "blueprints": request.blueprints}

    outer.register_blueprint(inner, url_prefix="/in")
    app.register_blueprint(outer, url_prefix="/out")
    response = await app.test_client().get("/out/in/x")
    assert await response.get_json() == {
        "blueprint": "outer.inner",
        "blueprints": ["outer.inner", "outer"],
    }


async def test_request_body_accessors(app: Erlen) -> None:
    @app.post("/echo")
    async def echo() -> dict[str, Any]:
        data = await request.data
        return {
            "same": data == await request.get_data() == await request.body,
            "text": await request.get_data(as_text=True) == data.decode(),
            "data": stdlib_json.loads(data),
            "json": await request.get_json(),
            "json_prop": await request.json,
            "values": dict(await request.values),
        }

    response = await app.test_client().post("/echo?v=1", json={"a": 1})
    assert await response.get_json() == {
        "same": True,
        "text": True,
        "data": {"a": 1},
        "json": {"a": 1},
        "json_prop": {"a": 1},
        "values": {"v": "1"},
    }


async def test_request_form_files_and_parser(app: Erlen) -> None:
    @app.post("/form")
    async def form() -> dict[str, Any]:
        parser = request.make_form_data_parser()
        files = await request.files
        return {
            "parser": type(parser).__name__,
            "limits": [parser.max_form_memory_size, parser.max_form_parts],
            "form": (await request.form).to_dict(),
            "file": files["up"].read().decode(),
        }

    response = await app.test_client().post(
        "/form",
        form={"name": "erlen"},
        files={"up": FileStorage(io.BytesIO(b"uploaded"), filename="up.txt")},
    )
    assert await response.get_json() == {
        "parser": "FormDataParser",
        "limits": [500_000, 1_000],
        "form": {"name": "erlen"},
        "file": "uploaded",
    }


async def test_form_data_parser_class_swap() -> None:
    class CsvParser(FormDataParser):
        async def parse(
            self, body: Any, mimetype: str, content_length: int | None, options: Any = None
        ) -> tuple[Any, Any]:
            if mimetype == "text/csv":
                keys, values = (await body).decode().splitlines()
                pairs = zip(keys.split(","), values.split(","), strict=True)
                return self.cls(pairs), self.cls()
            return await super().parse(body, mimetype, content_length, options)

    class CsvRequest(Request):
        form_data_parser_class = CsvParser

    class MyApp(Erlen):
        request_class = CsvRequest

    app = MyApp(__name__)

    @app.post("/csv")
    async def csv() -> dict[str, Any]:
        return (await request.form).to_dict()  # type: ignore[no-any-return]

    response = await app.test_client().post(
        "/csv", data=b"a,b\n1,2", headers={"Content-Type": "text/csv"}
    )
    assert await response.get_json() == {"a": "1", "b": "2"}
    urlencoded = await app.test_client().post("/csv", form={"k": "v"})
    assert await urlencoded.get_json() == {"k": "v"}


async def test_form_data_parser_directly() -> None:
    from erlen.wrappers.request import Body

    parser = FormDataParser(cls=MultiDict)
    body = Body(11, None)
    body.set_result(b"a=1&a=2&b=3")
    form, files = await parser.parse(body, "application/x-www-form-urlencoded", 11)
    assert isinstance(form, MultiDict) and form.getlist("a") == ["1", "2"]
    assert not files
    empty_form, _ = await FormDataParser().parse(body, "text/plain", 0)
    assert isinstance(empty_form, ImmutableMultiDict) and not empty_form


async def test_request_limits_are_settable(live_request: Request) -> None:
    assert live_request.max_content_length == 16 * 1024 * 1024
    live_request.max_content_length = 10
    live_request.max_form_memory_size = 5
    live_request.max_form_parts = 2
    parser = live_request.make_form_data_parser()
    assert (parser.max_content_length, parser.max_form_memory_size, parser.max_form_parts) == (
        10,
        5,
        2,
    )
    assert live_request.body_timeout == 60
    assert live_request.lock_class is asyncio.Lock


async def test_request_json_errors_and_module(app: Erlen) -> None:
    @app.post("/json")
    async def read_json() -> str:
        return repr(await request.get_json(silent=True))

    @app.post("/strict")
    async def strict() -> str:
        return repr(await request.get_json())

    client = app.test_client()
    bad = {"Content-Type": "application/json"}
    assert await (await client.post("/json", data=b"{", headers=bad)).get_data() == b"None"
    assert (await client.post("/strict", data=b"{", headers=bad)).status_code == 400
    async with app.test_request_context("/"):
        assert request.json_module.loads('{"a": 1}') == {"a": 1}
        with pytest.raises(BadRequest):
            request.on_json_loading_failed(ValueError("bad"))


async def test_request_json_module_swap(app: Erlen) -> None:
    class Tagging:
        @staticmethod
        def loads(data: Any) -> Any:
            return {"tagged": stdlib_json.loads(data)}

    @app.post("/")
    async def index() -> dict[str, Any]:
        request.json_module = Tagging  # type: ignore[misc]
        return await request.get_json()  # type: ignore[no-any-return]

    response = await app.test_client().post("/", json=[1])
    assert await response.get_json() == {"tagged": [1]}


async def test_request_stream_points_to_body(live_request: Request) -> None:
    with pytest.raises(NotImplementedError):
        await live_request.stream


# --- Response behaviour -------------------------------------------------------------------


async def test_response_data_and_json() -> None:
    response = Response("héllo", status=201, headers={"X-A": "1"}, mimetype="text/plain")
    assert (response.status_code, response.headers["X-A"]) == (201, "1")
    assert response.content_type == "text/plain; charset=utf-8"
    assert await response.data == "héllo".encode()
    assert await response.get_data(as_text=True) == "héllo"
    response.data = b"replaced"  # type: ignore[assignment]
    assert response.content_length == 8
    as_json = Response('{"k": [1]}', mimetype="application/json")
    assert await as_json.json == {"k": [1]}
    assert await Response("x").get_json() is None
    assert await Response("x").get_json(force=True, silent=True) is None
    assert Response.json_module.loads("[1]") == [1]


async def test_response_body_classes() -> None:
    streamed = Response(Response.iterable_body_class([b"a", b"b"]))
    assert await streamed.get_data() == b"ab"
    from_io = Response(Response.io_body_class(io.BytesIO(b"x" * 10), buffer_size=4))
    assert [chunk async for chunk in from_io.iter_encode()] == [b"xxxx", b"xxxx", b"xx"]
    data = Response(Response.data_body_class(b"data"))
    assert await data.get_data() == b"data"


async def test_response_file_body_class_served(app: Erlen, tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")

    @app.route("/file")
    async def file() -> Response:
        return app.response_class(app.response_class.file_body_class(path))

    response = await app.test_client().get("/file")
    assert await response.get_data() == b"0123456789"


async def test_make_sequence_and_implicit_sequence_conversion() -> None:
    async def gen() -> Any:
        yield b"a"
        yield b"b"

    response = Response(gen())
    await response.make_sequence()
    assert await response.get_data() == b"ab"
    assert await response.get_data() == b"ab"  # kept in memory: readable again

    class OneShot(Response):
        implicit_sequence_conversion = False

    once = OneShot(gen())
    assert await once.get_data() == b"ab"
    assert await once.get_data() == b""  # the stream was consumed, not kept


async def test_response_freeze_etag_and_conditional(app: Erlen) -> None:
    async def gen() -> Any:
        yield b"frozen"

    response = Response(gen())
    await response.freeze()
    assert await response.get_data() == b"frozen"
    await response.add_etag()
    etag, weak = response.get_etag()
    assert etag and not weak
    async with app.test_request_context("/", headers={"If-None-Match": f'"{etag}"'}):
        conditional = await response.make_conditional(request._get_current_object())
    assert conditional.status_code == 304
    ranged = Response(b"0123456789")
    async with app.test_request_context("/", headers={"Range": "bytes=2-4"}):
        await ranged.make_conditional(
            request._get_current_object(), accept_ranges=True, complete_length=10
        )
    assert ranged.status_code == 206
    assert await ranged.get_data() == b"234"


async def test_response_cookies_and_timeout(app: Erlen) -> None:
    response = Response("c")
    response.set_cookie("k", "v", httponly=True)
    response.delete_cookie("gone")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("k=v") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("gone=") and "Max-Age=0" in c for c in cookies)
    assert response.timeout is ...
    async with app.app_context():
        app.config["MAX_COOKIE_SIZE"] = 100
        assert response.max_cookie_size == 100
