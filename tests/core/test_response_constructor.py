"""``Response(...)``'s constructor against werkzeug's general path, argument shape by shape.

The constructor builds the common arguments (str/bytes bodies, int statuses, headers as a
dict, a list of pairs or a ``Headers``) without werkzeug's ``Headers`` machinery. Whatever
it is given, the response must be the one werkzeug's ``Response.__init__`` followed by
``set_data`` makes: :func:`reference` is that general path, written out here, and every
argument shape below is built both ways and compared on everything a user can observe.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from functools import partial
from http import HTTPStatus
from typing import Any

import pytest
from erlen import Erlen, Response, abort, jsonify, make_response, redirect
from erlen.wrappers.headers import ResponseHeaders
from markupsafe import Markup, escape
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.sansio.response import Response as SansIOResponse


def reference(
    cls: type[Response],
    response: Any = None,
    status: Any = None,
    headers: Any = None,
    mimetype: Any = None,
    content_type: Any = None,
) -> Response:
    """The response werkzeug's general path builds (what Response.__init__ did before
    it had a path of its own for the common arguments)."""
    rv = object.__new__(cls)
    # werkzeug's constructor, with its status setter (Response has one of its own)
    SansIOResponse.__init__(rv, cls.default_status, headers, mimetype, content_type)
    rv._status, rv._status_code = rv._clean_status(cls.default_status if status is None else status)
    rv.timeout = ...
    rv._is_data = True
    if response is None:  # no Content-Length until a body is set (Quart's rule)
        rv.response = []
    elif isinstance(response, (str, bytes, bytearray, memoryview)):
        rv.set_data(response if isinstance(response, (str, bytes)) else bytes(response))
    else:
        rv._is_data = False
        rv.response = response
    return rv


def observed(build: Any) -> Any:
    """Everything a user can see of the response ``build()`` makes (or of its error)."""
    try:
        rv = build()
    except Exception as exc:  # the same error, with the same message
        return ("raised", type(exc), str(exc))
    headers = rv.headers
    return (
        type(rv),
        rv.status,
        rv.status_code,
        [(k, v, type(k), type(v)) for k, v in headers],
        isinstance(headers, Headers),
        rv.response if rv._is_data else id(rv._response),  # the iterable as given
        rv.is_streamed,
        rv.timeout,
        rv.mimetype,
        rv.content_type,
        rv.content_length,
        rv.mimetype_params,
        repr(rv),
    )


class Text(str):
    pass


class MyHeaders(Headers):
    """A Headers subclass with its own ``__setitem__``: it must be called."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, f"{value}!" if key == "Content-Type" else value)


async def chunks() -> Any:
    yield b"a"


ASYNC_BODY = chunks()
LIST_BODY = [b"a", b"b"]

BODIES = [None, "", "hello", "héllo ✓", Text("sub"), b"", b"bytes", bytearray(b"ba"),
          memoryview(b"mv"), LIST_BODY, ASYNC_BODY]  # fmt: skip
STATUSES = [None, 200, 201, 204, 302, 404, 418, 500, 599, 999, 0, True, HTTPStatus.CREATED,
            "201", "201 CREATED", "299 Custom Thing", "  404 Not Found ", "Only Words", "",
            "abc def", 201.0]  # fmt: skip


def header_shapes() -> list[Any]:
    """Fresh header arguments (a new object per call: some are changed by the build)."""
    return [
        None,
        {},
        [],
        (),
        Headers(),
        {"X-Tag": "1"},
        {"X-Tag": "1", "X-Other": "two"},
        [("X-Tag", "1"), ("x-tag", "2")],
        (("X-Tag", "1"),),
        {"X-Num": 7, "X-None": None},
        {"X-List": ["a", "b"], "X-Tuple": ("c",), "X-Set": {"d"}},
        [("X-List", ["a", "b"])],
        {"Content-Type": "text/plain"},
        {"content-type": "application/json", "CONTENT-TYPE": "text/csv"},
        [("Content-Length", "99"), ("X", "y"), ("content-length", "1")],
        {"X-Tab": "a\tb", "X-Latin": "é", "X-Nul": "\x00", "X-Del": "\x7f"},
        {"X-Bytes": b"raw"},
        {"X-Bad": "a\nb"},
        [("X-Bad", "a\rb")],
        {"X-Bad": ["ok", "not\nok"]},
        {1: "int key"},
        [(b"Bytes-Key", "v")],
        {"X-Str-Sub": Text("v")},
        Headers([("X-Tag", "1"), ("Content-Type", "text/csv")]),
        ResponseHeaders([("X-Tag", "1")]),
        MyHeaders([("X-Tag", "1")]),
        MultiDict([("X-Tag", "1"), ("X-Tag", "2")]),
        OrderedDict([("X-Tag", "1")]),
        iter([("X-Tag", "1")]),
        [("only-one",)],
        [("a", "b", "c")],
        ["ab"],
    ]


MIMETYPES = [None, "text/plain", "text/html", "application/json", "image/png",
             "application/xml", "image/svg+xml", "application/javascript",
             "text/plain; charset=latin-1", "bad\r\nInjected: 1"]  # fmt: skip
CONTENT_TYPES = [None, "text/csv", "application/octet-stream", "text/plain; charset=latin-1",
                 "bad\nInjected: 1", 7]  # fmt: skip


class JSONResponse(Response):
    default_mimetype = "application/json"


class Created(Response):
    default_status = 201


class NoLength(Response):
    automatically_set_content_length = False


class NoMimetype(Response):
    default_mimetype = None


class OwnInit(Response):
    def __init__(self, response: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(response, *args, **kwargs)
        self.headers["X-Own"] = "1"


class OwnSetData(Response):
    def set_data(self, data: Any) -> None:
        super().set_data(data.upper() if isinstance(data, str) else data)


class OwnStatus(Response):
    def _clean_status(self, value: Any) -> tuple[str, int]:
        status, code = super()._clean_status(value)
        return status.title(), code


class TimeoutClass(Response):
    timeout = 30.0


CLASSES = [Response, JSONResponse, Created, NoLength, NoMimetype, OwnInit, OwnSetData,
           OwnStatus, TimeoutClass]  # fmt: skip


def same(cls: type[Response], *args: Any, **kwargs: Any) -> None:
    """``cls(*args)`` and the general path give the same response; ``headers``
    arguments are built fresh for each side and end up changed the same way."""
    index = kwargs.pop("headers_index", None)

    def args_for() -> tuple[tuple[Any, ...], dict[str, Any]]:
        if index is None:
            return args, kwargs
        fresh = header_shapes()[index]
        return args, {**kwargs, "headers": fresh}

    given_a = args_for()
    given_b = args_for()
    if cls in (OwnInit,):  # its own __init__ runs on top of the constructor, both ways
        built = observed(lambda: cls(*given_a[0], **given_a[1]))
        rv_ref = observed(lambda: _own_init_reference(*given_b[0], **given_b[1]))
    else:
        built = observed(lambda: cls(*given_a[0], **given_a[1]))
        rv_ref = observed(lambda: reference(cls, *given_b[0], **given_b[1]))
    assert built == rv_ref, (cls, args, kwargs)
    headers_a, headers_b = given_a[1].get("headers"), given_b[1].get("headers")
    if isinstance(headers_a, (Headers, dict, list)):  # what became of the caller's object
        assert type(headers_a) is type(headers_b)
        assert list(headers_a.items() if isinstance(headers_a, dict) else headers_a) == list(
            headers_b.items() if isinstance(headers_b, dict) else headers_b
        )


def _own_init_reference(*args: Any, **kwargs: Any) -> Response:
    rv = reference(OwnInit, *args, **kwargs)
    rv.headers["X-Own"] = "1"
    return rv


@pytest.mark.parametrize("body", range(len(BODIES)))
def test_bodies_statuses_and_headers_match_the_general_path(body: int) -> None:
    for status, index in itertools.product(STATUSES, range(len(header_shapes()))):
        same(Response, BODIES[body], status, headers_index=index)


@pytest.mark.parametrize("cls", CLASSES)
def test_headers_mimetypes_and_content_types_match_for_every_class(cls: type[Response]) -> None:
    for index, mimetype, content_type in itertools.product(
        range(len(header_shapes())), MIMETYPES, CONTENT_TYPES
    ):
        same(cls, "body", headers_index=index, mimetype=mimetype, content_type=content_type)


@pytest.mark.parametrize("cls", CLASSES)
def test_bodies_and_statuses_match_for_every_class(cls: type[Response]) -> None:
    for body, status in itertools.product(BODIES, STATUSES):
        same(cls, body, status)
        same(cls, body, status, {"X-Tag": "1"}, "text/plain")


def test_keyword_arguments_match() -> None:
    same(Response, response="x", status=201, headers={"X": "1"}, content_type="text/csv")
    same(Response, status=404)
    same(Response)


def test_a_headers_object_is_the_responses_own_and_gets_the_body_headers() -> None:
    given = Headers([("X-Tag", "1")])
    rv = Response("hello", 201, given)
    assert rv.headers is given
    assert list(given) == [
        ("X-Tag", "1"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "5"),
    ]


def test_a_dict_or_list_of_headers_is_copied_not_changed() -> None:
    as_dict = {"X-Tag": "1"}
    as_list = [("X-Tag", "1")]
    Response("hello", headers=as_dict)
    Response("hello", headers=as_list)
    assert as_dict == {"X-Tag": "1"}
    assert as_list == [("X-Tag", "1")]


@pytest.mark.parametrize(
    "headers",
    [{"X": "a\r\nSet-Cookie: evil=1"}, [("X", "a\nb")], {"X": ["ok", "\r"]}],
)
def test_a_header_value_with_a_newline_is_refused(headers: Any) -> None:
    with pytest.raises(ValueError, match="newline"):
        Response("x", headers=headers)


@pytest.mark.parametrize(
    "kwargs", [{"mimetype": "text/plain\r\nX: 1"}, {"content_type": "text/plain\nX: 1"}]
)
def test_a_content_type_with_a_newline_is_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="newline"):
        Response("x", **kwargs)


def test_the_headers_of_a_built_response_still_validate_and_compare() -> None:
    rv = Response("hello", 201, {"X-Tag": "1"})
    rv.headers["X-After"] = "2"
    with pytest.raises(ValueError):
        rv.headers["X-Bad"] = "a\nb"
    expected = Headers(
        [
            ("X-Tag", "1"),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", "5"),
            ("X-After", "2"),
        ]
    )
    assert rv.headers == expected
    assert expected == rv.headers


def set_status(response: Response, name: str, status: Any) -> Any:
    return observed(lambda: setattr(response, name, status) or response)


def test_status_setters_match_werkzeug() -> None:
    werkzeug_status = SansIOResponse.status.fset  # werkzeug's own setter
    assert werkzeug_status is not None
    for cls in CLASSES:
        for status in STATUSES[1:]:
            theirs = _own_init_reference() if cls is OwnInit else reference(cls)
            expected = observed(partial(lambda r, s: werkzeug_status(r, s) or r, theirs, status))
            assert set_status(cls(), "status", status) == expected
            if not isinstance(status, str):
                assert set_status(cls(), "status_code", status) == expected


def test_a_class_changed_after_it_was_defined_is_followed() -> None:
    class Later(Response):
        pass

    Later.default_mimetype = "application/json"
    Later.default_status = 202
    Later.automatically_set_content_length = False
    same(Later, "x")
    same(Later, b"x", None, {"X": "1"})


def test_the_old_alternate_constructors_are_the_constructor() -> None:
    assert observed(lambda: Response._of_bytes(b"x")) == observed(lambda: Response(b"x"))
    assert observed(lambda: Response._of_bytes(b"{}", "application/json")) == observed(
        lambda: Response(b"{}", mimetype="application/json")
    )
    plain = Response._plain_content_type("text/plain")
    assert plain == "text/plain; charset=utf-8"
    assert observed(lambda: Response._plain(b"x", plain)) == observed(
        lambda: Response(b"x", mimetype="text/plain")
    )


# --- every way a view makes a response, through the test client -------------------------


@pytest.fixture
def app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/tuple3")
    async def tuple3() -> Any:
        return "made", 201, {"X-Tag": "1"}

    @app.route("/tuple-headers")
    async def tuple_headers() -> Any:
        return "hello", [("X-Tag", "1"), ("X-Tag", "2")]

    @app.route("/tuple-headers-object")
    async def tuple_headers_object() -> Any:
        return b"bytes", Headers({"Content-Type": "text/plain"})

    @app.route("/tuple-status")
    async def tuple_status() -> Any:
        return "gone", "410 Gone For Good"

    @app.route("/injection")
    async def injection() -> Any:
        return "x", {"X-Tag": "a\r\nSet-Cookie: evil=1"}

    @app.route("/json201")
    async def json201() -> Any:
        return jsonify(made=True), 201, {"Location": "/things/1"}

    @app.route("/redirect")
    async def go() -> Any:
        return redirect("/elsewhere?a=1&b=é", 303)

    @app.route("/made")
    async def made() -> Any:
        return await make_response("made", 202, {"X-Made": "1"})

    @app.route("/abort")
    async def aborting() -> Any:
        abort(404)

    @app.route("/teapot")
    async def teapot() -> Any:
        abort(418)

    @app.errorhandler(404)
    async def not_found(error: Any) -> Any:
        return "not here", 404, {"X-Handled": "1"}

    return app


async def test_a_three_tuple_sets_body_status_and_headers(app: Erlen) -> None:
    response = await app.test_client().get("/tuple3")
    assert response.status_code == 201
    assert await response.get_data() == b"made"
    assert response.headers["X-Tag"] == "1"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Length"] == "4"


async def test_a_headers_tuple_keeps_repeated_headers(app: Erlen) -> None:
    response = await app.test_client().get("/tuple-headers")
    assert response.status_code == 200
    assert response.headers.getlist("X-Tag") == ["1", "2"]


async def test_a_headers_object_sets_the_content_type(app: Erlen) -> None:
    response = await app.test_client().get("/tuple-headers-object")
    assert response.headers["Content-Type"] == "text/plain"
    assert await response.get_data() == b"bytes"


async def test_a_status_string_is_sent_as_its_code(app: Erlen) -> None:
    response = await app.test_client().get("/tuple-status")
    assert response.status_code == 410


async def test_a_header_injection_is_a_500_not_a_second_header(app: Erlen) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = await app.test_client().get("/injection")
    assert response.status_code == 500
    assert "Set-Cookie" not in response.headers


async def test_jsonify_with_a_status_and_headers(app: Erlen) -> None:
    response = await app.test_client().get("/json201")
    assert response.status_code == 201
    assert response.headers["Location"] == "/things/1"
    assert response.headers["Content-Type"] == "application/json"
    assert await response.get_json() == {"made": True}


async def test_redirect_sets_the_location_and_the_page(app: Erlen) -> None:
    response = await app.test_client().get("/redirect")
    assert response.status_code == 303
    assert response.headers["Location"] == "/elsewhere?a=1&b=%C3%A9"
    assert b"/elsewhere?a=1&amp;b=%C3%A9" in await response.get_data()


async def test_make_response_with_status_and_headers(app: Erlen) -> None:
    response = await app.test_client().get("/made")
    assert response.status_code == 202
    assert response.headers["X-Made"] == "1"


async def test_an_abort_handled_by_an_errorhandler(app: Erlen) -> None:
    response = await app.test_client().get("/abort")
    assert response.status_code == 404
    assert response.headers["X-Handled"] == "1"
    assert await response.get_data() == b"not here"


async def test_an_unhandled_abort_is_werkzeugs_error_page(app: Erlen) -> None:
    response = await app.test_client().get("/teapot")
    assert response.status_code == 418
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    body = await response.get_data()
    assert b"This server is a teapot" in body
    assert response.headers["Content-Length"] == str(len(body))


UPDATES = [
    {"X-New": "1"},
    {"x-tag": "2", "X-New": 3},
    {"Content-Type": "text/plain", "X-List": ["a", "b"], "X-Set": {"c"}, "X-Empty": []},
    [("X-Tag", "2"), ("x-tag", "3")],
    (("X-New", "1"),),
    [(1, "int name")],
    {"X-Bad": "a\nb"},
    {"X-Bad": ["a", "b\r"]},
    Headers([("X-Tag", "h")]),
    MultiDict([("X-Tag", "m1"), ("X-Tag", "m2")]),
    OrderedDict([("X-Tag", "o")]),
    None,
]


@pytest.mark.parametrize("update", range(len(UPDATES)))
def test_headers_update_matches_werkzeug(update: int) -> None:
    items = [("X-Tag", "1"), ("Content-Type", "text/html"), ("x-TAG", "0")]

    def run(headers: Headers, **kwargs: Any) -> Any:
        try:
            headers.update(UPDATES[update], **kwargs)
        except Exception as exc:
            return ("raised", type(exc), str(exc))
        return [(k, v, type(v)) for k, v in headers]

    assert run(ResponseHeaders(items)) == run(Headers(items))
    assert run(ResponseHeaders(items), X_Kw="k") == run(Headers(items), X_Kw="k")


@pytest.mark.parametrize(
    ("location", "uri", "shown"),
    [
        ("/plain", "/plain", "/plain"),
        ("/é?x=<1>&y='2'", "/%C3%A9?x=%3C1%3E&y='2'", "/é?x=&lt;1&gt;&amp;y=&#39;2&#39;"),
        (Markup("/<b>"), "/%3Cb%3E", "/<b>"),  # Markup: shown as it is, trusted
    ],
)
async def test_redirect_pages_are_the_same_every_time(location: str, uri: str, shown: str) -> None:
    for _ in range(2):  # built, then found again
        response = redirect(location, 307)
        assert response.status_code == 307
        assert response.headers["Location"] == uri
        body = await response.get_data(as_text=True)
        assert f'<a href="{escape(uri)}">{shown}</a>. If not, click the link.\n' in body
        assert body.startswith("<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>")


async def test_a_status_code_property_of_its_own_is_what_is_sent() -> None:
    """The send step reads ``_status_code`` only for a class keeping werkzeug's property."""

    class Teapot(Response):
        @property
        def status_code(self) -> int:
            return 418

        @status_code.setter
        def status_code(self, value: int) -> None:
            self.status = value

    app = Erlen(__name__)
    app.response_class = Teapot

    @app.route("/")
    async def index() -> Any:
        return {"a": 1}

    response = await app.test_client().get("/")
    assert response.status_code == 418
    assert await response.get_json() == {"a": 1}
