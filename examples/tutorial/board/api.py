"""A JSON API over the same data: errors are JSON too."""

from __future__ import annotations

from typing import Any

from erlen import Blueprint, abort, g, request
from werkzeug.exceptions import HTTPException

from . import posts

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.errorhandler(HTTPException)
async def json_error(error: HTTPException) -> Any:
    """Answer errors raised in this blueprint's views as ``{"error": ..., "message": ...}``."""
    return {"error": error.name, "message": error.description}, error.code


@bp.get("/posts")
async def list_posts() -> dict[str, Any]:
    """The latest posts."""
    return {"posts": await posts.latest_posts()}


@bp.get("/posts/<int:post_id>")
async def get_post(post_id: int) -> dict[str, Any]:
    """One post, or 404."""
    post = await posts.get_post(post_id)
    if post is None:
        abort(404, f"There is no post {post_id}.")
    return post


@bp.post("/posts")
async def create_post() -> tuple[dict[str, Any], int]:
    """Post ``{"body": "..."}`` as the logged-in user: 201 with the new post."""
    if g.user is None:
        abort(401, "Log in first.")
    data = await request.get_json()
    body = data.get("body") if isinstance(data, dict) else None
    if not isinstance(body, str):
        abort(400, 'Send a JSON object: {"body": "..."}.')
    error = posts.check_body(body)
    if error is not None:
        abort(400, error)
    return await posts.add_post(g.user, body), 201
