"""The example chat in a real browser (Debian's chromium, driven by Playwright): two people
chat at phone width, see who comes and goes and when each message was sent, and the page
neither scrolls sideways nor logs an error.

``.ci/run`` installs chromium. Without it (or without the ``playwright`` package) the test
fails when ``CI`` or ``ERLEN_REQUIRE_BROWSER`` is set, and is skipped, saying why, on a
developer's machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 390, 740
TIMEOUT_MS = 10_000
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_or_reason() -> tuple[str | None, str]:
    path = os.environ.get("ERLEN_CHROMIUM") or shutil.which("chromium")
    path = path or shutil.which("chromium-browser")
    if path is None:
        return None, "no chromium (apt-get install chromium, or set ERLEN_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "the playwright package is not installed (pip install playwright)"
    return path, ""


@pytest.fixture(scope="module")
def chromium() -> str:
    path, reason = _browser_or_reason()
    if path is None:
        if os.environ.get("CI") or os.environ.get("ERLEN_REQUIRE_BROWSER"):
            pytest.fail(f"the browser test must run here: {reason}")
        pytest.skip(f"browser test not run: {reason}")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chat_server(tmp_path: Path) -> Iterator[str]:
    """The README's main job: ``kernel --app examples.chat:app run`` on a free port."""
    port = _free_port()
    log = tmp_path / "kernel.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("kernel")), "--app", "examples.chat:app", "run"]
            + ["--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(base + "/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "kernel run did not serve within 20 s"
            time.sleep(0.05)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _open_as(browser: Any, base: str, name: str, problems: list[str]) -> Any:
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    context.add_init_script(f"localStorage.setItem('chat-name', {name!r})")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.goto(base + "/")
    page.wait_for_selector("#state:text('Connected,')")
    return page


def _lines(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("#messages li").all_inner_texts()]


def test_two_people_chat_in_a_phone_sized_browser(chromium: str, chat_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            ann = _open_as(browser, chat_server, "Ann", problems)
            expect(ann.locator("#messages li").first).to_have_text("Connected! 1 user online.")
            bob = _open_as(browser, chat_server, "Bob", problems)
            expect(ann.locator("#messages li").last).to_have_text("Bob joined.")
            expect(ann.locator("#online")).to_have_text("2")
            assert ann.locator("#user").input_value() == "Ann"  # remembered by the page

            bob.fill("#message", "Hello Ann <b>not bold</b>")
            bob.click("text=Send")
            received = ann.locator("#messages li.message").last
            expect(received).to_contain_text("Bob: Hello Ann <b>not bold</b>")
            assert received.locator("b").count() == 0  # shown as text, never as HTML
            stamp = received.locator("time")
            assert len(stamp.inner_text()) >= 4  # "14:05" (the viewer's clock format)
            assert stamp.get_attribute("datetime")
            expect(bob.locator("#messages li.mine").last).to_contain_text(
                "Bob: Hello Ann <b>not bold</b>"
            )

            for page in (ann, bob):  # nothing cut off or scrolling sideways at 390 px
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
                    "the page scrolls sideways"
                )
                box = page.locator("button").bounding_box()
                assert box is not None and box["x"] + box["width"] <= WIDTH
            bob.context.close()
            expect(ann.locator("#messages li").last).to_have_text("Bob left.")
            expect(ann.locator("#online")).to_have_text("1")
        finally:
            browser.close()
    assert problems == [], problems  # no console error, no 404 (the favicon included)
