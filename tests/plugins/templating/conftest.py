"""Fixtures for the templating plugin's tests: apps rooted in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from erlen import Erlen

#: The plugins this suite needs. ``.ci/run`` runs the suite alone with exactly these as
#: the default plugins (``ERLEN_PLUGINS``; ``python tests/suites.py`` lists them).
ERLEN_SUITE_PLUGINS = ("templating", "testing")

WriteTemplates = Callable[..., Path]


@pytest.fixture
def write_templates(tmp_path: Path) -> WriteTemplates:
    """``write_templates({"name.html": source}, folder="templates")`` writes template
    files under ``tmp_path / folder`` and returns that folder."""

    def write(files: dict[str, str], folder: str = "templates") -> Path:
        root = tmp_path / folder
        for name, source in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source, encoding="utf-8")
        return root

    return write


@pytest.fixture
def app(tmp_path: Path) -> Erlen:
    """An app whose ``templates/`` folder is ``tmp_path / "templates"``."""
    return Erlen(__name__, root_path=str(tmp_path))
