"""Every module path of Quart exists in Erlen with the same public names.

The names are read from the installed Quart (the ``test`` extra pins it) in a separate
Python process, so the real ``quart`` never shares this process with
``erlen.quart_patch``. For each module under ``quart`` (the package walked, ``__main__``
aside), its public names are:

- its ``__all__`` when it has one;
- otherwise every name of its namespace not starting with ``_``, except modules, the
  ``TypeVar``/``ParamSpec`` objects its annotations use, and names it imports for its
  own use. An import counts as a re-export (a public name) when written
  ``from m import x as x``, the explicit form of PEP 484 that Quart uses for its
  re-exports, or when listed in :data:`REEXPORTED` (imports real code takes from Quart).

Each must exist in the module of the same path under ``erlen``, ``Quart*`` spelled
``Erlen*`` (``erlen.quart_patch``'s rule), unless :data:`NOT_PROVIDED` gives the reason it
does not (each reason is also in docs/porting.md). :data:`OTHER_LANES` lists names other
lanes of issue 15 are adding; the test fails once one exists, so the entry is removed.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from erlen import Erlen
from erlen.quart_patch import quart_name_for

#: Imports Quart's modules make for their own use that real code nonetheless imports from
#: them: quart-gaps.md A20 (a real app's ``from quart.helpers import safe_join``), and
#: hypercorn's ASGI types in ``quart.typing`` (Quart's own tests import ``HTTPScope``).
REEXPORTED = {
    "quart.helpers": ["safe_join"],
    "quart.typing": [
        "ASGIReceiveCallable",
        "ASGISendCallable",
        "HTTPScope",
        "LifespanScope",
        "WebsocketScope",
    ],
}

#: Names Erlen does not provide, on purpose, with the reason (docs/porting.md, "Not
#: supported", says the same).
NOT_PROVIDED = {
    "quart.app.iscoroutinefunction": "Quart's private copy of inspect.iscoroutinefunction",
    "quart.debug.TEMPLATE": "the Jinja source of Quart's traceback page; Erlen's page is "
    "built by erlen.debug.traceback_page",
    "quart.utils.MustReloadError": "Quart's reloader; Erlen's is the serving plugin's",
    "quart.utils.observe_changes": "Quart's reloader; Erlen's is the serving plugin's",
    "quart.utils.restart": "Quart's reloader; Erlen's is the serving plugin's",
}

#: Names other lanes of issue 15 add (remove an entry once its lane has merged).
OTHER_LANES = {}

#: Quart names a first-party plugin provides, by that plugin: present when it is enabled
#: (this suite also runs with only the plugins it declares: ``python tests/suites.py``).
FROM_PLUGINS = {"quart.cli.run_command": "serving"}

# Run in a fresh interpreter: prints {module path: [public names]} for the installed Quart.
_READ_QUART = r"""
import ast, importlib, inspect, json, pkgutil, sys, types, typing

import quart

def imports(module):
    imported, explicit = set(), set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                imported.add(bound)
                if alias.asname is not None and alias.asname == alias.name:
                    explicit.add(bound)
    return imported, explicit

reexported = json.loads(sys.argv[1])
paths = ["quart"] + [m.name for m in pkgutil.walk_packages(quart.__path__, "quart.")]
names = {}
for path in paths:
    if path.rsplit(".", 1)[-1] == "__main__":
        continue
    module = importlib.import_module(path)
    if hasattr(module, "__all__"):
        names[path] = sorted(module.__all__)
        continue
    imported, explicit = imports(module)
    explicit.update(reexported.get(path, ()))
    names[path] = sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, (types.ModuleType, typing.TypeVar, typing.ParamSpec))
        and (name not in imported or name in explicit)
    )
import importlib.metadata
print(json.dumps({"version": importlib.metadata.version("quart"), "names": names}))
"""


@cache
def quart_names() -> tuple[str, dict[str, list[str]]]:
    proc = subprocess.run(
        # -P: the current directory is not on sys.path (a stray cmd.py there must not
        # shadow the standard library in the child).
        [sys.executable, "-P", "-c", _READ_QUART, json.dumps(REEXPORTED)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        pytest.fail(
            "could not read the installed Quart (pip install -e '.[test]' installs it):\n"
            + proc.stderr[-2000:]
        )
    result = json.loads(proc.stdout)
    return result["version"], result["names"]


def erlen_module(quart_path: str) -> ModuleType | None:
    try:
        return importlib.import_module("erlen" + quart_path[len("quart") :])
    except ModuleNotFoundError:
        return None


def erlen_spelling(name: str) -> str:
    if name.startswith("Quart"):
        return "Erlen" + name[len("Quart") :]
    return name


def missing_names() -> list[str]:
    """Each ``quart.path`` or ``quart.path.Name`` that has no counterpart in erlen."""
    _, names = quart_names()
    missing = []
    for path, public in sorted(names.items()):
        module = erlen_module(path)
        if module is None:
            missing.append(path)
            missing.extend(f"{path}.{name}" for name in public)
            continue
        missing.extend(
            f"{path}.{name}" for name in public if not hasattr(module, erlen_spelling(name))
        )
    return missing


def test_the_spelling_rule_is_quart_patchs() -> None:
    assert quart_name_for(erlen_spelling("QuartClient")) == "QuartClient"
    assert erlen_spelling("QuartClient") == "ErlenClient"
    assert erlen_spelling("safe_join") == "safe_join"


def test_quart_is_read_with_its_public_names() -> None:
    version, names = quart_names()
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    pins = [
        spec.partition("==")[2]
        for spec in pyproject["project"]["optional-dependencies"]["test"]
        if spec.startswith("quart==")
    ]
    assert pins == [version], f"the test extra pins quart {pins}, installed: {version}"
    assert "quart.helpers" in names and "safe_join" in names["quart.helpers"]
    assert "Quart" in names["quart"] and "request" in names["quart"]
    assert "QuartClient" in names["quart.testing"]
    # Imports for the module's own use and typing machinery are not public names.
    assert "Any" not in names["quart.app"]
    assert not any(name.startswith("T_") for name in names["quart.app"])


def test_every_quart_module_and_name_exists_in_erlen() -> None:
    enabled = set(Erlen(__name__).plugins)
    allowed = set(NOT_PROVIDED) | set(OTHER_LANES)
    allowed.update(name for name, plugin in FROM_PLUGINS.items() if plugin not in enabled)
    unexpected = [name for name in missing_names() if name not in allowed]
    assert not unexpected, (
        "Quart names missing from erlen (add them, or list them in NOT_PROVIDED with the"
        " reason, also in docs/porting.md):\n  " + "\n  ".join(unexpected)
    )


def test_the_allow_lists_name_only_what_is_missing() -> None:
    missing = set(missing_names())
    stale = sorted(name for name in (*NOT_PROVIDED, *OTHER_LANES) if name not in missing)
    assert not stale, "these exist in erlen now: remove them from the lists\n  " + "\n  ".join(
        stale
    )


def test_every_not_provided_name_is_in_the_porting_guide() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "porting.md").read_text()
    for dotted in NOT_PROVIDED:
        module, _, name = dotted.rpartition(".")
        assert f"`{name}`" in guide and f"`{module}`" in guide, dotted
