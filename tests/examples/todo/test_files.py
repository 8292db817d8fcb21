"""Attachments (upload with ``request.files``, download with ``send_from_directory``)
and the streamed CSV export."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage


def _file(content: bytes, filename: str) -> dict[str, FileStorage]:
    return {"attachment": FileStorage(io.BytesIO(content), filename=filename)}


async def test_upload_then_download(logged_in, page) -> None:
    await logged_in.post("/todos", form={"title": "Read notes"})
    response = await logged_in.post(
        "/todos/1/attachment", files=_file(b"line one\nline two\n", "my notes.txt")
    )
    assert response.status_code == 302
    body = await page(await logged_in.get("/"))
    assert "Attached my_notes.txt." in body
    assert '<a href="/todos/1/attachment">my_notes.txt</a>' in body

    response = await logged_in.get("/todos/1/attachment")
    assert response.status_code == 200
    assert await response.get_data() == b"line one\nline two\n"
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"] == "attachment; filename=my_notes.txt"


async def test_dangerous_filenames_stay_in_the_upload_folder(logged_in, config) -> None:
    await logged_in.post("/todos", form={"title": "Sneaky"})
    await logged_in.post("/todos/1/attachment", files=_file(b"x", "../../etc/passwd"))
    response = await logged_in.get("/todos/1/attachment")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=etc_passwd"


async def test_upload_without_a_file(logged_in, page) -> None:
    await logged_in.post("/todos", form={"title": "Nothing attached"})
    response = await logged_in.post(
        "/todos/1/attachment", form={"other": "field"}, follow_redirects=True
    )
    assert "Choose a file to attach." in await page(response)
    assert (await logged_in.get("/todos/1/attachment")).status_code == 404


async def test_upload_needs_a_login(client) -> None:
    response = await client.post("/todos/1/attachment", files=_file(b"x", "a.txt"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


async def test_upload_to_a_missing_todo_is_404(logged_in) -> None:
    response = await logged_in.post("/todos/5/attachment", files=_file(b"x", "a.txt"))
    assert response.status_code == 404


async def test_csv_export_streams_every_todo(client) -> None:
    for title in ("Plain", "With, comma", 'With "quotes"'):
        await client.post("/api/todos", json={"title": title})
    await client.patch("/api/todos/1", json={"done": True})
    response = await client.get("/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="todos.csv"'
    assert await response.get_data(as_text=True) == (
        'id,title,done\r\n1,Plain,yes\r\n2,"With, comma",no\r\n3,"With ""quotes""",no\r\n'
    )


async def test_csv_export_of_nothing_is_just_the_header(client) -> None:
    response = await client.get("/export.csv")
    assert await response.get_data() == b"id,title,done\r\n"


async def test_csv_export_filter_is_read_while_streaming(client) -> None:
    for title in ("A", "B", "C"):
        await client.post("/api/todos", json={"title": title})
    await client.patch("/api/todos/2", json={"done": True})
    response = await client.get("/export.csv?done=no")
    assert await response.get_data(as_text=True) == "id,title,done\r\n1,A,no\r\n3,C,no\r\n"
    response = await client.get("/export.csv", query_string={"done": "yes"})
    assert await response.get_data(as_text=True) == "id,title,done\r\n2,B,yes\r\n"


async def test_too_large_upload_is_413(logged_in) -> None:
    await logged_in.post("/todos", form={"title": "Big"})
    big = b"x" * (1024 * 1024 + 1)
    response = await logged_in.post("/todos/1/attachment", files=_file(big, "big.bin"))
    assert response.status_code == 413
    assert (await logged_in.get("/todos/1/attachment")).status_code == 404
