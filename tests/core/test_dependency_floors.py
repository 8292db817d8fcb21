"""The lowest release of each dependency that ``pyproject.toml`` allows is the release CI
tests: its "dependency floors" stage installs ``.ci/floors.txt`` and runs the suite. A
floor raised or lowered in one file and not the other would leave a declared floor
untested (msgspec 0.18.0-0.18.5 and Jinja2 3.1.0-3.1.1, both allowed before, broke every
JSON response with ``sort_keys`` and every template)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def declared_floors() -> dict[str, str]:
    """Each runtime dependency's lower bound (``>=``) in ``pyproject.toml``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        lower = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        assert len(lower) == 1, f"{line!r} needs exactly one '>=' bound for CI to test"
        floors[requirement.name.lower()] = lower[0]
    return floors


def pinned_floors() -> dict[str, str]:
    """The pins of ``.ci/floors.txt``."""
    pins = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_every_declared_floor_is_the_release_ci_tests() -> None:
    declared, tested = declared_floors(), pinned_floors()
    assert set(declared) == set(tested)
    for name, floor in declared.items():
        # "2.1" and "2.1.0" are one release; the pin is what pip installs.
        assert Requirement(f"{name}=={floor}").specifier.contains(tested[name]), (
            f"{name}: pyproject.toml allows >={floor}, CI tests {tested[name]}"
        )
