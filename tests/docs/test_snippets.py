"""Every Python example of the documentation site runs in a test, or says why it cannot.

A ``python`` fence in a page of ``docs/`` must come right after one of two markers
(docs/contributing.md describes them):

- ``<!-- test: NAME -->``: a test in ``tests/docs/`` runs it (``run_example``);
- ``<!-- not-run: REASON -->``: it cannot run as shown (a fragment of a package, a file
  of another project), and the reason says why.

Code shown with ``literalinclude`` is a file of ``examples/`` that its own tests run.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PYTHON = {"python", "py", "python3", "pycon", "ipython"}
MARKER = re.compile(r"^<!-- (test|not-run): (.+?) -->$")
FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})\s*(\S*)\s*(.*)$")


def pages() -> list[Path]:
    skipped = {"_build", "_generated"}  # the built site; files written at build time
    return sorted(p for p in DOCS.rglob("*.md") if not skipped & set(p.parts))


def python_blocks(path: Path) -> list[tuple[int, str | None, str | None]]:
    """``[(line, marker kind, marker argument)]`` of the python fences of a page."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[tuple[int, str | None, str | None]] = []
    fence: str | None = None
    for number, line in enumerate(lines, start=1):
        if fence is not None:
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
            continue
        opened = FENCE_OPEN.match(line)
        if opened is None:
            continue
        fence, language, rest = opened.groups()
        if language in ("{code-block}", "{code}", "{sourcecode}"):
            language = rest.split()[0] if rest.split() else ""
        if language.lower() in PYTHON:
            previous = lines[number - 2] if number > 1 else ""
            marker = MARKER.match(previous)
            found.append((number, *(marker.groups() if marker else (None, None))))
    return found


def test_every_python_block_is_tested_or_says_why_not() -> None:
    unmarked = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in pages()
        for line, kind, _argument in python_blocks(path)
        if kind is None
    ]
    assert unmarked == [], (
        "python blocks without <!-- test: NAME --> or <!-- not-run: REASON --> right above"
        " (see docs/contributing.md)"
    )


def test_not_run_blocks_give_a_reason() -> None:
    vague = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in pages()
        for line, kind, argument in python_blocks(path)
        if kind == "not-run" and (argument is None or len(argument.split()) < 3)
    ]
    assert vague == []


def test_every_tested_block_has_a_test() -> None:
    """A ``test:`` block's name appears, quoted, in a test module that names its page."""
    tests = {p: p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "docs").glob("test_*.py")}
    orphans = []
    for path in pages():
        relpath = str(path.relative_to(ROOT))
        for line, kind, name in python_blocks(path):
            if kind != "test":
                continue
            if not any(relpath in src and f'"{name}"' in src for src in tests.values()):
                orphans.append(f"{relpath}:{line} ({name})")
    assert orphans == []


def test_the_checker_sees_markers_and_fences(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- test: a -->\n```python\nx = 1\n```\n\n"
        "````{tab}\n```python\ninside = True\n```\n````\n\n"
        "<!-- not-run: needs a database server -->\n```{code-block} python\ny = 2\n```\n"
        "```console\n$ ls\n```\n```python\nbare = 1\n```\n",
        encoding="utf-8",
    )
    assert python_blocks(page) == [
        (2, "test", "a"),
        (13, "not-run", "needs a database server"),
        (19, None, None),
    ]
