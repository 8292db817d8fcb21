"""The ``--reload`` file watcher: which files to watch for an app, and which one changed."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from erlen import Erlen

_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "dist-packages", "build", "dist"}


class FileWatcher:
    """Modification times of the watched files; :meth:`changed` names one that changed."""

    def __init__(
        self, code_roots: Iterable[str], asset_roots: Iterable[str], files: Iterable[str] = ()
    ) -> None:
        self.code_roots = sorted({os.path.abspath(p) for p in code_roots if os.path.isdir(p)})
        self.asset_roots = sorted({os.path.abspath(p) for p in asset_roots if os.path.isdir(p)})
        self.files = sorted({os.path.abspath(p) for p in files})
        self._mtimes = self._scan()

    def _paths(self) -> Iterator[str]:
        for root in self.code_roots:
            yield from _walk(root, (".py",))
        for root in self.asset_roots:
            yield from _walk(root, None)
        yield from self.files

    def _scan(self) -> dict[str, int]:
        mtimes = {}
        for path in self._paths():
            try:
                mtimes[path] = os.stat(path).st_mtime_ns
            except OSError:
                continue
        return mtimes

    def __len__(self) -> int:
        return len(self._mtimes)

    def changed(self) -> str | None:
        """The first added, removed or modified file since the last call, or None."""
        current = self._scan()
        previous, self._mtimes = self._mtimes, current
        for path, mtime in current.items():
            if previous.get(path) != mtime:
                return path
        for path in previous:
            if path not in current:
                return path
        return None


def _walk(root: str, suffixes: tuple[str, ...] | None) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        # Prune hidden folders, caches and virtualenvs: they are large and never app code.
        dirnames[:] = [
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in _SKIP_DIRS
            and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))
        ]
        for name in filenames:
            if suffixes is None or name.endswith(suffixes):
                yield os.path.join(dirpath, name)


def watch_paths(app: Erlen) -> tuple[list[str], list[str]]:
    """The code roots and template folders of ``app`` and its blueprints."""
    code = [app.root_path]
    assets = []
    for scaffold in (app, *app.blueprints.values()):
        if scaffold.root_path and scaffold.root_path != app.root_path:
            code.append(scaffold.root_path)
        folder = getattr(scaffold, "template_folder", None)
        if folder:
            assets.append(os.path.join(scaffold.root_path, folder))
    return code, assets
