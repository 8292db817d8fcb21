"""The JSON API under ``/api``: class-based views, JSON errors."""

from __future__ import annotations

from typing import Any

from erlen import Blueprint, abort, current_app, jsonify, request, url_for
from erlen.utils import run_sync
from erlen.views import MethodView
from werkzeug.exceptions import HTTPException

from .live import broadcast
from .store import get_store

api = Blueprint("api", __name__)


class ValidationError(Exception):
    """A request body the API cannot accept; answered with 400 and the message."""


@api.errorhandler(ValidationError)
async def invalid_body(error: ValidationError) -> Any:
    return jsonify(error="bad_request", message=str(error)), 400


# 400 and 404 by code as well: a handler registered by code (the app's HTML 404 page) is
# preferred to one registered by class, even the blueprint's.
@api.errorhandler(400)
@api.errorhandler(404)
@api.errorhandler(HTTPException)
async def http_error(error: HTTPException) -> Any:
    # abort(404), malformed JSON (400), a wrong method (405)... as JSON, not HTML.
    name = (error.name or "error").lower().replace(" ", "_")
    return jsonify(error=name, message=error.description), error.code


async def _todo_fields(partial: bool) -> dict[str, Any]:
    data = await request.get_json()  # malformed JSON raises a 400 (BadRequest)
    if not isinstance(data, dict):
        raise ValidationError("expected a JSON object")
    unknown = set(data) - {"title", "done"}
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {}
    if "title" in data or not partial:
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ValidationError("title must be a non-empty string")
        if len(title) > current_app.config["MAX_TITLE_LENGTH"]:
            raise ValidationError("title is too long")
        fields["title"] = title.strip()
    if "done" in data:
        if not isinstance(data["done"], bool):
            raise ValidationError("done must be true or false")
        fields["done"] = data["done"]
    return fields


class TodoList(MethodView):
    """``/api/todos``: list and create."""

    async def get(self) -> Any:
        return jsonify(todos=await run_sync(get_store().all)())

    async def post(self) -> Any:
        fields = await _todo_fields(partial=False)
        todo = await run_sync(get_store().add)(**fields)
        await broadcast("created", todo)
        location = url_for("api.todo", todo_id=todo["id"])
        return jsonify(todo), 201, {"Location": location}


class TodoItem(MethodView):
    """``/api/todos/<id>``: read, change, delete."""

    async def get(self, todo_id: int) -> Any:
        todo = await run_sync(get_store().get)(todo_id)
        if todo is None:
            abort(404)
        return jsonify(todo)

    async def patch(self, todo_id: int) -> Any:
        if await run_sync(get_store().get)(todo_id) is None:
            abort(404)
        fields = await _todo_fields(partial=True)
        todo = await run_sync(get_store().update)(todo_id, **fields)
        await broadcast("updated", todo)
        return jsonify(todo)

    async def delete(self, todo_id: int) -> Any:
        todo = await run_sync(get_store().get)(todo_id)
        if todo is None or not await run_sync(get_store().delete)(todo_id):
            abort(404)
        await broadcast("deleted", todo)
        return "", 204


api.add_url_rule("/todos", view_func=TodoList.as_view("todos"))
api.add_url_rule("/todos/<int:todo_id>", view_func=TodoItem.as_view("todo"))


@api.get("/stats")
async def stats() -> Any:
    """Counters kept by signal receivers."""
    return jsonify(
        requests_finished=current_app.extensions["todo.stats"]["requests_finished"],
        live_clients=len(current_app.extensions["todo.clients"]),
    )
