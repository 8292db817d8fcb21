"""The debug traceback page (``erlen.debug``): the exception chain, each frame's source, the
request, everything escaped."""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
from typing import Any

import pytest
from erlen import Erlen
from erlen.debug import traceback_page, traceback_response


def _raise_chain() -> BaseException:
    def load(key: str) -> str:
        return {"a": "1"}[key]

    try:
        try:
            load("<missing>")
        except KeyError as exc:
            raise RuntimeError("could not load the <settings>") from exc
    except RuntimeError as error:
        return error
    raise AssertionError("unreachable")


def test_the_page_shows_the_chain_with_source_escaped() -> None:
    page = traceback_page(_raise_chain())
    assert "<title>RuntimeError // Erlen debugger</title>" in page
    assert "could not load the &lt;settings&gt;" in page
    assert "<settings>" not in page
    # Oldest first, linked as Python links them.
    key_error = page.index("KeyError: &#39;&lt;missing&gt;&#39;")
    cause = page.index("The above exception was the direct cause of the following exception:")
    runtime = page.index("<h2>RuntimeError: could not load the &lt;settings&gt;</h2>")
    assert key_error < cause < runtime
    # The failing line of each frame, with its number and source.
    assert "in <b>load</b>" in page
    assert "return {&#34;a&#34;: &#34;1&#34;}[key]" in page
    assert '<span class="line">' in page
    assert "<script" not in page


async def test_the_response_is_a_500_with_the_request() -> None:
    app = Erlen(__name__)
    async with app.test_request_context("/orders?id=<7>", headers={"X-Token": "t<1>"}):
        response = await traceback_response(ValueError("bad <id>"))
        body = await response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<h2>Request</h2>" in body
    assert "<th>URL</th><td>http://localhost/orders?id=&lt;7&gt;</td>" in body
    assert "<th>Header X-Token</th><td>t&lt;1&gt;</td>" in body
    assert "<th>Query id</th><td>&lt;7&gt;</td>" in body
    assert "debug mode" in body


def test_outside_a_request_the_page_has_no_request_section() -> None:
    assert "<h2>Request</h2>" not in traceback_page(ValueError("x"))


def _failing_app(**config: object) -> Erlen:
    app = Erlen(__name__)
    app.config.update(config)

    @app.route("/boom")
    async def boom() -> str:
        raise LookupError("no <row> 7")

    return app


async def test_debug_mode_answers_an_unhandled_error_with_the_page(caplog: Any) -> None:
    app = _failing_app(DEBUG=True)
    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/boom")
    assert response.status_code == 500
    body = await response.get_data(as_text=True)
    assert "<title>LookupError // Erlen debugger</title>" in body
    assert "no &lt;row&gt; 7" in body
    assert "in <b>boom</b>" in body
    assert [r.getMessage() for r in caplog.records] == ["Exception on request GET /boom"]


async def test_without_debug_the_error_is_the_plain_500() -> None:
    response = await _failing_app().test_client().get("/boom")
    assert response.status_code == 500
    body = await response.get_data(as_text=True)
    assert "Erlen debugger" not in body and "LookupError" not in body


async def test_testing_mode_answers_with_the_page_too() -> None:
    # Quart 0.22's rule: the error propagates out of handle_request in testing or debug
    # mode, and the server side answers it with the traceback page.
    app = _failing_app(TESTING=True)
    response = await app.test_client().get("/boom")
    assert response.status_code == 500
    assert "<title>LookupError // Erlen debugger</title>" in await response.get_data(as_text=True)


async def test_propagate_exceptions_alone_lets_the_error_reach_the_server() -> None:
    app = _failing_app(PROPAGATE_EXCEPTIONS=True)
    with pytest.raises(LookupError):
        await app.test_client().get("/boom")


async def test_only_the_apps_own_frames_are_outlined() -> None:
    """The page outlines the app's frames, where the bug usually is; Erlen's own frames
    (even from an editable install, outside site-packages) and the standard library's are
    shown plain. It outlined every frame under the README's editable install."""
    app = Erlen(__name__)
    app.debug = True

    @app.route("/settings")
    async def settings() -> Any:
        return json.loads("{broken")  # fails inside the standard library's json

    response = await app.test_client().get("/settings")
    page = await response.get_data(as_text=True)
    frames = re.findall(r'<div class="(frame(?: app)?)"><div class="where">([^<]*)<b>(\w+)', page)
    outlined = [name for css, _, name in frames if css == "frame app"]
    plain = {(where.split(",")[0], name) for css, where, name in frames if css == "frame"}
    assert outlined == ["settings"]
    assert any(path.endswith(os.path.join("json", "decoder.py")) for path, _ in plain)
    assert any(name == "full_dispatch" for _, name in plain)  # Erlen's pipeline


def test_a_frame_without_source_shows_no_empty_lines() -> None:
    try:
        importlib.import_module("erlen_no_such_module_for_the_page")
    except ImportError as error:
        page = traceback_page(error)
    # The location line, then the frame's end: no <pre> of numbered empty lines.
    frozen = r"&lt;frozen importlib\._bootstrap&gt;, line \d+, in <b>\w+</b></div></div>"
    assert re.search(frozen, page)
    assert '<span class="no">' in page  # frames with source still show it
