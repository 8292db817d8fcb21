"""Run the code examples of the documentation.

A fenced ``python`` block preceded by ``<!-- test: NAME -->`` in a Markdown file is a
tested example: ``run_example(path, NAME, ...)`` executes it as the body of a fresh
module whose file lives in a temporary folder (so ``Erlen(__name__)`` gets that folder as
its ``root_path``), and returns the module's namespace for the test to drive.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKED_BLOCK = re.compile(r"^<!-- test: ([\w-]+) -->\n```python\n(.*?)^```$", re.M | re.S)


def marked_blocks(relpath: str) -> dict[str, tuple[int, str]]:
    """``{name: (first line number, source)}`` of the tested blocks of one file."""
    text = (ROOT / relpath).read_text(encoding="utf-8")
    blocks: dict[str, tuple[int, str]] = {}
    for match in MARKED_BLOCK.finditer(text):
        name = match.group(1)
        assert name not in blocks, f"{relpath}: two examples are named {name!r}"
        line = text.count("\n", 0, match.start(2)) + 1
        blocks[name] = (line, match.group(2))
    return blocks


def block_under_heading(relpath: str, heading: str) -> tuple[int, str]:
    """The first python block after a Markdown heading (for files we do not mark)."""
    text = (ROOT / relpath).read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    match = re.compile(r"^```python\n(.*?)^```$", re.M | re.S).search(text, start)
    assert match is not None, f"{relpath}: no python block under {heading!r}"
    return text.count("\n", 0, match.start(1)) + 1, match.group(1)


RunExample = Callable[..., dict[str, Any]]


@pytest.fixture
def example_names() -> Callable[[str], set[str]]:
    """The names of the tested examples of a file."""
    return lambda relpath: set(marked_blocks(relpath))


@pytest.fixture
def run_example(tmp_path: Path) -> Iterator[RunExample]:
    """Execute documented blocks, in order, in one new module; return its namespace."""
    module_name = f"doc_example_{tmp_path.name}"
    module = types.ModuleType(module_name)
    module.__file__ = str(tmp_path / "example.py")
    sys.modules[module_name] = module  # Erlen(__name__) looks its module up

    def run(
        relpath: str, *names: str, prelude: str = "", heading: str | None = None
    ) -> dict[str, Any]:
        if prelude:
            exec(compile(prelude, f"<prelude for {relpath}>", "exec"), module.__dict__)
        blocks = marked_blocks(relpath)
        sources = [block_under_heading(relpath, heading)] if heading else []
        sources += [blocks[name] for name in names]
        for line, source in sources:
            # Pad so that a traceback points at the line of the Markdown file.
            code = compile("\n" * (line - 1) + source, str(ROOT / relpath), "exec")
            exec(code, module.__dict__)
        return module.__dict__

    yield run
    del sys.modules[module_name]
