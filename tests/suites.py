"""List the test suites that run alone, each with the plugins it declares.

Every ``tests/core`` and ``tests/plugins/<name>`` folder declares in its ``conftest.py``
``ERLEN_SUITE_PLUGINS = (...)``: the plugins its tests need. ``.ci/run`` runs each suite
alone with exactly those as the default plugins (``ERLEN_PLUGINS``), so a suite that
leans on a plugin it did not declare fails there.

``python tests/suites.py`` prints one line per suite: ``FOLDER PLUGIN,PLUGIN``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
DECLARATION = "ERLEN_SUITE_PLUGINS"


def suite_folders() -> list[Path]:
    """``tests/core`` and every ``tests/plugins/<name>`` folder holding tests."""
    plugins = sorted(p for p in (TESTS / "plugins").iterdir() if any(p.glob("test_*.py")))
    return [TESTS / "core", *plugins]


def declared_plugins(folder: Path) -> tuple[str, ...]:
    """The ``ERLEN_SUITE_PLUGINS`` tuple of ``folder/conftest.py`` (read, not imported)."""
    conftest = folder / "conftest.py"
    if not conftest.exists():
        raise LookupError(f"{conftest} is missing: it must declare {DECLARATION}")
    for node in ast.parse(conftest.read_text()).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == DECLARATION for t in targets):
                value = ast.literal_eval(node.value) if node.value is not None else None
                if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                    raise TypeError(f"{conftest}: {DECLARATION} must be a tuple of names")
                return value
    raise LookupError(f"{conftest} does not declare {DECLARATION}")


def main() -> int:
    """Print ``FOLDER PLUGINS`` per suite, folders relative to the repository."""
    root = TESTS.parent
    for folder in suite_folders():
        print(folder.relative_to(root).as_posix(), ",".join(declared_plugins(folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
