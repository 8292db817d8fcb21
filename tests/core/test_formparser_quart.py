"""``erlen.formparser``'s Quart API: ``MultiPartParser`` and ``FormDataParser``'s parse
functions, stream factory and file storage class."""

from __future__ import annotations

import asyncio
import json
from io import BytesIO
from typing import IO, Any

import pytest
from erlen import Erlen, request
from erlen.datastructures import FileStorage
from erlen.formparser import FormDataParser, MultiPartParser
from erlen.wrappers.request import Body
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

MULTIPART = (
    b"--bound\r\nContent-Disposition: form-data; name=a\r\n\r\nfirst\r\n"
    b"--bound\r\nContent-Disposition: form-data; name=up; filename=f.txt\r\n"
    b"Content-Type: text/plain\r\n\r\nfile body\r\n--bound--\r\n"
)


def fed(data: bytes) -> Body:
    body = Body(len(data), None)
    body.set_result(data)
    return body


async def test_the_memory_limit_counts_a_field_across_feeds() -> None:
    data = (
        b"--bound\r\nContent-Disposition: form-data; name=a\r\n\r\n" + b"a" * 15 + b"\r\n--bound--"
    )
    parser = MultiPartParser(max_form_memory_size=10, buffer_size=5)
    with pytest.raises(RequestEntityTooLarge):
        await parser.parse(fed(data), b"bound", 0)


async def test_multipart_fields_and_files() -> None:
    form, files = await MultiPartParser(cls=MultiDict).parse(
        fed(MULTIPART), b"bound", len(MULTIPART)
    )
    assert isinstance(form, MultiDict) and form["a"] == "first"
    assert files["up"].filename == "f.txt" and files["up"].read() == b"file body"
    files["up"].close()


async def test_a_stream_factory_and_storage_class_are_used() -> None:
    made: list[tuple[Any, ...]] = []

    def factory(
        total: int | None, content_type: str | None, filename: str | None, length: int | None
    ) -> IO[bytes]:
        made.append((total, content_type, filename))
        return BytesIO()

    class Storage(FileStorage):
        pass

    class Parser(FormDataParser):
        file_storage_class = Storage

    _form, files = await Parser(stream_factory=factory).parse(
        fed(MULTIPART), "multipart/form-data", len(MULTIPART), {"boundary": "bound"}
    )
    assert made == [(len(MULTIPART), "text/plain", "f.txt")]
    assert isinstance(files["up"], Storage) and files["up"].read() == b"file body"


async def test_parse_functions_pick_the_parser_by_mimetype() -> None:
    async def parse_csv(
        parser: FormDataParser, body: Body, mimetype: str, length: Any, options: Any
    ) -> Any:
        header, row = (await body).decode().splitlines()
        return parser.cls(zip(header.split(","), row.split(","), strict=True)), parser.cls()

    class CSVParser(FormDataParser):
        parse_functions = {**FormDataParser.parse_functions, "text/csv": parse_csv}

    form, _ = await CSVParser().parse(fed(b"a,b\n1,2"), "text/csv", 7)
    assert form.to_dict() == {"a": "1", "b": "2"}
    assert CSVParser().get_parse_func("text/plain", {}) is None
    urlencoded, _ = await FormDataParser().parse(fed(b"x=1"), "application/x-url-encoded", 3)
    assert urlencoded["x"] == "1"


async def test_a_missing_boundary_is_400() -> None:
    with pytest.raises(BadRequest):
        await FormDataParser().parse(fed(MULTIPART), "multipart/form-data", 10, {})


def upload_app() -> Erlen:
    app = Erlen(__name__)

    @app.post("/upload")
    async def upload() -> dict[str, Any]:
        files = await request.files
        contents = {name: storage.read().decode("latin-1") for name, storage in files.items()}
        return {"form": (await request.form).to_dict(flat=False), "files": contents}

    return app


async def upload_in_pieces(app: Erlen, data: bytes, *cuts: int) -> Any:
    """The answer of ``/upload`` to ``data`` sent as one ASGI message per piece ``data``
    is cut into at ``cuts`` (a server passes each chunk the client sent as one)."""
    edges = [0, *cuts, len(data)]
    pieces = [data[start:end] for start, end in zip(edges, edges[1:], strict=False)]
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": pieces.pop(0), "more_body": bool(pieces)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        else:
            out["body"] += message.get("body", b"")

    content_type = b"multipart/form-data; boundary=bound"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "method": "POST",
        "path": "/upload",
        "headers": [(b"host", b"localhost"), (b"content-type", content_type)],
    }
    await asyncio.wait_for(app(scope, receive, send), 10)
    assert out["status"] == 200, out
    return json.loads(out["body"])


ENDINGS = (
    b"--bound\r\nContent-Disposition: form-data; name=a\r\n\r\nline\r\nend\r\r\n"
    b"--bound\r\nContent-Disposition: form-data; name=up; filename=f.txt\r\n\r\n"
    b"data\r\n-\r\n--boun\r\n--bound-\r\n--bound--\r\n"
)


async def test_a_part_is_the_same_however_the_body_is_cut() -> None:
    """A multipart body gives the same fields and files wherever the client's chunks end,
    e.g. a chunk ending in ``\\r\\n--bound-``, just before the closing delimiter's last
    byte (werkzeug's decoder then appends a stray ``\\r`` to the last part, werkzeug
    issue 3285: a file upload gained a byte)."""
    app = upload_app()
    whole = await upload_in_pieces(app, ENDINGS)
    assert whole == {
        "form": {"a": ["line\r\nend\r"]},
        "files": {"up": "data\r\n-\r\n--boun\r\n--bound-"},
    }
    for first in range(1, len(ENDINGS)):
        assert await upload_in_pieces(app, ENDINGS, first) == whole, first
    for first in range(1, len(ENDINGS) - 12, 7):
        for second in range(first + 1, len(ENDINGS)):
            assert await upload_in_pieces(app, ENDINGS, first, second) == whole, (first, second)


async def test_a_body_in_one_byte_chunks_gives_the_same_form() -> None:
    app = upload_app()
    cuts = range(1, len(ENDINGS))
    assert await upload_in_pieces(app, ENDINGS, *cuts) == await upload_in_pieces(app, ENDINGS)
