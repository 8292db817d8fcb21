"""The names Quart's modules have that Erlen added for parity behave as Quart's do:
``erlen.helpers`` (A20), ``erlen.globals`` context proxies, ``erlen.utils`` task helpers,
``erlen.logging.LocalQueueHandler``, ``erlen.json.provider``, ``erlen.wrappers``."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import queue
import sys
from pathlib import Path
from typing import Any

import pytest
from erlen import Erlen, request, websocket
from erlen.globals import app_ctx, request_ctx, websocket_ctx
from erlen.helpers import (
    find_package,
    get_debug_flag,
    get_load_dotenv,
    get_root_path,
    locked_cached_property,
    safe_join,
    send_from_directory,
)
from erlen.json import DefaultJSONProvider as ExportedProvider
from erlen.json.provider import DefaultJSONProvider, JSONDecodeError, JSONProvider
from erlen.logging import LocalQueueHandler
from erlen.utils import cancel_tasks, file_path_to_path, raise_task_exceptions
from erlen.wrappers.request import SERVER_PUSH_HEADERS_TO_COPY
from erlen.wrappers.response import DataBody, FileBody, IOBody, IterableBody, ResponseBody
from werkzeug.exceptions import NotFound


def test_safe_join_refuses_paths_out_of_the_directory() -> None:
    assert safe_join("/srv/media", "a/b.png") == "/srv/media/a/b.png"
    assert safe_join("/srv/media", "../etc/passwd") is None
    assert safe_join("/srv/media", "/etc/passwd") is None


async def test_the_real_app_import_line_of_a20_works(tmp_path: Path) -> None:
    # quart-gaps.md A20: `from quart.helpers import safe_join, send_from_directory, url_for`.
    (tmp_path / "cat.png").write_bytes(b"png")
    app = Erlen(__name__)

    @app.route("/media/<path:name>")
    async def media(name: str) -> Any:
        if safe_join(str(tmp_path), name) is None:
            raise NotFound()
        return await send_from_directory(tmp_path, name)

    client = app.test_client()
    response = await client.get("/media/cat.png")
    assert response.status_code == 200
    assert await response.get_data() == b"png"
    assert (await client.get("/media/..%2Fsecret")).status_code == 404


def test_get_root_path_is_the_folder_of_the_module() -> None:
    assert get_root_path(__name__) == str(Path(__file__).parent)
    assert get_root_path("erlen") == os.path.dirname(sys.modules["erlen"].__file__ or "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("0", False), ("false", False), ("No", False), ("1", True)],
)
def test_get_debug_flag(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool) -> None:
    monkeypatch.delenv("ERLEN_DEBUG", raising=False)
    if value is None:
        monkeypatch.delenv("KERNEL_DEBUG", raising=False)
    else:
        monkeypatch.setenv("KERNEL_DEBUG", value)
    assert get_debug_flag() is expected
    assert Erlen(__name__).debug is expected  # the app reads the same flag


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [(None, True, True), (None, False, False), ("1", True, False), ("0", False, True)],
)
def test_get_load_dotenv(
    monkeypatch: pytest.MonkeyPatch, value: str | None, default: bool, expected: bool
) -> None:
    if value is None:
        monkeypatch.delenv("KERNEL_SKIP_DOTENV", raising=False)
    else:
        monkeypatch.setenv("KERNEL_SKIP_DOTENV", value)
    assert get_load_dotenv(default) is expected


def test_find_package() -> None:
    prefix, path = find_package("pytest")  # installed in the virtualenv
    assert prefix == Path(sys.prefix).resolve() or prefix == Path(os.path.abspath(sys.prefix))
    assert (path / "pytest").is_dir()
    assert find_package("not_a_module_anywhere") == (None, Path.cwd())


def test_locked_cached_property_is_a_property() -> None:
    class Thing:
        @locked_cached_property
        def answer(self) -> int:
            return 42

    assert Thing().answer == 42


async def test_context_proxies() -> None:
    app = Erlen(__name__)
    async with app.test_request_context("/path"):
        assert request_ctx.request is request._get_current_object()  # type: ignore[attr-defined]
        assert app_ctx.app is app
    for proxy in (app_ctx, request_ctx, websocket_ctx):
        with pytest.raises(RuntimeError, match="Working outside of"):
            proxy.app  # noqa: B018
    assert websocket is not None


async def test_cancel_tasks_cancels_and_raises_a_real_error() -> None:
    async def forever() -> None:
        await asyncio.sleep(60)

    async def fails() -> None:
        raise ValueError("boom")

    sleeper = asyncio.create_task(forever())
    await cancel_tasks({sleeper})
    assert sleeper.cancelled()

    failing = asyncio.create_task(fails())
    await asyncio.sleep(0)
    with pytest.raises(ValueError, match="boom"):
        await cancel_tasks([failing, asyncio.create_task(forever())])


async def test_raise_task_exceptions_ignores_clean_and_cancelled_tasks() -> None:
    async def ok() -> int:
        return 1

    done = asyncio.create_task(ok())
    await done
    cancelled = asyncio.create_task(asyncio.sleep(60))
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    raise_task_exceptions([done, cancelled])


def test_file_path_to_path_takes_bytes_and_str() -> None:
    assert file_path_to_path(b"/srv", "media", Path("a.png")) == Path("/srv/media/a.png")


def test_local_queue_handler_keeps_the_record_as_it_is() -> None:
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    logger = logging.getLogger("erlen.test.localqueue")
    logger.propagate = False
    handler = LocalQueueHandler(records)  # type: ignore[arg-type]
    logger.addHandler(handler)
    try:
        try:
            raise KeyError("k")
        except KeyError:
            logger.exception("failed %s", "here")
    finally:
        logger.removeHandler(handler)
    record = records.get_nowait()
    assert record.args == ("here",)
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    assert record.getMessage() == "failed here"


def test_json_provider_module_path() -> None:
    assert ExportedProvider is DefaultJSONProvider
    assert issubclass(DefaultJSONProvider, JSONProvider)
    provider = DefaultJSONProvider(Erlen(__name__))
    assert provider.loads(provider.dumps({"b": 1, "a": [2]})) == {"a": [2], "b": 1}
    with pytest.raises(JSONDecodeError):
        provider.loads("{nope")


async def test_every_body_class_is_a_response_body(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x")
    for body in (DataBody(b"x"), IterableBody([b"x"]), IOBody(io.BytesIO(b"x")), FileBody(path)):
        assert isinstance(body, ResponseBody)

    class Incomplete(ResponseBody):
        pass

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


def test_server_push_headers() -> None:
    assert {"accept", "accept-encoding", "user-agent"} <= set(SERVER_PUSH_HEADERS_TO_COPY)


def test_typing_hands_on_hypercorns_asgi_types_on_first_use() -> None:
    code = (
        "import sys, erlen, erlen.typing as t\n"
        "assert 'hypercorn.typing' not in sys.modules\n"
        "import hypercorn.typing as h\n"
        "assert t.HTTPScope is h.HTTPScope and t.WebsocketScope is h.WebsocketScope\n"
        "assert t.ASGIReceiveCallable is h.ASGIReceiveCallable\n"
        "print('ok')\n"
    )
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert proc.stdout == "ok\n", proc.stderr
    import erlen.typing

    with pytest.raises(AttributeError, match="no attribute 'NotAType'"):
        erlen.typing.NotAType  # noqa: B018
