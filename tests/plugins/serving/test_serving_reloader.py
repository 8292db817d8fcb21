"""What ``--reload`` watches: the app's Python files and template folders, plus extra files."""

from __future__ import annotations

import os
from pathlib import Path

from erlen import Blueprint, Erlen
from erlen.plugins.serving.reloader import FileWatcher, watch_paths


def touch(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def make_project(root: Path) -> Erlen:
    for relative in (
        "app.py",
        "views/users.py",
        "templates/index.html",
        "notes.txt",
        ".venv/lib/site.py",
        "__pycache__/app.cpython-311.pyc",
        "admin/templates/admin.html",
        "admin/__init__.py",
    ):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    app = Erlen("project", root_path=str(root))
    app.register_blueprint(
        Blueprint("admin", "admin", root_path=str(root / "admin"), template_folder="templates")
    )
    return app


def watcher_for(root: Path, extra: tuple[str, ...] = ()) -> FileWatcher:
    code, assets = watch_paths(make_project(root))
    return FileWatcher(code, assets, extra)


def test_python_files_and_templates_are_watched(tmp_path: Path) -> None:
    watcher = watcher_for(tmp_path)
    assert watcher.changed() is None
    for relative in ("views/users.py", "templates/index.html", "admin/templates/admin.html"):
        touch(tmp_path / relative)
        assert watcher.changed() == str(tmp_path / relative)
        assert watcher.changed() is None


def test_new_and_removed_files_count_as_changes(tmp_path: Path) -> None:
    watcher = watcher_for(tmp_path)
    (tmp_path / "views" / "orders.py").write_text("x")
    assert watcher.changed() == str(tmp_path / "views" / "orders.py")
    (tmp_path / "views" / "orders.py").unlink()
    assert watcher.changed() == str(tmp_path / "views" / "orders.py")


def test_other_files_caches_and_virtualenvs_are_not_watched(tmp_path: Path) -> None:
    watcher = watcher_for(tmp_path)
    for relative in ("notes.txt", ".venv/lib/site.py", "__pycache__/app.cpython-311.pyc"):
        touch(tmp_path / relative)
    assert watcher.changed() is None


def test_extra_files_are_watched(tmp_path: Path) -> None:
    settings = tmp_path / "notes.txt"
    watcher = watcher_for(tmp_path, (str(settings),))
    touch(settings)
    assert watcher.changed() == str(settings)
