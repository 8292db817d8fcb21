"""Uploaded files are ``erlen.datastructures.FileStorage``: ``save``/``load`` are awaited,
as in Quart."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from erlen import Erlen, request
from erlen.datastructures import FileStorage


async def test_uploaded_file_is_saved_with_await(tmp_path: Path) -> None:
    app = Erlen(__name__, static_folder=None)

    @app.post("/upload")
    async def upload() -> Any:
        upload = (await request.files)["doc"]
        assert isinstance(upload, FileStorage)
        await upload.save(tmp_path / "saved.txt")
        upload.stream.seek(0)
        copy = io.BytesIO()
        await upload.save(copy)
        return {"name": upload.filename, "copy": copy.getvalue().decode()}

    response = await app.test_client().post(
        "/upload", files={"doc": FileStorage(io.BytesIO(b"hello file"), "notes.txt")}
    )
    assert await response.get_json() == {"name": "notes.txt", "copy": "hello file"}
    assert (tmp_path / "saved.txt").read_bytes() == b"hello file"


async def test_load_fills_the_stream_from_a_file(tmp_path: Path) -> None:
    source = tmp_path / "report.csv"
    source.write_bytes(b"a,b\n")
    storage = FileStorage(io.BytesIO())
    await storage.load(source)
    assert storage.filename == "report.csv"
    assert storage.stream.getvalue() == b"a,b\n"  # type: ignore[attr-defined]
