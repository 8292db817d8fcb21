"""The examples of the site's own pages (docs/index.md and the guides written for the
site: sessions, testing, configuration, deployment) run as documented."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

INDEX = "docs/index.md"


async def test_home_page_hello(run_example: Any) -> None:
    ns = run_example(INDEX, "hello")
    client = ns["app"].test_client()
    response = await client.get("/")
    assert await response.get_data(as_text=True) == "Hello, World!"
    async with client.websocket("/ws") as ws:
        await ws.send("ping")
        assert await ws.receive() == "ping"


SESSIONS = "docs/sessions.md"


async def test_session_counter_and_its_test(run_example: Any) -> None:
    ns = run_example(SESSIONS, "counter", "session-test")
    client = ns["app"].test_client()
    assert await (await client.get("/visits")).get_data(as_text=True) == "Visit number 1."
    response = await client.get("/visits")
    assert await response.get_data(as_text=True) == "Visit number 2."
    await ns["test_visits_count_up"]()


async def test_session_login_and_logout(run_example: Any) -> None:
    ns = run_example(SESSIONS, "counter", "login")
    client = ns["app"].test_client()
    response = await client.post("/login", form={"name": "ada", "password": "wrong"})
    assert response.status_code == 401
    response = await client.post("/login", form={"name": "ada", "password": "lovelace"})
    assert response.headers["Location"] == "/whoami"
    assert await (await client.get("/whoami")).get_data(as_text=True) == "ada"
    await client.post("/logout")
    assert await (await client.get("/whoami")).get_data(as_text=True) == "nobody"


async def test_permanent_session_cookie(run_example: Any) -> None:
    ns = run_example(SESSIONS, "counter", "permanent")
    response = await ns["app"].test_client().post("/remember-me")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    assert "HttpOnly" in cookie


TESTING = "docs/testing.md"


async def test_testing_guide_client_tests(run_example: Any) -> None:
    ns = run_example(TESTING, "fixtures")
    app = ns["create_app"]()  # what the page's `app` fixture returns
    await ns["test_hello"](app.test_client())
    await ns["test_add_item"](app.test_client())


async def test_testing_guide_websocket_tests(run_example: Any) -> None:
    ns = run_example(TESTING, "fixtures", "websocket")
    await ns["test_echo"]()
    await ns["test_refused"]()


async def test_testing_guide_lifespan_test(run_example: Any) -> None:
    ns = run_example(TESTING, "fixtures", "lifespan")
    await ns["test_startup_prepares_the_cache"]()


async def test_testing_guide_preserved_context(run_example: Any) -> None:
    ns = run_example(TESTING, "fixtures", "preserve-context")
    await ns["test_the_view_left_the_user_on_g"]()


async def test_testing_guide_live_server(run_example: Any, erlen_serve: Any) -> None:
    ns = run_example(TESTING, "fixtures", "live-server")
    async with erlen_serve(ns["create_app"]()) as base_url:
        await ns["test_served_for_real"](base_url)


def test_configuration_loaders(
    run_example: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text("PAGE_SIZE = 100\nIGNORED = 1\nlower = 2\n")
    monkeypatch.chdir(tmp_path)  # the example's module is not importable: Erlen uses the cwd
    monkeypatch.setenv("KERNEL_MAX_CONTENT_LENGTH", "1048576")
    monkeypatch.setenv("KERNEL_SECRET_KEY", "from the environment")
    ns = run_example("docs/configuration.md", "loaders")
    config = ns["app"].config
    assert ns["app"].instance_path == str(tmp_path / "instance")
    assert config["PAGE_SIZE"] == 100  # the instance file came after the object
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["MAX_CONTENT_LENGTH"] == 1048576
    assert config["SECRET_KEY"] == "from the environment"
    assert "lower" not in config


async def test_deployment_proxy_fix(run_example: Any) -> None:
    prelude = (
        "from erlen import Erlen, request, url_for\n"
        "app = Erlen(__name__)\n"
        "@app.route('/where')\n"
        "async def where():\n"
        "    return {'ip': request.remote_addr, 'scheme': request.scheme,\n"
        "            'url': url_for('where', _external=True)}\n"
    )
    ns = run_example("docs/deployment.md", "proxy-fix", prelude=prelude)
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    response = await ns["app"].test_client().get("/where", headers=headers)
    assert await response.get_json() == {
        "ip": "203.0.113.7",
        "scheme": "https",
        "url": "https://localhost/where",
    }
