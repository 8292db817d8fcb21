"""``bench/run.py --baseline-python``: Erlen's bench app run by another interpreter (an
older erlen) as one more interleaved column, compared with the current Erlen.

The runs here use the test interpreter itself as the "older" one (same erlen, so every
shape serves), or a wrapper around it whose workers fail one shape, as a version lacking
a feature does. Only the ``erlen`` columns run: the test extra has no Starlette.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import erlen

ROOT = Path(__file__).resolve().parents[2]
RUN_PY = ROOT / "bench" / "run.py"
#: One tiny timed round per cell: enough to exercise the interleaving and the ratios.
TIMING = ("--rounds", "1", "--batches", "1", "--batch-ms", "1", "--warmup-ms", "0")
SHAPES = ("--frameworks", "erlen", "--scenarios", "plaintext,tuple_full")
RATIO = r"\d+\.\d\dx"


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    """``python bench/run.py ARGS`` from the repository root, bounded in time."""
    return subprocess.run(
        [sys.executable, str(RUN_PY), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )


def row(output: str, scenario: str) -> list[str]:
    """The cells of ``scenario``'s row in the text table (split on 2+ spaces)."""
    for line in output.splitlines():
        if line.startswith(scenario + " "):
            return re.split(r"\s{2,}", line.strip())
    raise AssertionError(f"no row {scenario!r} in:\n{output}")


def failing_python(folder: Path, scenario: str) -> Path:
    """An interpreter whose bench workers fail on ``scenario`` (and the smoke verifier,
    which gets every scenario at once), like an erlen that lacks what it needs."""
    script = folder / "old-python"
    script.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *{scenario}*) echo "RuntimeError: no {scenario} here" >&2; exit 1;; esac\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    script.chmod(0o755)
    return script


def test_smoke_verifies_the_baseline_column() -> None:
    result = run_bench("--smoke", *SHAPES, "--baseline-python", sys.executable)

    assert result.returncode == 0, result.stdout + result.stderr
    header = result.stdout.split("\n\n")[1].splitlines()[0].split()
    assert header == ["scenario", "(verified)", "erlen", "erlen@base"]
    assert row(result.stdout, "plaintext") == ["plaintext", "ok", "ok"]
    assert row(result.stdout, "tuple_full") == ["tuple_full", "ok", "ok"]
    package = Path(erlen.__file__).resolve().parent
    assert f"erlen@base: erlen from {package} (git " in result.stdout
    assert "[2/2] tuple_full: erlen ok, erlen@base ok" in result.stderr


def test_timed_run_adds_the_column_its_ratio_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    result = run_bench(
        *TIMING,
        *SHAPES,
        "--baseline-python",
        sys.executable,
        "--baseline-label",
        "8623f07",
        "--json",
        str(out),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "erlen  8623f07  erlen vs 8623f07" in result.stdout
    document = json.loads(out.read_text())
    medians = {(c["framework"], c["scenario"]): c["median_us"] for c in document["cells"]}
    for scenario in ("plaintext", "tuple_full"):
        name, current, old, ratio = row(result.stdout, scenario)
        assert float(current) > 0 and float(old) > 0
        assert re.fullmatch(RATIO, ratio)
        # The ratio of the medians as measured (the columns are rounded for print).
        measured = medians[("8623f07", scenario)] / medians[("erlen", scenario)]
        assert abs(float(ratio[:-1]) - measured) < 0.006
    summary = rf"^erlen vs 8623f07: worst (plaintext|tuple_full) {RATIO}, median {RATIO} over 2"
    assert re.search(summary, result.stdout, re.MULTILINE), result.stdout
    assert "'erlen vs 8623f07' > 1.00x means this Erlen is faster" in result.stdout

    assert document["columns"][1] == {
        "name": "8623f07",
        "framework": "erlen",
        "python": sys.executable,
        "baseline": True,
    }
    assert document["machine"]["baseline"]["label"] == "8623f07"
    old_cells = [cell for cell in document["cells"] if cell["framework"] == "8623f07"]
    assert [cell["scenario"] for cell in old_cells] == ["plaintext", "tuple_full"]
    assert all(cell["error"] is None and cell["median_us"] > 0 for cell in old_cells)


def test_a_shape_the_baseline_cannot_serve_is_an_error_cell_not_a_failure(
    tmp_path: Path,
) -> None:
    old_python = failing_python(tmp_path, "tuple_full")
    result = run_bench(*TIMING, *SHAPES, "--baseline-python", str(old_python), "--markdown")

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf"^\| plaintext \| [\d.]+ \| [\d.]+ \| {RATIO} \|$", result.stdout, re.M)
    assert re.search(
        r"^\| tuple_full \| [\d.]+ \| n/a \(error: worker exited with code 1\) \| n/a \|$",
        result.stdout,
        re.MULTILINE,
    ), result.stdout
    assert "n/a in erlen@base: that Erlen cannot serve the shape" in result.stdout
    assert "this does not fail the run" in result.stdout
    assert (
        "- erlen@base/tuple_full: worker exited with code 1 (baseline Erlen: not a failure"
        " of the run)" in result.stdout
    )
    assert "**erlen vs erlen@base: worst plaintext" in result.stdout


def test_smoke_with_a_failing_baseline_still_passes(tmp_path: Path) -> None:
    old_python = failing_python(tmp_path, "tuple_full")
    result = run_bench("--smoke", *SHAPES, "--baseline-python", str(old_python))

    assert result.returncode == 0, result.stdout + result.stderr
    assert row(result.stdout, "plaintext")[:2] == ["plaintext", "ok"]
    assert row(result.stdout, "tuple_full")[2].startswith("n/a (error: verifier exited")
    assert "this does not fail the run" in result.stdout


def test_an_interpreter_without_erlen_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-python"
    result = run_bench("--smoke", *SHAPES, "--baseline-python", str(missing))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --baseline-python {missing}: ")

    isolated = tmp_path / "bare-python"  # -I -S: no site-packages, so no erlen
    isolated.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n')
    isolated.chmod(0o755)
    result = run_bench("--smoke", *SHAPES, "--baseline-python", str(isolated))
    assert result.returncode == 2
    assert "cannot import erlen: ModuleNotFoundError: No module named 'erlen'" in result.stderr


def test_the_label_cannot_shadow_a_framework() -> None:
    result = run_bench(
        "--smoke", *SHAPES, "--baseline-python", sys.executable, "--baseline-label", "starlette"
    )
    assert result.returncode == 2
    assert "--baseline-label 'starlette'" in result.stderr
