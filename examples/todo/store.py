"""The todo store: a small sqlite3 database, used from async code through ``run_sync``."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from erlen import current_app

SCHEMA = """
CREATE TABLE IF NOT EXISTS todo (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    attachment TEXT
)
"""


class TodoStore:
    """Synchronous access to the todos table; one connection shared by the thread pool."""

    def __init__(self, path: str) -> None:
        # check_same_thread=False: run_sync calls come from several pool threads; the lock
        # makes sure only one of them uses the connection at a time.
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def all(self) -> list[dict[str, Any]]:
        """Every todo, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM todo ORDER BY id").fetchall()
        return [_to_dict(row) for row in rows]

    def get(self, todo_id: int) -> dict[str, Any] | None:
        """One todo, or ``None``."""
        with self._lock:
            row = self._db.execute("SELECT * FROM todo WHERE id = ?", (todo_id,)).fetchone()
        return None if row is None else _to_dict(row)

    def add(self, title: str, done: bool = False) -> dict[str, Any]:
        """Insert a todo and return it."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO todo (title, done) VALUES (?, ?)", (title, int(done))
            )
        return self.get(cursor.lastrowid)  # type: ignore[return-value]

    def update(self, todo_id: int, **fields: Any) -> dict[str, Any] | None:
        """Change ``title``, ``done`` or ``attachment``; return the todo (``None`` if gone)."""
        allowed = {key: fields[key] for key in ("title", "done", "attachment") if key in fields}
        if allowed:
            assignments = ", ".join(f"{key} = ?" for key in allowed)
            with self._lock, self._db:
                self._db.execute(
                    f"UPDATE todo SET {assignments} WHERE id = ?",
                    (*allowed.values(), todo_id),
                )
        return self.get(todo_id)

    def delete(self, todo_id: int) -> bool:
        """Delete a todo; ``False`` if there was none."""
        with self._lock, self._db:
            cursor = self._db.execute("DELETE FROM todo WHERE id = ?", (todo_id,))
        return cursor.rowcount > 0


def _to_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "done": bool(row["done"]),
        "attachment": row["attachment"],
    }


def get_store() -> TodoStore:
    """The store the app opened in ``before_serving``."""
    return current_app.extensions["todo.store"]
