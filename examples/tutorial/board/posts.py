"""The board's pages: the latest posts, and a form to write one."""

from __future__ import annotations

from typing import Any

from erlen import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from . import db, live
from .auth import login_required

bp = Blueprint("posts", __name__)

LATEST = """
    SELECT post.id, body, created, username FROM post JOIN user ON post.author_id = user.id
"""


async def latest_posts(limit: int = 50) -> list[dict[str, Any]]:
    """The newest posts first."""
    return await db.fetch_all(LATEST + " ORDER BY post.id DESC LIMIT ?", limit)


async def get_post(post_id: int) -> dict[str, Any] | None:
    """One post, or ``None``."""
    return await db.fetch_one(LATEST + " WHERE post.id = ?", post_id)


def check_body(body: str) -> str | None:
    """What is wrong with a post's text, or ``None``."""
    if not body.strip():
        return "Write something first."
    limit = current_app.config["MAX_POST_LENGTH"]
    if len(body) > limit:
        return f"A post has at most {limit} characters."
    return None


async def add_post(author: dict[str, Any], body: str) -> dict[str, Any]:
    """Store a post and tell every live page about it."""
    rows = await db.fetch_all(
        "INSERT INTO post (author_id, body) VALUES (?, ?) RETURNING id",
        author["id"],
        body.strip(),
    )
    post = await get_post(rows[0]["id"])
    assert post is not None
    await live.announce(post)
    return post


@bp.route("/")
async def index() -> str:
    """The latest posts."""
    return await render_template("posts/index.html", posts=await latest_posts())


@bp.route("/create", methods=["GET", "POST"])
@login_required
async def create() -> Any:
    """Write a post."""
    if request.method == "POST":
        body = (await request.form).get("body", "")
        error = check_body(body)
        if error is None:
            await add_post(g.user, body)
            flash("Posted.")
            return redirect(url_for("posts.index"))
        flash(error, "error")
    return await render_template("posts/create.html")
