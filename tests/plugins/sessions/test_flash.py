"""``flash`` and ``get_flashed_messages``: categories, filters, one read per message."""

from __future__ import annotations

from typing import Any

import pytest
from erlen import Erlen, flash, get_flashed_messages, redirect, request


def make_app() -> Erlen:
    app = Erlen(__name__, static_folder=None)
    app.secret_key = "flash-secret"

    @app.route("/post")
    async def post() -> Any:
        await flash("saved")  # Quart's spelling
        flash("check your input", "warning")  # Flask's spelling works too
        flash("disk almost full", "error")
        return redirect("/show")

    @app.route("/show")
    async def show() -> Any:
        with_categories = request.args.get("categories") == "1"
        wanted = request.args.getlist("only")
        first = get_flashed_messages(with_categories=with_categories, category_filter=wanted)
        again = get_flashed_messages(with_categories=with_categories, category_filter=wanted)
        assert first == again  # stable for the rest of the request
        return {"messages": first}

    return app


async def test_messages_survive_a_redirect_and_are_read_once() -> None:
    client = make_app().test_client()
    response = await client.get("/post", follow_redirects=True)
    assert await response.get_json() == {
        "messages": ["saved", "check your input", "disk almost full"]
    }
    assert await (await client.get("/show")).get_json() == {"messages": []}


async def test_with_categories() -> None:
    client = make_app().test_client()
    await client.get("/post")
    response = await client.get("/show", query_string={"categories": "1"})
    assert await response.get_json() == {
        "messages": [
            ["message", "saved"],
            ["warning", "check your input"],
            ["error", "disk almost full"],
        ]
    }


async def test_category_filter_keeps_some_and_removes_all() -> None:
    client = make_app().test_client()
    await client.get("/post")
    response = await client.get(
        "/show", query_string=[("only", "warning"), ("only", "error"), ("categories", "1")]
    )
    assert await response.get_json() == {
        "messages": [["warning", "check your input"], ["error", "disk almost full"]]
    }
    assert await (await client.get("/show")).get_json() == {"messages": []}


async def test_filter_without_categories_returns_messages_only() -> None:
    client = make_app().test_client()
    await client.get("/post")
    response = await client.get("/show", query_string={"only": "message"})
    assert await response.get_json() == {"messages": ["saved"]}


async def test_no_flash_leaves_no_cookie() -> None:
    client = make_app().test_client()
    response = await client.get("/show")
    assert await response.get_json() == {"messages": []}
    assert "Set-Cookie" not in response.headers


async def test_flash_without_secret_key_fails_clearly() -> None:
    app = make_app()
    app.secret_key = None
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError, match="secret key"):
        await app.test_client().get("/post")


async def test_flash_from_a_sync_view() -> None:
    app = make_app()

    @app.route("/sync-post")
    def sync_post() -> Any:  # runs in a thread, with the request's session
        flash("from a thread", "info")
        return redirect("/show?categories=1")

    client = app.test_client()
    response = await client.get("/sync-post", follow_redirects=True)
    assert await response.get_json() == {"messages": [["info", "from a thread"]]}
