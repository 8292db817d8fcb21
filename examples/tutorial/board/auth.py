"""Register, log in and out: the user's id lives in the signed session cookie."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from erlen import Blueprint, flash, g, redirect, render_template, request, session, url_for
from erlen.utils import run_sync
from werkzeug.security import check_password_hash, generate_password_hash

from . import db

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.before_app_request
async def load_logged_in_user() -> None:
    """Put the logged-in user (or ``None``) on ``g.user`` before every request."""
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        g.user = await db.fetch_one("SELECT id, username FROM user WHERE id = ?", user_id)


def login_required(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Send visitors who are not logged in to the login page."""

    @functools.wraps(view)
    async def wrapped_view(**kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.login"))
        return await view(**kwargs)

    return wrapped_view


@bp.route("/register", methods=["GET", "POST"])
async def register() -> Any:
    """Create an account."""
    if request.method == "POST":
        form = await request.form
        username = form.get("username", "").strip()
        password = form.get("password", "")
        if not username or not password:
            flash("Choose a username and a password.", "error")
        else:
            # Hashing takes tens of milliseconds on purpose: keep it off the event loop.
            password_hash = await run_sync(generate_password_hash)(password)
            try:
                await db.fetch_all(
                    "INSERT INTO user (username, password) VALUES (?, ?)",
                    username,
                    password_hash,
                )
            except sqlite3.IntegrityError:
                flash(f"The name {username} is taken.", "error")
            else:
                flash("Welcome! Log in to post.")
                return redirect(url_for("auth.login"))
    return await render_template("auth/register.html")


@bp.route("/login", methods=["GET", "POST"])
async def login() -> Any:
    """Check the password and remember the user in the session."""
    if request.method == "POST":
        form = await request.form
        user = await db.fetch_one(
            "SELECT id, password FROM user WHERE username = ?", form.get("username", "")
        )
        password = form.get("password", "")
        if user is None or not await run_sync(check_password_hash)(user["password"], password):
            flash("Wrong username or password.", "error")
        else:
            session.clear()
            session["user_id"] = user["id"]
            return redirect(url_for("posts.index"))
    return await render_template("auth/login.html")


@bp.post("/logout")
async def logout() -> Any:
    """Forget the user."""
    session.clear()
    return redirect(url_for("posts.index"))
