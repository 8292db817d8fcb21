"""Uploaded files are closed when their request ends, and a form without files ends its
request like any other (teardown functions run once, with the error if any)."""

from __future__ import annotations

from typing import Any

from erlen import Erlen, request

BOUNDARY = "erlenboundary"


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    for name, (filename, data) in files.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}";'
            f' filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            + data.decode("latin-1")
            + "\r\n"
        )
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode("latin-1")


def make_app(seen: list[Any]) -> Erlen:
    app = Erlen(__name__)

    @app.route("/upload", methods=["POST"])
    async def upload() -> str:
        files = await request.files
        form = await request.form
        seen.extend(files.values())
        return f"{sorted(form)} {sorted(files)}"

    return app


async def test_uploaded_files_are_closed_after_the_request() -> None:
    seen: list[Any] = []
    app = make_app(seen)
    body = multipart({"a": "1"}, {"doc": ("doc.bin", b"x" * 1000)})
    response = await app.test_client().post(
        "/upload", data=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    )
    assert await response.get_data(as_text=True) == "['a'] ['doc']"
    assert len(seen) == 1
    assert seen[0].stream.closed


async def test_a_form_without_files_runs_teardown_once() -> None:
    seen: list[Any] = []
    app = make_app(seen)
    torn_down: list[Any] = []

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        torn_down.append(exc)

    client = app.test_client()
    response = await client.post("/upload", form={"a": "1", "b": "2"})
    assert await response.get_data(as_text=True) == "['a', 'b'] []"
    body = multipart({"a": "1"}, {})
    response = await client.post(
        "/upload", data=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    )
    assert await response.get_data(as_text=True) == "['a'] []"
    assert torn_down == [None, None]
    assert seen == []
