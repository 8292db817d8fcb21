"""Configurable limits: MAX_CONTENT_LENGTH, BODY_TIMEOUT, MAX_FORM_PARTS, MAX_FORM_MEMORY_SIZE."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from erlen import Erlen, request
from erlen.testing import make_test_scope
from werkzeug.datastructures import FileStorage, Headers


def make_app(**config: Any) -> Erlen:
    app = Erlen(__name__)
    app.config.update(config)

    @app.route("/data", methods=["POST"])
    async def data() -> str:
        return str(len(await request.get_data()))

    @app.route("/stream", methods=["POST"])
    async def stream() -> str:
        total = 0
        async for chunk in request.body:
            total += len(chunk)
        return str(total)

    @app.route("/form", methods=["POST"])
    async def form() -> str:
        return str(len(await request.form))

    @app.route("/files", methods=["POST"])
    async def files() -> str:
        return str(len(await request.files))

    @app.route("/raise-limit", methods=["POST"])
    async def raise_limit() -> str:
        request.max_content_length = 1000
        return str(len(await request.get_data()))

    @app.route("/ignore", methods=["POST"])
    async def ignore() -> str:
        return "did not read"

    return app


class Receiver:
    """An ASGI ``receive`` that hands out body chunks, counting how many were taken."""

    def __init__(
        self, chunks: list[bytes], stall_after: int | None = None, delay: float = 0
    ) -> None:
        self.chunks = list(chunks)
        self.taken = 0
        self.stall_after = stall_after
        self.delay = delay
        self.done = asyncio.Event()

    async def __call__(self) -> dict[str, Any]:
        if self.delay and self.chunks:
            await asyncio.sleep(self.delay)
        if self.stall_after is not None and self.taken >= self.stall_after:
            await self.done.wait()
            return {"type": "http.disconnect"}
        if self.chunks:
            self.taken += 1
            chunk = self.chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}
        await self.done.wait()
        return {"type": "http.disconnect"}


async def drive(
    app: Erlen, path: str, receiver: Receiver, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, bytes]:
    out: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")
            if not message.get("more_body"):
                receiver.done.set()

    scope = make_test_scope("http", path, "POST", Headers(), b"", "http", "", "1.1")
    scope["headers"] = [(b"host", b"localhost"), *(headers or [])]  # raw pairs
    await asyncio.wait_for(app(scope, receiver, send), 5)
    return out["status"], out["body"]


def test_default_limits() -> None:
    config = Erlen(__name__).config
    assert config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert config["BODY_TIMEOUT"] == 60
    assert config["RESPONSE_TIMEOUT"] == 60
    assert config["MAX_FORM_MEMORY_SIZE"] == 500_000
    assert config["MAX_FORM_PARTS"] == 1_000


async def test_body_within_limit_is_accepted() -> None:
    app = make_app(MAX_CONTENT_LENGTH=100)
    response = await app.test_client().post("/data", data=b"x" * 100)
    assert (response.status_code, await response.get_data()) == (200, b"100")


async def test_declared_content_length_over_limit_is_413_without_reading() -> None:
    app = make_app(MAX_CONTENT_LENGTH=100)
    receiver = Receiver([b"x" * 50] * 1000)
    status, _body = await drive(app, "/data", receiver, [(b"content-length", b"50000")])
    assert status == 413
    assert receiver.taken == 0


async def test_chunked_body_over_limit_is_413_while_streaming() -> None:
    app = make_app(MAX_CONTENT_LENGTH=100)
    receiver = Receiver([b"x" * 30] * 1000)  # no Content-Length: counted as it arrives
    status, _body = await drive(app, "/data", receiver)
    assert status == 413
    assert receiver.taken == 4  # stopped at the chunk that crossed the limit


async def test_streamed_body_over_limit_is_413() -> None:
    app = make_app(MAX_CONTENT_LENGTH=100)
    receiver = Receiver([b"x" * 30] * 1000)
    status, _body = await drive(app, "/stream", receiver)
    assert status == 413
    assert receiver.taken == 4


async def test_lying_content_length_is_still_counted() -> None:
    app = make_app(MAX_CONTENT_LENGTH=100)
    receiver = Receiver([b"x" * 60] * 10)
    status, _body = await drive(app, "/data", receiver, [(b"content-length", b"10")])
    assert status == 413


async def test_limit_off_with_none() -> None:
    app = make_app(MAX_CONTENT_LENGTH=None)
    response = await app.test_client().post("/data", data=b"x" * 100_000)
    assert await response.get_data() == b"100000"


async def test_view_can_change_the_limit() -> None:
    app = make_app(MAX_CONTENT_LENGTH=10)
    response = await app.test_client().post("/raise-limit", data=b"x" * 500)
    assert await response.get_data() == b"500"


async def test_unread_big_body_does_not_fail_the_view() -> None:
    app = make_app(MAX_CONTENT_LENGTH=10)
    response = await app.test_client().post("/ignore", data=b"x" * 500)
    assert response.status_code == 200


async def test_test_client_oversized_body_is_413() -> None:
    app = make_app(MAX_CONTENT_LENGTH=1024)
    response = await app.test_client().post("/data", data=b"x" * 2048)
    assert response.status_code == 413


async def test_slow_body_is_408() -> None:
    app = make_app(BODY_TIMEOUT=0.1)
    receiver = Receiver([b"a", b"b", b"c"], stall_after=1)
    status, _body = await drive(app, "/data", receiver)
    assert status == 408


async def test_slow_streamed_body_is_408() -> None:
    app = make_app(BODY_TIMEOUT=0.1)
    receiver = Receiver([b"a", b"b"], stall_after=0)
    status, _body = await drive(app, "/stream", receiver)
    assert status == 408


async def test_trickled_body_read_whole_is_408_within_body_timeout() -> None:
    # Each chunk comes well within BODY_TIMEOUT, but the whole body does not: a client
    # trickling bytes cannot hold a request open forever (Quart's rule for reading whole).
    app = make_app(BODY_TIMEOUT=0.25)
    status, _body = await drive(app, "/data", Receiver([b"a"] * 20, delay=0.05))
    assert status == 408
    form_headers = [(b"content-type", b"multipart/form-data; boundary=x")]
    status, _body = await drive(app, "/form", Receiver([b"a"] * 20, delay=0.05), form_headers)
    assert status == 408


async def test_streaming_bounds_each_chunk_not_the_whole_body() -> None:
    app = make_app(BODY_TIMEOUT=0.25)
    status, body = await drive(app, "/stream", Receiver([b"a"] * 10, delay=0.05))
    assert (status, body) == (200, b"10")


async def test_max_form_parts_is_413() -> None:
    app = make_app(MAX_FORM_PARTS=3)
    client = app.test_client()
    ok = await client.post("/form", form={"a": "1", "b": "2"})
    assert (ok.status_code, await ok.get_data()) == (200, b"2")
    response = await client.post("/form", form={k: "v" for k in "abcdefgh"})
    assert response.status_code == 413
    files = {k: FileStorage(io.BytesIO(b"x"), f"{k}.txt") for k in "abcde"}
    response = await client.post("/files", files=files)
    assert response.status_code == 413


async def test_max_form_memory_size_is_413() -> None:
    app = make_app(MAX_FORM_MEMORY_SIZE=1000)
    client = app.test_client()
    assert (await client.post("/form", form={"a": "x" * 100})).status_code == 200
    assert (await client.post("/form", form={"a": "x" * 5000})).status_code == 413
    files = {"f": FileStorage(io.BytesIO(b"y" * 100), "f.txt")}
    response = await client.post("/form", form={"a": "x" * 5000}, files=files)
    assert response.status_code == 413


async def test_max_form_memory_size_does_not_limit_files() -> None:
    app = make_app(MAX_FORM_MEMORY_SIZE=1000)
    files = {"f": FileStorage(io.BytesIO(b"y" * 200_000), "f.bin")}
    response = await app.test_client().post("/files", files=files)
    assert (response.status_code, await response.get_data()) == (200, b"1")


@pytest.mark.parametrize("size", [10, 1000])
async def test_response_timeout_stops_a_stalled_stream(size: int) -> None:
    app = Erlen(__name__)
    app.config["RESPONSE_TIMEOUT"] = 0.2

    @app.route("/slow")
    async def slow() -> Any:
        async def gen() -> Any:
            yield b"x" * size
            await asyncio.sleep(30)
            yield b"never"

        return gen()

    response = await asyncio.wait_for(app.test_client().get("/slow"), 5)
    assert await response.get_data() == b"x" * size


async def test_multipart_is_parsed_as_it_streams() -> None:
    # Too many parts is detected from the first chunks: the parser never waited for the
    # rest of the body, which proves it works on the stream rather than a buffered copy.
    app = make_app(MAX_FORM_PARTS=3)
    part = b'--B\r\nContent-Disposition: form-data; name="f"\r\n\r\nvalue\r\n'
    chunks = [part] * 1000 + [b"--B--\r\n"]
    headers = [(b"content-type", b"multipart/form-data; boundary=B")]
    receiver = Receiver(chunks)
    status, _body = await drive(app, "/form", receiver, headers)
    assert status == 413
    assert receiver.taken < 10


async def test_oversized_multipart_field_is_413_before_the_body_ends() -> None:
    app = make_app(MAX_FORM_MEMORY_SIZE=1000)
    head = b'--B\r\nContent-Disposition: form-data; name="big"\r\n\r\n'
    chunks = [head] + [b"x" * 500] * 1000
    headers = [(b"content-type", b"multipart/form-data; boundary=B")]
    receiver = Receiver(chunks)
    status, _body = await drive(app, "/form", receiver, headers)
    assert status == 413
    assert receiver.taken < 10
