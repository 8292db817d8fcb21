"""Rules of the source tree, checked on its syntax: small functions, and plugins that use
the kernel only through its public names (as a third-party plugin must)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 100

#: The app module's size bound (issue 14: ``Erlen`` holds the app's API and its ASGI entry;
#: plugin wiring, the pipeline and the rest live in modules of their own).
MAX_APP_MODULE_LINES = 700


def modules(*folders: str) -> Iterator[tuple[str, ast.Module]]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def test_no_function_is_longer_than_100_lines() -> None:
    long = [
        f"{name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"  # type: ignore[operator]
        for name, tree in modules("core", "plugins")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES  # type: ignore[operator]
    ]
    assert long == []


def private_uses(tree: ast.Module) -> Iterator[str]:
    """Underscore names imported from ``erlen`` (or through an underscore module), and
    ``app._...`` attribute reads."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "erlen":
                continue
            if any(part.startswith("_") for part in parts):
                yield f"{node.lineno}: from {node.module} import ..."
            for alias in node.names:
                if alias.name.startswith("_"):
                    yield f"{node.lineno}: from {node.module} import {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "erlen" and "._" in alias.name:
                    yield f"{node.lineno}: import {alias.name}"
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "app"
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            yield f"{node.lineno}: app.{node.attr}"


@pytest.mark.parametrize(
    ("name", "tree"), list(modules("plugins")), ids=lambda value: str(value)[:60]
)
def test_plugins_use_only_public_kernel_names(name: str, tree: ast.Module) -> None:
    assert list(private_uses(tree)) == []


def test_the_app_module_stays_under_700_lines() -> None:
    lines = (ROOT / "core" / "app.py").read_text().count("\n")
    assert lines < MAX_APP_MODULE_LINES


def test_the_checker_sees_each_kind_of_private_use() -> None:
    source = (
        "from erlen.globals import _cv_app\n"
        "from erlen._private import thing\n"
        "import erlen._private\n"
        "value = app._frozen\n"
        "from erlen.globals import request_context_var\n"
        "other = app.config\n"
    )
    assert [use.split(":")[0] for use in private_uses(ast.parse(source))] == ["1", "2", "3", "4"]


#: The kernel's imports inside functions: the lazy plugin facades at Quart's module
#: paths (docs/architecture.md, "Import contracts"), nothing else of the kernel's own.
FACADE_IMPORTS = {
    ("core/__init__.py", ".plugins.websocket.wrapper"),
    ("core/sessions.py", ".plugins.sessions"),
    ("core/sessions.py", ".plugins"),
    ("core/templating.py", ".plugins"),
    ("core/wrappers/__init__.py", ".websocket"),  # erlen.wrappers.Websocket, on first use
}


def kernel_imports_in_functions(tree: ast.Module) -> Iterator[str]:
    """Relative (kernel) imports made inside a function body."""
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and node.level:
                    yield "." * node.level + (node.module or "")


def test_the_kernel_imports_its_modules_at_module_level() -> None:
    found = {
        (name, module)
        for name, tree in modules("core")
        for module in kernel_imports_in_functions(tree)
    }
    assert found == FACADE_IMPORTS
