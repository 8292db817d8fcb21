"""``.ci/quart_extensions.py``: the expected-failure lists may only shrink, and its pytest
plugin records what each test gave. (CI runs the real extension suites with it.)"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "quart_extensions.py"
_spec = importlib.util.spec_from_file_location("quart_extensions", SCRIPT)
assert _spec is not None and _spec.loader is not None
runner = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("quart_extensions", runner)  # its dataclasses look their module up
_spec.loader.exec_module(runner)


def test_a_listed_test_that_passes_and_an_unlisted_failure_both_fail_the_run() -> None:
    outcomes = {"t.py::a": "passed", "t.py::b": "failed", "t.py::c": "error", "u.py": "error"}
    verdict = runner.judge(outcomes, ["t.py::a", "t.py::c", "gone.py::x"])
    assert verdict.passed == 1
    assert verdict.unexpected == ["t.py::b", "u.py"]
    assert verdict.fixed == ["gone.py::x", "t.py::a"]
    assert not verdict.ok
    assert runner.judge(outcomes, ["t.py::b", "t.py::c", "u.py"]).ok
    assert not runner.judge({}, []).ok  # a suite that ran nothing proves nothing


def test_every_entry_gives_its_reason(tmp_path: Path) -> None:
    listed = tmp_path / "ext.txt"
    listed.write_text("# comment\n\ntests/a.py::t  # A2, lane qtesting\ntests/b.py\n")
    with pytest.raises(ValueError, match=r"ext.txt:4: give the reason"):
        runner.read_expected(listed)
    listed.write_text("tests/a.py::t[x]  # A2, lane qtesting: Secure cookies over http\n")
    assert runner.read_expected(listed) == {
        "tests/a.py::t[x]": "A2, lane qtesting: Secure cookies over http"
    }


def test_the_repository_lists_are_readable_and_name_the_pinned_extensions() -> None:
    for extension in runner.EXTENSIONS:
        assert extension.expected_failures_file.exists(), extension.name
        runner.read_expected(extension.expected_failures_file)
        assert (
            f"{extension.name} {extension.version}"
            in (extension.expected_failures_file.read_text().splitlines()[0])
        )


def test_an_sdist_is_found_and_unpacked_whatever_the_spelling_of_its_name(
    tmp_path: Path,
) -> None:
    sdists = tmp_path / "sdists"
    sdists.mkdir()
    for top in ("Quart-Rapidoc-0.5.1", "quart_db-0.12.0"):
        with tarfile.open(sdists / f"{top}.tar.gz", "w:gz") as archive:
            info = tarfile.TarInfo(f"{top}/setup.py")
            info.size = 2
            archive.addfile(info, io.BytesIO(b"# "))
    rapidoc = runner.Extension("quart-rapidoc", "0.5.1")
    db = runner.Extension("quart-db", "0.12.0")
    assert runner.find_sdist(sdists, rapidoc) == sdists / "Quart-Rapidoc-0.5.1.tar.gz"
    assert runner.find_sdist(sdists, db) == sdists / "quart_db-0.12.0.tar.gz"
    assert runner.find_sdist(sdists, runner.Extension("quart-db", "0.11.0")) is None
    folder = runner.unpack(
        runner.found_sdist(sdists, rapidoc), tmp_path / "src" / "quart_rapidoc-0.5.1"
    )
    assert (folder / "setup.py").read_text() == "# "
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == ["quart_rapidoc-0.5.1"]


def test_the_plugin_records_each_tests_final_outcome(tmp_path: Path) -> None:
    suite = tmp_path / "tests"
    suite.mkdir()
    (suite / "test_outcomes.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture
            def broken_teardown():
                yield
                raise RuntimeError("teardown")

            def test_passes(): pass
            def test_fails(): assert False
            def test_skips(): pytest.skip("no")
            def test_teardown_error(broken_teardown): pass
            """
        )
    )
    (suite / "test_broken_import.py").write_text("import no_such_module_here\n")
    report = tmp_path / "report.json"
    env = {**os.environ, runner.REPORT_VARIABLE: str(report), "PYTHONPATH": str(SCRIPT.parent)}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "quart_extensions", "-p", "no:cacheprovider"]
        + ["-q", "--continue-on-collection-errors", "-o", "addopts=", "tests"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert json.loads(report.read_text()) == {
        "tests/test_broken_import.py": "error",
        "tests/test_outcomes.py::test_fails": "failed",
        "tests/test_outcomes.py::test_passes": "passed",
        "tests/test_outcomes.py::test_skips": "skipped",
        "tests/test_outcomes.py::test_teardown_error": "error",
    }
