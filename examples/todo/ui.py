"""The HTML pages: the list, its forms, login/logout, attachments and the CSV export."""

from __future__ import annotations

import csv
import functools
import io
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from erlen import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    stream_with_context,
    url_for,
)
from erlen.utils import run_sync
from werkzeug.security import check_password_hash
from werkzeug.utils import secure_filename

from .live import broadcast
from .store import get_store

ui = Blueprint("ui", __name__, template_folder="templates")


@ui.before_app_request
async def load_user() -> None:
    """Put the logged-in user's name (or ``None``) on ``g.user`` for every request."""
    name = session.get("user")
    g.user = name if name in current_app.config["USERS"] else None


def login_required(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Send anonymous users to the login page, and back here afterwards."""

    @functools.wraps(view)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            await flash("Please log in first.", "error")
            return redirect(url_for("ui.login", next=request.path))
        return await view(*args, **kwargs)

    return wrapped


@ui.app_context_processor
async def open_count() -> dict[str, Any]:
    """How many todos are still open, for the navigation bar of every page."""
    store = current_app.extensions.get("todo.store")
    todos = await run_sync(store.all)() if store is not None else []
    return {"open_count": sum(not todo["done"] for todo in todos)}


@ui.app_template_filter("plural")
def plural(count: int, word: str) -> str:
    """``{{ 3|plural("todo") }}`` -> ``3 todos``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@ui.app_errorhandler(404)
async def page_not_found(error: Exception) -> Any:
    return await render_template("404.html"), 404


@ui.get("/")
async def index() -> str:
    todos = await run_sync(get_store().all)()
    show = request.args.get("show", "all")
    if show in ("open", "done"):
        todos = [todo for todo in todos if todo["done"] == (show == "done")]
    return await render_template("index.html", todos=todos, show=show)


@ui.get("/theme/<any(light, dark):name>")
async def theme(name: str) -> Any:
    """Remember the colour theme in a plain cookie for a year."""
    response = await make_response(redirect(url_for("ui.index")))
    response.set_cookie("theme", name, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@ui.post("/todos")
@login_required
async def add() -> Any:
    form = await request.form
    title = form.get("title", "").strip()
    if not title:
        await flash("A todo needs a title.", "error")
    elif len(title) > current_app.config["MAX_TITLE_LENGTH"]:
        await flash("That title is too long.", "error")
    else:
        todo = await run_sync(get_store().add)(title)
        await broadcast("created", todo)
        await flash(f"Added “{title}”.", "info")
    return redirect(url_for("ui.index"))


async def _todo_or_404(todo_id: int) -> dict[str, Any]:
    todo = await run_sync(get_store().get)(todo_id)
    if todo is None:
        abort(404)
    return todo


@ui.post("/todos/<int:todo_id>/toggle")
@login_required
async def toggle(todo_id: int) -> Any:
    todo = await _todo_or_404(todo_id)
    todo = await run_sync(get_store().update)(todo_id, done=not todo["done"])
    await broadcast("updated", todo)
    await flash(f"Marked “{todo['title']}” as {'done' if todo['done'] else 'not done'}.")
    return redirect(url_for("ui.index"))


@ui.post("/todos/<int:todo_id>/delete")
@login_required
async def delete(todo_id: int) -> Any:
    todo = await _todo_or_404(todo_id)
    await run_sync(get_store().delete)(todo_id)
    await broadcast("deleted", todo)
    await flash(f"Deleted “{todo['title']}”.")
    return redirect(url_for("ui.index"))


def _attachment_folder(todo_id: int) -> str:
    return os.path.join(current_app.config["UPLOAD_FOLDER"], str(todo_id))


@ui.post("/todos/<int:todo_id>/attachment")
@login_required
async def upload(todo_id: int) -> Any:
    await _todo_or_404(todo_id)
    files = await request.files
    upload = files.get("attachment")
    filename = secure_filename(upload.filename or "") if upload is not None else ""
    if not filename:
        await flash("Choose a file to attach.", "error")
        return redirect(url_for("ui.index"))
    folder = _attachment_folder(todo_id)
    os.makedirs(folder, exist_ok=True)
    await upload.save(os.path.join(folder, filename))
    todo = await run_sync(get_store().update)(todo_id, attachment=filename)
    await broadcast("updated", todo)
    await flash(f"Attached {filename}.")
    return redirect(url_for("ui.index"))


@ui.get("/todos/<int:todo_id>/attachment")
async def download(todo_id: int) -> Any:
    todo = await _todo_or_404(todo_id)
    if not todo["attachment"]:
        abort(404)
    return await send_from_directory(
        _attachment_folder(todo_id), todo["attachment"], as_attachment=True
    )


@ui.get("/export.csv")
async def export() -> Any:
    """All todos as CSV (``?done=yes`` or ``no`` to filter), streamed row by row."""
    todos = await run_sync(get_store().all)()

    @stream_with_context
    async def rows() -> AsyncIterator[bytes]:
        # stream_with_context: the generator runs after the view returned, and still
        # reads the request.
        wanted = request.args.get("done")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "title", "done"])
        yield _take(buffer)
        for todo in todos:
            done = "yes" if todo["done"] else "no"
            if wanted in (None, done):
                writer.writerow([todo["id"], todo["title"], done])
                yield _take(buffer)

    headers = {"Content-Disposition": 'attachment; filename="todos.csv"'}
    return rows(), 200, {"Content-Type": "text/csv; charset=utf-8", **headers}


def _take(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data


@ui.route("/login", methods=["GET", "POST"])
async def login() -> Any:
    if request.method == "POST":
        form = await request.form
        username = form.get("username", "")
        password_hash = current_app.config["USERS"].get(username)
        if password_hash and check_password_hash(password_hash, form.get("password", "")):
            session.clear()
            session["user"] = username
            # "Remember me": a cookie that outlives the browser (PERMANENT_SESSION_LIFETIME).
            session.permanent = form.get("remember") == "on"
            await flash(f"Welcome back, {username}!")
            next_url = request.args.get("next", "")
            # Only local paths: never redirect to another site ("//host" and "/\\host"
            # are other sites to a browser).
            if not next_url.startswith("/") or next_url[1:2] in ("/", "\\"):
                next_url = url_for("ui.index")
            return redirect(next_url)
        await flash("Wrong username or password.", "error")
        return await render_template("login.html"), 401
    return await render_template("login.html")


@ui.post("/logout")
async def logout() -> Any:
    session.pop("user", None)
    await flash("You are logged out.")
    return redirect(url_for("ui.index"))
