"""The app both frameworks serve: one source, run once against Quart and once against
Erlen by :mod:`answers` with the framework's public names as globals (``App`` is
``Quart`` or ``Erlen``; ``MethodViewBase``/``ViewBase`` its ``views`` classes).

Each view is a shape a Quart user writes: every return form, errors and their handlers,
hooks, blueprints, request attributes, forms and JSON, cookies and sessions, redirects,
files, templates, streaming, class-based views, websockets.
"""
# ruff: noqa: F821 (the framework's names are the module's globals)

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime
import decimal
import functools
import io
import os
import tempfile
import uuid
from http import HTTPStatus
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest, Conflict, HTTPException, NotFound
from werkzeug.wrappers import Response as WerkzeugResponse

app = App("oracle")
app.secret_key = "oracle secret"
app.config["MAX_CONTENT_LENGTH"] = 1000
STATIC = tempfile.mkdtemp(prefix="oracle-static-")
with open(os.path.join(STATIC, "f.txt"), "wb") as file:
    file.write(b"0123456789")
with open(os.path.join(STATIC, "p.html"), "wb") as file:
    file.write(b"<p>x</p>")


# --- return forms -----------------------------------------------------------------


@app.route("/str")
async def r_str() -> Any:
    return "hello"


@app.route("/bytes")
async def r_bytes() -> Any:
    return b"\x00\xff"


@app.route("/empty")
async def r_empty() -> Any:
    return ""


@app.route("/unicode")
async def r_unicode() -> Any:
    return "é€😀"


@app.route("/dict")
async def r_dict() -> Any:
    return {"a": 1, "b": [1, 2], "c": None, "d": "é", "B": True}


@app.route("/list")
async def r_list() -> Any:
    return [1, "x", {"y": 2.5}]


@app.route("/tuple-status")
async def r_tuple_status() -> Any:
    return "made", 201


@app.route("/tuple-httpstatus")
async def r_tuple_httpstatus() -> Any:
    return "made", HTTPStatus.ACCEPTED


@app.route("/tuple-status-line")
async def r_tuple_status_line() -> Any:
    return "made", "201 CREATED"


@app.route("/tuple-headers")
async def r_tuple_headers() -> Any:
    return "h", {"X-A": "1"}


@app.route("/tuple-header-pairs")
async def r_tuple_header_pairs() -> Any:
    return "h", [("X-A", "1"), ("X-B", "2")]


@app.route("/tuple-repeated-pairs")
async def r_tuple_repeated_pairs() -> Any:
    return "h", [("X-A", "1"), ("X-A", "2")]


@app.route("/tuple-headers-object")
async def r_tuple_headers_object() -> Any:
    return "h", Headers({"X-H": "1"})


@app.route("/tuple-full")
async def r_tuple_full() -> Any:
    return "h", 202, {"X-A": "1", "Content-Type": "text/csv"}


@app.route("/tuple-content-length")
async def r_tuple_content_length() -> Any:
    return "h", 202, {"Content-Length": "1"}


@app.route("/tuple-list-value")
async def r_tuple_list_value() -> Any:
    return "h", 202, {"X-M": ["a", "b"]}


@app.route("/tuple-int-value")
async def r_tuple_int_value() -> Any:
    return "h", 202, {"X-N": 5}


@app.route("/tuple-pairs-tuple")
async def r_tuple_pairs_tuple() -> Any:
    return "x", 200, (("X-T", "1"),)


@app.route("/tuple-dict")
async def r_tuple_dict() -> Any:
    return {"a": 1}, 201


@app.route("/tuple-dict-headers")
async def r_tuple_dict_headers() -> Any:
    return {"a": 1}, 201, {"X-A": "y"}


@app.route("/tuple-response")
async def r_tuple_response() -> Any:
    return Response("r", 200), 203


@app.route("/tuple-response-headers")
async def r_tuple_response_headers() -> Any:
    return Response("r", headers={"X-A": "old"}), {"X-A": "new", "X-B": "2"}


@app.route("/tuple-one")
async def r_tuple_one() -> Any:
    return ("only",)


@app.route("/tuple-four")
async def r_tuple_four() -> Any:
    return ("a", 200, {}, 1)


@app.route("/none")
async def r_none() -> Any:
    return None


@app.route("/int")
async def r_int() -> Any:
    return 5


@app.route("/status-204")
async def r_status_204() -> Any:
    return "", 204


@app.route("/status-304")
async def r_status_304() -> Any:
    return "body", 304


# --- response objects -----------------------------------------------------------------


@app.route("/response")
async def r_response() -> Any:
    return Response("x", status=418, headers={"X-T": "t"}, mimetype="text/csv")


@app.route("/response-content-type")
async def r_response_content_type() -> Any:
    return Response("x", content_type="application/thing; charset=latin-1")


@app.route("/response-status-line")
async def r_response_status_line() -> Any:
    return Response(b"x", "404 NOPE")


@app.route("/response-json-mimetype")
async def r_response_json_mimetype() -> Any:
    return Response('{"a":1}', mimetype="application/json")


@app.route("/werkzeug-response")
async def r_werkzeug_response() -> Any:
    return WerkzeugResponse("werk", 202, {"X-W": "1"})


@app.route("/make-response")
async def r_make_response() -> Any:
    return await make_response("m")


@app.route("/make-response-status")
async def r_make_response_status() -> Any:
    return await make_response("m", 201)


@app.route("/make-response-headers")
async def r_make_response_headers() -> Any:
    return await make_response("m", 201, {"X-M": "1"})


@app.route("/make-response-dict")
async def r_make_response_dict() -> Any:
    return await make_response({"x": 1})


@app.route("/response-attributes")
async def r_response_attributes() -> Any:
    response = Response("abc")
    return {
        "length": response.content_length,
        "mimetype": response.mimetype,
        "content_type": response.content_type,
        "status": response.status,
        "code": response.status_code,
        "data": await response.get_data(as_text=True),
    }


@app.route("/response-status-setters")
async def r_response_status_setters() -> Any:
    response = Response("x")
    response.status = 404
    first = response.status
    response.status_code = 201
    return {"first": first, "status": response.status, "code": response.status_code}


@app.route("/response-vary")
async def r_response_vary() -> Any:
    response = Response("v")
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-cache"
    response.cache_control.max_age = 5
    return response


@app.route("/response-etag")
async def r_response_etag() -> Any:
    response = Response("etagged")
    response.set_etag("abc")
    return await response.make_conditional(request)


@app.route("/header-unicode")
async def r_header_unicode() -> Any:
    return "x", {"X-U": "é"}


@app.route("/header-newline")
async def r_header_newline() -> Any:
    return "x", {"X-U": "a\nb"}


# --- JSON -------------------------------------------------------------------------


@app.route("/jsonify")
async def r_jsonify() -> Any:
    return jsonify(a=1)


@app.route("/jsonify-list")
async def r_jsonify_list() -> Any:
    return jsonify([1, 2])


@app.route("/jsonify-args")
async def r_jsonify_args() -> Any:
    return jsonify(1, 2)


@app.route("/jsonify-status")
async def r_jsonify_status() -> Any:
    return jsonify({"x": 1}), 201


@app.route("/json-dates")
async def r_json_dates() -> Any:
    return {"d": datetime.datetime(2020, 1, 2, 3, 4, 5), "day": datetime.date(2020, 1, 2)}


@app.route("/json-dataclass")
async def r_json_dataclass() -> Any:
    @dataclasses.dataclass
    class Point:
        x: int

    return {"p": Point(1)}


@app.route("/json-decimal-uuid")
async def r_json_decimal_uuid() -> Any:
    return {"d": decimal.Decimal("1.50"), "u": uuid.UUID(int=5)}


@app.route("/json-markup")
async def r_json_markup() -> Any:
    return {"m": Markup("<b>x</b>")}


@app.route("/json-sorted")
async def r_json_sorted() -> Any:
    return {"b": 1, "a": 2, "C": 3}


@app.route("/json-set")
async def r_json_set() -> Any:
    return {"s": {1, 2}}


@app.route("/json-response-attributes")
async def r_json_response_attributes() -> Any:
    response = jsonify(a=1)
    return {
        "json": await response.get_json(),
        "is_json": response.is_json,
        "mimetype": response.mimetype,
        "length": response.content_length,
    }


# --- redirects and errors -------------------------------------------------------------


@app.route("/redirect")
async def r_redirect() -> Any:
    return redirect("/str")


@app.route("/redirect-301")
async def r_redirect_301() -> Any:
    return redirect("/str", 301)


@app.route("/redirect-absolute")
async def r_redirect_absolute() -> Any:
    return redirect("http://example.com/x?y=1")


@app.route("/redirect-non-ascii")
async def r_redirect_non_ascii() -> Any:
    return redirect("/é x")


@app.route("/redirect-url-for")
async def r_redirect_url_for() -> Any:
    return redirect(url_for("r_strict"))


@app.route("/abort-404")
async def r_abort_404() -> Any:
    abort(404)


@app.route("/abort-description")
async def r_abort_description() -> Any:
    abort(403, description="nope")


@app.route("/abort-response")
async def r_abort_response() -> Any:
    abort(Response("custom", 409))


@app.route("/abort-redirect")
async def r_abort_redirect() -> Any:
    abort(redirect("/strict/"))


@app.route("/abort-unknown-code")
async def r_abort_unknown_code() -> Any:
    abort(599)


@app.route("/raise-bad-request")
async def r_raise_bad_request() -> Any:
    raise BadRequest()


@app.route("/return-not-found")
async def r_return_not_found() -> Any:
    return NotFound()


@app.route("/raise-value-error")
async def r_raise_value_error() -> Any:
    raise ValueError("boom")


@app.route("/missing-arg")
async def r_missing_arg() -> Any:
    return request.args["missing"]


@app.route("/missing-form-field", methods=["POST"])
async def r_missing_form_field() -> Any:
    return (await request.form)["missing"]


@app.errorhandler(409)
async def on_conflict(error: Any) -> Any:
    return {"error": error.description, "code": error.code}, 409


@app.route("/conflict")
async def r_conflict() -> Any:
    raise Conflict("dup")


class AppError(Exception):
    pass


@app.errorhandler(AppError)
async def on_app_error(error: Any) -> Any:
    return "app error", 400


@app.route("/app-error")
async def r_app_error() -> Any:
    raise AppError()


@app.errorhandler(KeyError)
async def on_key_error(error: Any) -> Any:
    return "key " + repr(error.args), 400


@app.route("/key-error")
async def r_key_error() -> Any:
    raise KeyError("k")


@app.route("/url-build-error")
async def r_url_build_error() -> Any:
    return url_for("nope")


@app.route("/template-error")
async def r_template_error() -> Any:
    return await render_template_string("{{ x.y.z }}")


# --- streaming ---------------------------------------------------------------------


@app.route("/async-generator")
async def r_async_generator() -> Any:
    async def chunks() -> Any:
        yield "a"
        yield b"b"

    return chunks()


@app.route("/sync-generator")
async def r_sync_generator() -> Any:
    def chunks() -> Any:
        yield "a"
        yield "b"

    return chunks()


@app.route("/generator-status")
async def r_generator_status() -> Any:
    async def chunks() -> Any:
        yield "a"

    return chunks(), 201, {"X-G": "1"}


@app.route("/stream-with-context")
async def r_stream_with_context() -> Any:
    @stream_with_context
    async def chunks() -> Any:
        yield request.path
        yield "|"
        yield request.args.get("a", "")

    return chunks()


@app.route("/list-iterator")
async def r_list_iterator() -> Any:
    return iter([b"a", b"b"])


@app.route("/sync-view")
def r_sync_view() -> Any:
    return "sync"


@app.route("/sync-view-json")
def r_sync_view_json() -> Any:
    return {"s": 1}


@app.route("/async-generator-view")
async def r_async_generator_view() -> Any:
    yield "a"
    yield "b"


@app.route("/sync-generator-view")
def r_sync_generator_view() -> Any:
    yield "a"
    yield "b"


# --- requests ------------------------------------------------------------------------


@app.route("/args")
async def r_args() -> Any:
    args = request.args
    return {"a": args.getlist("a"), "b": args.get("b"), "all": args.to_dict(flat=False)}


@app.route("/request/<name>")
async def r_request(name: str) -> Any:
    r = request
    auth = r.authorization
    return {
        "endpoint": r.endpoint,
        "view_args": r.view_args,
        "rule": r.url_rule.rule,
        "blueprint": r.blueprint,
        "path": r.path,
        "full_path": r.full_path,
        "script_root": r.script_root,
        "url": r.url,
        "base_url": r.base_url,
        "url_root": r.url_root,
        "host": r.host,
        "host_url": r.host_url,
        "scheme": r.scheme,
        "is_json": r.is_json,
        "is_secure": r.is_secure,
        "accept": str(r.accept_mimetypes),
        "best": r.accept_mimetypes.best_match(["application/json", "text/html"]),
        "auth": (auth.type, auth.get("username")) if auth else None,
        "if_modified_since": str(r.if_modified_since),
        "range": str(r.range),
        "query_string": r.query_string.decode(),
        "method": r.method,
        "origin": r.origin,
        "referrer": r.referrer,
        "user_agent": r.user_agent.string,
        "cookies": dict(r.cookies),
        "mimetype_params": r.mimetype_params,
        "multi": r.headers.getlist("X-Multi"),
    }


@app.route("/form", methods=["POST"])
async def r_form() -> Any:
    form = await request.form
    files = await request.files
    return {
        "form": form.to_dict(flat=False),
        "files": {k: [f.filename, f.content_type, f.read().decode()] for k, f in files.items()},
    }


@app.route("/json", methods=["POST"])
async def r_json() -> Any:
    return {"got": await request.get_json()}


@app.route("/json-silent", methods=["POST"])
async def r_json_silent() -> Any:
    return {"got": await request.get_json(silent=True)}


@app.route("/json-force", methods=["POST"])
async def r_json_force() -> Any:
    return {"got": await request.get_json(force=True)}


@app.route("/data", methods=["POST", "PUT", "PATCH", "DELETE"])
async def r_data() -> Any:
    data = await request.get_data()
    return {"len": len(data), "method": request.method, "mimetype": request.mimetype}


@app.route("/values", methods=["GET", "POST"])
async def r_values() -> Any:
    return {"values": (await request.values).to_dict(flat=False)}


@app.route("/contexts")
async def r_contexts() -> Any:
    return {
        "request": has_request_context(),
        "app": has_app_context(),
        "name": current_app.name,
        "testing": current_app.config["TESTING"],
    }


@app.route("/g")
async def r_g() -> Any:
    g.z = 1
    return {"has": "z" in g, "get": g.get("q", "default"), "pop": g.pop("z")}


# --- routing -----------------------------------------------------------------------


@app.route("/convert/<int:n>/<path:p>")
async def r_convert(n: int, p: str) -> Any:
    return {"n": n, "p": p}


@app.route("/float/<float:f>")
async def r_float(f: float) -> Any:
    return {"f": f}


@app.route("/uuid/<uuid:u>")
async def r_uuid(u: uuid.UUID) -> Any:
    return {"u": str(u)}


@app.route("/strict/")
async def r_strict() -> Any:
    return "strict"


@app.route("/no-slash")
async def r_no_slash() -> Any:
    return "no slash"


@app.route("/lenient", strict_slashes=False)
async def r_lenient() -> Any:
    return "lenient"


@app.route("/put-only", methods=["PUT"])
async def r_put_only() -> Any:
    return "put"


@app.route("/defaults", defaults={"x": 3})
@app.route("/defaults/<int:x>")
async def r_defaults(x: int) -> Any:
    return {"x": x}


@app.get("/get-shortcut")
async def r_get_shortcut() -> Any:
    return "get"


@app.post("/post-shortcut")
async def r_post_shortcut() -> Any:
    return "post"


@app.route("/keyword-only/<a>")
async def r_keyword_only(*, a: str) -> Any:
    return a


@app.route("/default-argument/<a>")
async def r_default_argument(a: str, b: str = "z") -> Any:
    return a + b


@app.route("/url-for")
async def r_url_for() -> Any:
    return {
        "plain": url_for("r_str"),
        "args": url_for("r_args", a=[1, 2], b="x y"),
        "external": url_for("r_str", _external=True),
        "anchor": url_for("r_str", _anchor="frag x"),
        "static": url_for("static", filename="x.css"),
        "method": url_for("r_put_only", _method="PUT"),
        "scheme": url_for("r_strict", _external=True, _scheme="https"),
        "quoted": url_for("r_request", name="a/b c", x="é", y=None),
        "blueprint": url_for("bp.inner"),
    }


languages = Blueprint("languages", "oracle", url_prefix="/<lang>")


@languages.url_defaults
def add_language(endpoint: str, values: dict[str, Any]) -> None:
    values.setdefault("lang", "en")


@languages.url_value_preprocessor
def pull_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.lang = values.pop("lang", None) if values else None


@languages.route("/home")
async def home() -> Any:
    return {"lang": g.lang, "url": url_for("languages.home"), "other": url_for(".home", lang="de")}


app.register_blueprint(languages)


# --- hooks ---------------------------------------------------------------------------


@app.before_request
async def short_circuit() -> Any:
    if request.path == "/before-answers":
        return "from before", 202
    return None


@app.after_request
async def add_header(response: Any) -> Any:
    if request.path == "/after-raises":
        raise RuntimeError("after")
    response.headers["X-App-After"] = "1"
    return response


@app.route("/before-answers")
async def r_before_answers() -> Any:
    return "view"


@app.route("/after-raises")
async def r_after_raises() -> Any:
    return "ok"


@app.route("/after-this-request")
async def r_after_this_request() -> Any:
    @after_this_request
    async def add(response: Any) -> Any:
        response.headers["X-After-This"] = "1"
        return response

    return "at"


# --- blueprints -------------------------------------------------------------------------

bp = Blueprint("bp", "oracle", url_prefix="/bp")


@bp.before_request
async def bp_before() -> None:
    g.bp = 1


@bp.after_request
async def bp_after(response: Any) -> Any:
    response.headers["X-BP"] = "1"
    return response


@bp.errorhandler(404)
async def bp_not_found(error: Any) -> Any:
    return "bp 404", 404


@bp.errorhandler(ValueError)
async def bp_value_error(error: Any) -> Any:
    return "bp value " + str(error), 500


@bp.route("/inner")
async def inner() -> Any:
    return {"g": g.bp, "relative": url_for(".inner"), "blueprint": request.blueprint}


@bp.route("/abort")
async def bp_abort() -> Any:
    abort(404)


@bp.route("/value-error")
async def bp_raise() -> Any:
    raise ValueError("v")


@bp.route("/template")
async def bp_template() -> Any:
    return await render_template_string(
        "{{ url_for('.inner') }}|{{ request.blueprint }}|{{ config.TESTING }}|{{ g.get('y') }}"
    )


app.register_blueprint(bp)
mounted = Blueprint("mounted", "oracle")


@mounted.route("/where")
async def mounted_where() -> Any:
    return request.blueprint + "|" + url_for("again.mounted_where")


app.register_blueprint(mounted, url_prefix="/again", name="again")


# --- templates ------------------------------------------------------------------------


@app.template_filter("reverse_text")
def reverse_text(text: str) -> str:
    return text[::-1]


@app.context_processor
def processor() -> dict[str, Any]:
    return {"processed": "cp"}


@app.route("/template")
async def r_template() -> Any:
    g.z = 2
    return await render_template_string(
        "{{ x }} {{ y|e }} {{ request.path }} {{ g.z }} {{ 'abc'|reverse_text }} {{ processed }}",
        x=1,
        y="<a>",
    )


# --- sessions, cookies and flashes ------------------------------------------------------


@app.route("/cookies/set")
async def r_cookies_set() -> Any:
    response = Response("c")
    response.set_cookie("a", "1")
    response.set_cookie("b", "x y", max_age=10, path="/p", httponly=True, samesite="Lax")
    response.delete_cookie("c")
    return response


@app.route("/cookies")
async def r_cookies() -> Any:
    return dict(request.cookies)


@app.route("/session/set")
async def r_session_set() -> Any:
    session["k"] = "v"
    return "ok"


@app.route("/session")
async def r_session() -> Any:
    return {"k": session.get("k"), "new": session.new, "permanent": session.permanent}


@app.route("/session/permanent")
async def r_session_permanent() -> Any:
    session.permanent = True
    session["p"] = 1
    return "ok"


@app.route("/session/clear")
async def r_session_clear() -> Any:
    session.clear()
    return "ok"


@app.route("/flash")
async def r_flash() -> Any:
    await flash("hi")
    await flash("err", "error")
    return "ok"


@app.route("/flashes")
async def r_flashes() -> Any:
    return {"messages": get_flashed_messages(with_categories=True)}


# --- files ---------------------------------------------------------------------------------


@app.route("/files/<path:name>")
async def r_files(name: str) -> Any:
    return await send_from_directory(STATIC, name)


@app.route("/send-file-io")
async def r_send_file_io() -> Any:
    return await send_file(io.BytesIO(b"abc"), mimetype="text/plain")


# --- view callables -------------------------------------------------------------------------


def exclaim(view: Any) -> Any:
    @functools.wraps(view)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await view(*args, **kwargs) + "!"

    return wrapper


@app.route("/decorated")
@exclaim
async def r_decorated() -> Any:
    return "d"


class SyncCallable:
    def __call__(self) -> Any:
        return "callable"


async def greet(word: str) -> Any:
    return f"partial {word}"


app.add_url_rule("/sync-callable", "sync_callable", SyncCallable())
app.add_url_rule("/partial", "partial", functools.partial(greet, "hi"))
app.add_url_rule("/lambda", "lambda", lambda: "lambda")


class Items(MethodViewBase):
    init_every_request = False

    async def get(self, id: int | None = None) -> Any:
        return f"get {id}"

    async def post(self) -> Any:
        return "post"

    def delete(self, id: int) -> Any:
        return f"delete {id}"


items = Items.as_view("items")
app.add_url_rule("/items", view_func=items, methods=["GET", "POST"])
app.add_url_rule("/items/<int:id>", view_func=items, methods=["GET", "DELETE"])


class Greeting(ViewBase):
    methods = ["GET", "PUT"]

    def __init__(self, word: str) -> None:
        self.word = word

    async def dispatch_request(self) -> Any:
        return f"{self.word} {request.method}"


app.add_url_rule("/greeting", view_func=Greeting.as_view("greeting", "hi"))


@app.route("/ensure-async")
async def r_ensure_async() -> Any:
    return await app.ensure_async(lambda: "ran")()


@app.route("/copy-context")
async def r_copy_context() -> Any:
    @copy_current_request_context
    async def path() -> Any:
        return request.path

    return await asyncio.ensure_future(path())


# --- websockets ----------------------------------------------------------------------------


@app.websocket("/ws/echo")
async def ws_echo() -> None:
    while True:
        await websocket.send(await websocket.receive())


@app.websocket("/ws/json")
async def ws_json() -> None:
    data = await websocket.receive_json()
    await websocket.send_json({"got": data, "path": websocket.path, "args": websocket.args})


@app.websocket("/ws/info")
async def ws_info() -> None:
    await websocket.accept(subprotocol="two")
    await websocket.send(
        "|".join(
            [
                websocket.path,
                websocket.query_string.decode(),
                ",".join(websocket.requested_subprotocols),
                websocket.headers.get("X-Token", ""),
            ]
        )
    )


@app.websocket("/ws/reject")
async def ws_reject() -> Any:
    return "nope", 403


@app.websocket("/ws/abort")
async def ws_abort() -> Any:
    abort(401)


@app.websocket("/ws/close")
async def ws_close() -> None:
    await websocket.accept()
    await websocket.close(4001, "bye")


# --- the order of hooks, teardowns and error handlers ----------------------------------------

#: What the hooks of the /order routes did, read (and emptied) by GET /order-events.
EVENTS: list[str] = []
outer = Blueprint("outer", "oracle", url_prefix="/order")
nested = Blueprint("nested", "oracle", url_prefix="/nested")


def record(name: str) -> Any:
    """A before, after or teardown function appending ``name`` to :data:`EVENTS`."""

    async def before() -> None:
        EVENTS.append(f"before {name}")

    async def after(response: Any) -> Any:
        EVENTS.append(f"after {name}")
        response.headers.add("X-Order", name)
        return response

    async def teardown(error: Any) -> None:
        EVENTS.append(f"teardown {name} {type(error).__name__}")

    return before, after, teardown


for scaffold, label in ((outer, "outer"), (nested, "nested")):
    before, after, teardown = record(label)
    scaffold.before_request(before)
    scaffold.after_request(after)
    scaffold.teardown_request(teardown)
app_before, app_after, app_teardown = record("app")


@app.before_request
async def app_records() -> None:
    if request.path.startswith("/order/"):
        await app_before()


@app.after_request
async def app_records_after(response: Any) -> Any:
    if request.path.startswith("/order/"):
        return await app_after(response)
    return response


@app.teardown_request
async def app_records_teardown(error: Any) -> None:
    if request.path.startswith("/order/"):
        await app_teardown(error)


@app.route("/order-events")
async def order_events() -> Any:
    seen = list(EVENTS)
    EVENTS.clear()
    return {"events": seen}


@outer.route("/plain")
async def order_plain() -> Any:
    EVENTS.append("view")
    return "plain"


@nested.route("/deep")
async def order_deep() -> Any:
    EVENTS.append("view")
    return "deep"


@nested.route("/raises")
async def order_raises() -> Any:
    EVENTS.append("view")
    raise ValueError("deep")


@nested.route("/aborts")
async def order_aborts() -> Any:
    EVENTS.append("view")
    abort(418)


@nested.errorhandler(418)
async def nested_teapot(error: Any) -> Any:
    EVENTS.append("handler 418")
    return "teapot", 418


outer.register_blueprint(nested)
app.register_blueprint(outer)


@app.errorhandler(500)
async def on_server_error(error: Any) -> Any:
    original = getattr(error, "original_exception", None)
    return {"code": error.code, "original": type(original).__name__}, 500


@app.errorhandler(HTTPException)
async def on_http_exception(error: Any) -> Any:
    if has_request_context() and request.path.startswith("/http-handler/"):
        return {"http": error.code, "name": error.name}, error.code
    return error


@app.route("/http-handler/<int:code>")
async def r_http_handler(code: int) -> Any:
    abort(code)


@app.route("/handler-raises")
async def r_handler_raises() -> Any:
    raise LookupError("first")


@app.errorhandler(LookupError)
async def on_lookup_error(error: Any) -> Any:
    raise RuntimeError("the handler failed")


@app.route("/before-aborts")
async def r_before_aborts() -> Any:
    return "never"


@app.before_request
async def abort_early() -> None:
    if request.path == "/before-aborts":
        abort(409, "early")


@app.route("/g-in-hooks")
async def r_g_in_hooks() -> Any:
    return {"seen": g.get("hook_value")}


@app.before_request
async def set_g() -> None:
    g.hook_value = request.path


@app.route("/session-in-after")
async def r_session_in_after() -> Any:
    return "after sets the session"


@app.after_request
async def session_in_after(response: Any) -> Any:
    if request.path == "/session-in-after":
        session["from_after"] = True
    return response


@app.route("/body-limit", methods=["POST"])
async def r_body_limit() -> Any:
    return {"len": len(await request.get_data())}


@app.route("/head-redirect")
async def r_head_redirect() -> Any:
    return redirect("/str")


# --- templates from files ------------------------------------------------------------------

TEMPLATES = tempfile.mkdtemp(prefix="oracle-templates-")
for name, text in {
    "base.html": "<title>{% block title %}base{% endblock %}</title>{% block body %}{% endblock %}",
    "page.html": (
        "{% extends 'base.html' %}{% import 'macros.html' as macros %}"
        "{% block title %}{{ title }}{% endblock %}"
        "{% block body %}{% include 'part.txt' %}|{{ macros.shout(name) }}|"
        "{{ request.args.get('q') }}|{{ get_flashed_messages() }}{% endblock %}"
    ),
    "part.txt": "<part {{ name }}>",
    "macros.html": "{% macro shout(x) %}{{ x|upper }}!{% endmacro %}",
}.items():
    with open(os.path.join(TEMPLATES, name), "w") as file:
        file.write(text)
app.template_folder = TEMPLATES


@app.route("/template-file")
async def r_template_file() -> Any:
    macros = await render_template_string("{% import 'macros.html' as m %}{{ m.shout('x') }}")
    page = await render_template("page.html", title="T", name="<n>")
    return macros + "|" + page


@app.route("/template-missing")
async def r_template_missing() -> Any:
    return await render_template("nope.html")


@app.route("/stream-template")
async def r_stream_template() -> Any:
    return await stream_template_string("{% for i in items %}{{ i }},{% endfor %}", items=[1, 2])


# --- websocket hooks, blueprints and errors ---------------------------------------------------

live = Blueprint("live", "oracle", url_prefix="/live")
WS_EVENTS: list[str] = []


@live.before_websocket
async def live_before() -> None:
    WS_EVENTS.append(f"before {websocket.path}")


@live.after_websocket
async def live_after(response: Any) -> Any:
    WS_EVENTS.append(f"after {type(response).__name__}")
    return response


@live.teardown_websocket
async def live_teardown(error: Any) -> None:
    WS_EVENTS.append(f"teardown {type(error).__name__}")


@live.websocket("/feed/<int:n>")
async def live_feed(n: int) -> None:
    await websocket.accept()
    for i in range(n):
        await websocket.send(f"item {i} {g.get('x')}")
    await websocket.send(b"\x00\x01")


@live.websocket("/headers")
async def live_headers() -> None:
    await websocket.accept(headers={"X-Accepted": "yes"})
    await websocket.send(repr(sorted(websocket.args.items(multi=True))))


@live.websocket("/raises")
async def live_raises() -> None:
    await websocket.receive()
    raise ValueError("in the handler")


@live.route("/events")
async def live_events() -> Any:
    seen = list(WS_EVENTS)
    WS_EVENTS.clear()
    return {"events": seen}


app.register_blueprint(live)


# --- request bodies ------------------------------------------------------------------------


@app.route("/body/chunks", methods=["POST"])
async def r_body_chunks() -> Any:
    size = 0
    async for chunk in request.body:
        size += len(chunk)
    return {"size": size}


@app.route("/body/text", methods=["POST"])
async def r_body_text() -> Any:
    return {"text": await request.get_data(as_text=True), "again": len(await request.data)}


@app.route("/body/json-twice", methods=["POST"])
async def r_body_json_twice() -> Any:
    first = await request.get_json()
    second = await request.json
    return {"same": first == second, "is_json": request.is_json}


@app.route("/body/file-save", methods=["POST"])
async def r_body_file_save() -> Any:
    files = await request.files
    target = os.path.join(STATIC, "saved.txt")
    await files["f"].save(target)
    with open(target, "rb") as saved:  # noqa: ASYNC230 (a few bytes, in a test view)
        return {"saved": saved.read().decode(), "name": files["f"].filename}


# --- subclasses of the return types ------------------------------------------------------------


class Text(str):
    pass


class Blob(bytes):
    pass


class Numbers(list):
    pass


@app.route("/return/markup")
async def r_return_markup() -> Any:
    return escape("<b>x</b>")


@app.route("/return/str-subclass")
async def r_return_str_subclass() -> Any:
    return Text("text")


@app.route("/return/bytes-subclass")
async def r_return_bytes_subclass() -> Any:
    return Blob(b"blob")


@app.route("/return/ordered-dict")
async def r_return_ordered_dict() -> Any:
    return collections.OrderedDict([("b", 1), ("a", 2)])


@app.route("/return/default-dict")
async def r_return_default_dict() -> Any:
    found = collections.defaultdict(list)
    found["x"].append(1)
    return found


@app.route("/return/list-subclass")
async def r_return_list_subclass() -> Any:
    return Numbers([1, 2])


@app.route("/return/args")
async def r_return_args() -> Any:
    return request.args


@app.route("/jsonify/args")
async def r_jsonify_args_multidict() -> Any:
    return jsonify(request.args)


@app.route("/jsonify/keywords")
async def r_jsonify_keywords() -> Any:
    return jsonify(args=request.args, n=1)


# --- a client that leaves while its view waits (asked over a socket only) -------------

departures: list[str] = []
_never = asyncio.Event()


@app.route("/depart/wait", methods=["GET", "POST"])
async def r_depart_wait() -> Any:
    if request.method == "POST":
        departures.append(f"read {len(await request.get_data())}")
    departures.append("waiting")
    try:
        await _never.wait()
    except asyncio.CancelledError:
        departures.append("cancelled")
        raise
    return "never"


@app.teardown_request
async def r_depart_teardown(exc: BaseException | None) -> None:
    if request.path == "/depart/wait":
        departures.append(f"teardown {type(exc).__name__}")


@app.route("/depart/events")
async def r_depart_events() -> Any:
    found = list(departures)
    if request.args.get("clear"):
        departures.clear()
    return {"events": found}


@app.route("/depart/stream")
async def r_depart_stream() -> Any:
    async def chunks() -> Any:
        departures.append("waiting")
        try:
            while True:
                yield b"x"
                await asyncio.sleep(0.05)
        except BaseException as exc:  # how the body learns its client left
            departures.append(f"stream ended by {type(exc).__name__}")
            raise

    return chunks()
