"""The request object: URL and header attributes, awaitable body, form, files, JSON."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import tracemalloc
from typing import Any

import pytest
from erlen import Erlen, Request, request
from werkzeug.datastructures import FileStorage


@pytest.fixture
def app() -> Erlen:
    return Erlen(__name__)


async def test_url_and_header_attributes(app: Erlen) -> None:
    seen: dict[str, Any] = {}

    @app.route("/p/<x>", methods=["POST"])
    async def view(x: str) -> str:
        for name in (
            "method",
            "path",
            "full_path",
            "url",
            "base_url",
            "host",
            "scheme",
            "remote_addr",
            "content_type",
            "content_length",
            "mimetype",
            "root_path",
            "query_string",
            "url_root",
            "host_url",
            "is_secure",
            "endpoint",
        ):
            seen[name] = getattr(request, name)
        seen["args"] = request.args.to_dict(flat=False)
        seen["header"] = request.headers["X-Custom"]
        seen["cookies"] = dict(request.cookies)
        seen["auth"] = (request.authorization.username, request.authorization.password)
        seen["view_args"] = request.view_args
        seen["mimetype_params"] = request.mimetype_params
        return "ok"

    response = await app.test_client().post(
        "/p/1",
        query_string={"a": ["1", "2"], "b": "x y"},
        headers={
            "X-Custom": "yes",
            "Cookie": "c1=v1; c2=v2",
            "Content-Type": "text/plain; charset=utf-8",
        },
        data="body!",
        auth=("ada", "secret"),
    )
    assert response.status_code == 200
    assert seen["method"] == "POST"
    assert seen["path"] == "/p/1"
    assert seen["full_path"] == "/p/1?a=1&a=2&b=x+y"
    assert seen["url"] == "http://localhost/p/1?a=1&a=2&b=x+y"
    assert seen["base_url"] == "http://localhost/p/1"
    assert seen["host"] == "localhost"
    assert seen["scheme"] == "http"
    assert seen["is_secure"] is False
    assert seen["remote_addr"] == "127.0.0.1"
    assert seen["content_type"] == "text/plain; charset=utf-8"
    assert seen["mimetype"] == "text/plain"
    assert seen["mimetype_params"] == {"charset": "utf-8"}
    assert seen["content_length"] == 5
    assert seen["args"] == {"a": ["1", "2"], "b": ["x y"]}
    assert seen["header"] == "yes"
    assert seen["cookies"] == {"c1": "v1", "c2": "v2"}
    assert seen["auth"] == ("ada", "secret")
    assert seen["view_args"] == {"x": "1"}
    assert seen["endpoint"] == "view"
    assert seen["url_root"] == "http://localhost/"
    assert seen["host_url"] == "http://localhost/"


async def test_https_scheme_and_root_path(app: Erlen) -> None:
    @app.route("/x")
    async def view() -> str:
        return f"{request.scheme} {request.is_secure} {request.root_path} {request.url}"

    response = await app.test_client().get("/app/x", scheme="https", root_path="/app")
    assert await response.get_data(as_text=True) == "https True /app https://localhost/app/x"


async def test_no_authorization_is_none(app: Erlen) -> None:
    @app.route("/")
    async def view() -> str:
        return repr(request.authorization)

    assert await (await app.test_client().get("/")).get_data(as_text=True) == "None"


async def test_get_data_data_and_as_text(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> str:
        raw = await request.get_data()
        again = await request.data
        as_text = await request.get_data(as_text=True)
        assert raw == again == "héllo".encode()
        return as_text

    response = await app.test_client().post("/", data="héllo")
    assert await response.get_data(as_text=True) == "héllo"


async def test_urlencoded_form_and_values(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> dict[str, Any]:
        form = await request.form
        values = await request.values
        return {
            "form": form.to_dict(flat=False),
            "values": values.to_dict(flat=False),
            "files": len(await request.files),
        }

    response = await app.test_client().post("/?q=1", form={"name": "ada", "tags": ["a", "b"]})
    assert await response.get_json() == {
        "form": {"name": ["ada"], "tags": ["a", "b"]},
        "values": {"q": ["1"], "name": ["ada"], "tags": ["a", "b"]},
        "files": 0,
    }


async def test_values_of_a_get_request_are_the_args_only(app: Erlen) -> None:
    @app.route("/v", methods=["GET"])
    async def view() -> dict[str, Any]:
        return (await request.values).to_dict(flat=False)

    response = await app.test_client().open("/v?q=1", method="GET", form={"name": "ada"})
    assert await response.get_json() == {"q": ["1"]}


async def test_multipart_form_and_files(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> dict[str, Any]:
        form = await request.form
        files = await request.files
        upload = files["doc"]
        return {
            "title": form["title"],
            "filename": upload.filename,
            "content_type": upload.content_type,
            "content": upload.read().decode(),
        }

    response = await app.test_client().post(
        "/",
        form={"title": "Report"},
        files={"doc": FileStorage(io.BytesIO(b"file body"), "r.txt", content_type="text/plain")},
    )
    assert await response.get_json() == {
        "title": "Report",
        "filename": "r.txt",
        "content_type": "text/plain",
        "content": "file body",
    }


async def test_large_upload_is_spooled_to_disk_and_intact(app: Erlen) -> None:
    payload = os.urandom(6 * 1024 * 1024)

    @app.route("/", methods=["POST"])
    async def view() -> dict[str, Any]:
        tracemalloc.start()
        try:
            upload = (await request.files)["big"]
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        # A multi-MB part must not live in memory: parsing it allocated far less than its
        # size (it went to a temporary file; the body itself was allocated before).
        rolled = peak < len(payload) // 4
        data = upload.read()
        return {"sha": hashlib.sha256(data).hexdigest(), "size": len(data), "rolled": rolled}

    response = await app.test_client().post(
        "/", files={"big": FileStorage(io.BytesIO(payload), "big.bin")}
    )
    assert response.status_code == 200
    assert await response.get_json() == {
        "sha": hashlib.sha256(payload).hexdigest(),
        "size": len(payload),
        "rolled": True,
    }


async def test_multipart_parsed_incrementally_from_chunks(app: Erlen) -> None:
    """A multipart body arriving in many small ASGI messages is parsed as it streams."""
    boundary = "XyZ"
    content = b"A" * 200_000
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )

    @app.route("/", methods=["POST"])
    async def view() -> str:
        files = await request.files
        return str(len(files["f"].read()))

    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    status, _headers, out = await _drive(
        app,
        "POST",
        "/",
        chunks,
        headers=[(b"content-type", f"multipart/form-data; boundary={boundary}".encode())],
    )
    assert status == 200
    assert out == str(len(content)).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"garbage with no boundary at all",
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue-without-end',
        b"--B\r\nno-colon-header\r\n\r\nx\r\n--B--\r\n",
    ],
)
async def test_malformed_multipart_is_400(app: Erlen, body: bytes) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> str:
        await request.form
        return "parsed"

    response = await app.test_client().post(
        "/", data=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
    )
    assert response.status_code == 400


async def test_multipart_without_boundary_is_400(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> str:
        await request.form
        return "parsed"

    response = await app.test_client().post(
        "/", data=b"x", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status_code == 400


async def test_get_json_and_json(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> dict[str, Any]:
        return {"get_json": await request.get_json(), "json": await request.json}

    response = await app.test_client().post("/", json={"a": [1, 2]})
    assert await response.get_json() == {"get_json": {"a": [1, 2]}, "json": {"a": [1, 2]}}


async def test_json_content_type_variants(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> Any:
        return {"value": await request.get_json()}

    response = await app.test_client().post(
        "/", data=b'{"x": 1}', headers={"Content-Type": "application/vnd.api+json"}
    )
    assert await response.get_json() == {"value": {"x": 1}}


async def test_invalid_json_is_400(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> Any:
        return {"value": await request.get_json()}

    response = await app.test_client().post(
        "/", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    # The parser's message is for debugging: shown in debug mode only (Quart).
    assert "Failed to decode JSON" not in await response.get_data(as_text=True)
    app.debug = True
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = await app.test_client().post(
        "/", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Failed to decode JSON" in await response.get_data(as_text=True)


async def test_non_json_content_type_is_none_unless_forced(app: Erlen) -> None:
    @app.route("/strict", methods=["POST"])
    async def strict() -> Any:
        return {"value": await request.get_json()}

    @app.route("/force", methods=["POST"])
    async def force() -> Any:
        return {"value": await request.get_json(force=True)}

    client = app.test_client()
    plain = {"Content-Type": "text/plain"}
    response = await client.post("/strict", data=b'{"a": 1}', headers=plain)
    assert (response.status_code, await response.get_json()) == (200, {"value": None})
    response = await client.post("/force", data=b'{"a": 1}', headers=plain)
    assert await response.get_json() == {"value": {"a": 1}}


async def test_get_json_silent(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> Any:
        return {"value": await request.get_json(silent=True)}

    client = app.test_client()
    response = await client.post("/", data=b"{bad", headers={"Content-Type": "application/json"})
    assert await response.get_json() == {"value": None}
    response = await client.post("/", data=b"{}", headers={"Content-Type": "text/plain"})
    assert await response.get_json() == {"value": None}


async def test_get_json_parses_once_per_request(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> Any:
        (await request.get_json())["seen"] = True
        return {"again": await request.json, "silent": await request.get_json(silent=True)}

    response = await app.test_client().post("/", json={"a": 1})
    assert await response.get_json() == {"again": {"a": 1, "seen": True}, "silent": {"a": 1}}


async def test_a_subclass_overriding_get_json_uses_quarts_cache(app: Erlen) -> None:
    # Quart's Request keeps `_cached_json` ({silent: value}, Ellipsis until parsed), and
    # subclasses that parse elsewhere (here in a thread, as LangBot's does) use it.
    class ThreadedJSONRequest(Request):
        async def get_json(
            self, force: bool = False, silent: bool = False, cache: bool = True
        ) -> Any:
            if cache and self._cached_json[silent] is not Ellipsis:
                return self._cached_json[silent]
            result = await asyncio.to_thread(json.loads, await self.get_data())
            if cache:
                self._cached_json[silent] = result
            return result

    app.request_class = ThreadedJSONRequest

    @app.route("/", methods=["POST"])
    async def view() -> Any:
        (await request.get_json())["seen"] = True
        return {"again": await request.json}

    response = await app.test_client().post("/", json={"a": 1})
    assert response.status_code == 200
    assert await response.get_json() == {"again": {"a": 1, "seen": True}}


async def test_body_streaming(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> dict[str, Any]:
        sizes = [len(chunk) async for chunk in request.body]
        return {"sizes": sizes}

    status, _headers, out = await _drive(app, "POST", "/", [b"abc", b"", b"defg", b"h"])
    assert status == 200
    assert out.strip() == b'{"sizes":[3,4,1]}'


async def test_a_read_after_streaming_gets_what_was_not_streamed(app: Erlen) -> None:
    # Quart's rule: the streamed chunks are gone, a read returns the rest
    @app.route("/", methods=["POST"])
    async def view() -> str:
        first = b""
        async for chunk in request.body:
            first = chunk
            break
        rest = await request.get_data()
        async for _chunk in request.body:
            pass
        return f"{first!r} {rest!r} {await request.get_data()!r}"

    status, _headers, out = await _drive(app, "POST", "/", [b"ab", b"cd"])
    assert status == 200
    assert out == b"b'ab' b'cd' b'cd'"


async def test_body_read_twice_is_cached(app: Erlen) -> None:
    @app.route("/", methods=["POST"])
    async def view() -> bytes:
        first = await request.body
        chunks = [c async for c in request.body]
        return first + b"|" + b"".join(chunks)

    status, _headers, out = await _drive(app, "POST", "/", [b"ab", b"cd"])
    assert (status, out) == (200, b"abcd|abcd")


async def test_bad_percent_encoding_in_path_and_query(app: Erlen) -> None:
    @app.route("/<name>")
    async def view(name: str) -> str:
        return f"{name} {request.args.get('q')}"

    client = app.test_client()
    response = await client.get("/a?q=%ZZ%")
    assert response.status_code == 200
    status, _h, _out = await _drive(app, "GET", "/%ff%fe", [b""], raw_path=b"/%ff%fe")
    assert status == 200  # the undecoded path is matched as it is


async def test_huge_header_does_not_break(app: Erlen) -> None:
    @app.route("/")
    async def view() -> str:
        return str(len(request.headers["X-Big"]))

    response = await app.test_client().get("/", headers={"X-Big": "x" * 200_000})
    assert await response.get_data(as_text=True) == "200000"


async def test_garbage_cookie_and_auth_headers(app: Erlen) -> None:
    @app.route("/")
    async def view() -> str:
        return f"{dict(request.cookies)} {request.authorization}"

    response = await app.test_client().get(
        "/", headers={"Cookie": ";;;==;\x7f", "Authorization": "Basic !!!notbase64"}
    )
    assert response.status_code == 200


async def test_test_request_context(app: Erlen) -> None:
    async with app.test_request_context(
        "/x?y=1", method="POST", json={"k": "v"}, headers={"X-A": "b"}
    ):
        assert request.method == "POST"
        assert request.path == "/x"
        assert request.args["y"] == "1"
        assert request.headers["X-A"] == "b"
        assert await request.get_json() == {"k": "v"}


async def _drive(
    app: Erlen,
    method: str,
    path: str,
    chunks: list[bytes],
    headers: list[tuple[bytes, bytes]] | None = None,
    raw_path: bytes | None = None,
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Drive the ASGI app by hand, sending the body as several ``http.request`` messages."""
    import asyncio

    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    done = asyncio.Event()
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = message["headers"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")
            if not message.get("more_body"):
                done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path or path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), *(headers or [])],
        "client": ("127.0.0.1", 1234),
        "server": ("localhost", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), 10)
    return out["status"], out["headers"], out["body"]


async def test_get_data_after_multipart_form_is_empty_not_an_error(app: Erlen) -> None:
    @app.route("/form-then-data", methods=["POST"])
    async def form_then_data() -> dict[str, Any]:
        form = await request.form
        return {"form": form.to_dict(), "data": len(await request.get_data())}

    @app.route("/parse-form-data", methods=["POST"])
    async def parse_form_data() -> dict[str, Any]:
        data = await request.get_data(parse_form_data=True)
        files = await request.files
        return {"data": len(data), "form": (await request.form).to_dict(), "files": list(files)}

    client = app.test_client()
    files = {"up": FileStorage(io.BytesIO(b"zz"), "z.txt")}
    # Multipart parts are streamed, never buffered: the raw body is gone (werkzeug's rule).
    response = await client.post("/form-then-data", form={"a": "1"}, files=files)
    assert await response.get_json() == {"form": {"a": "1"}, "data": 0}
    files = {"up": FileStorage(io.BytesIO(b"zz"), "z.txt")}
    response = await client.post("/parse-form-data", form={"a": "1"}, files=files)
    assert await response.get_json() == {"data": 0, "form": {"a": "1"}, "files": ["up"]}
    # A urlencoded body is read whole, so it stays available.
    response = await client.post("/form-then-data", form={"a": "1"})
    assert await response.get_json() == {"form": {"a": "1"}, "data": 3}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b"--B\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--B--\r\n",
            {"form": {"": ["no name"]}, "files": {}},
        ),
        (
            b'--B\r\nContent-Disposition: form-data; name="a"\r\n'
            b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nv\r\n--B--\r\n",
            {"form": {"a": ["v"]}, "files": {}},
        ),
        (
            b'--B\r\nContent-Disposition: form-data; name="a"\r\n'
            b"Content-Type: text/plain; charset=latin-1\r\n\r\n\xe9\r\n--B--\r\n",
            {"form": {"a": ["é"]}, "files": {}},
        ),
        (
            b'--B\r\nContent-Disposition: form-data; name="f"; filename="../../x"\r\n\r\n'
            b"data\r\n--B--\r\n",
            {"form": {}, "files": {"f": ["../../x", "data"]}},
        ),
        (b"--B--\r\n", {"form": {}, "files": {}}),
        (b"", {"form": {}, "files": {}}),
        (
            b'preamble\r\n--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--B--\r\nend',
            {"form": {"a": ["v"]}, "files": {}},
        ),
    ],
)
async def test_odd_but_parseable_multipart(
    app: Erlen, body: bytes, expected: dict[str, Any]
) -> None:
    @app.route("/odd", methods=["POST"])
    async def odd() -> dict[str, Any]:
        form = await request.form
        files = await request.files
        return {
            "form": form.to_dict(flat=False),
            "files": {k: [v.filename, v.read().decode()] for k, v in files.items()},
        }

    response = await app.test_client().post(
        "/odd", data=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
    )
    assert response.status_code == 200
    assert await response.get_json() == expected
