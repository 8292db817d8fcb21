"""docs/check_reference.py: the API reference must document every public name.

CI builds the site and runs the script on the built ``objects.inv`` (``.ci/run``): the
build takes ~16 s and needs the ``docs`` extra, too much for the README's test command.
These tests check the script itself, without Sphinx, and the built inventory when there is
one (CI builds the site before running the tests).
"""

from __future__ import annotations

import importlib.util
import zlib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_reference", ROOT / "docs" / "check_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_inventory(path: Path, names: list[str]) -> Path:
    header = b"# Sphinx inventory version 2\n# Project: t\n# Version: 0\n# zlib\n"
    body = "".join(f"{name} py:class 1 api.html#$ -\n" for name in names)
    path.write_bytes(header + zlib.compress(body.encode()))
    return path


def test_every_kind_of_public_name_is_checked(checker: ModuleType) -> None:
    paths, problems = checker.public_paths()
    assert problems == []
    for expected in (
        "erlen.Erlen",
        "erlen.request",
        "erlen.Websocket",
        "erlen.render_template",
        "erlen.testing.TestClient",
        "erlen.exceptions.NotFound",
        "erlen.views.MethodView",
        "erlen.plugins.json.MsgspecJSONProvider",
        "erlen.plugins.websocket.DEFAULTS",
    ):
        assert expected in paths
    assert "erlen.Any" not in paths and "erlen.annotations" not in paths


def test_a_missing_name_is_reported(checker: ModuleType, tmp_path: Path) -> None:
    paths = ["erlen.Erlen", "erlen.Blueprint", "erlen.testing.TestClient"]
    documented = checker.read_inventory(write_inventory(tmp_path / "o.inv", ["erlen.Erlen"]))
    assert documented == {"erlen.Erlen"}
    assert checker.missing(paths, documented) == ["erlen.Blueprint", "erlen.testing.TestClient"]


def test_an_alias_of_a_documented_object_counts(checker: ModuleType) -> None:
    paths = ["erlen.testing.TestClient", "erlen.plugins.testing.TestClient"]
    assert checker.missing(paths, {"erlen.testing.TestClient"}) == []


def test_the_script_fails_on_an_incomplete_inventory(checker: ModuleType, tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "o.inv", ["erlen.Erlen"])
    assert checker.main(["check_reference.py", str(inventory)]) == 1


BUILT = ROOT / "docs" / "_build" / "html" / "objects.inv"


@pytest.mark.skipif(
    not BUILT.exists(),
    reason="no built site: pip install -e '.[docs]' && sphinx-build -W --keep-going -n -b html"
    " docs docs/_build/html (.ci/run builds it before the tests)",
)
def test_the_built_site_documents_every_public_name(checker: ModuleType) -> None:
    """Run after a build (CI builds the site before the tests): a stale local build fails
    here until it is rebuilt."""
    paths, problems = checker.public_paths()
    assert problems == []
    assert checker.missing(paths, checker.read_inventory(BUILT)) == []
