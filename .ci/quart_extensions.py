"""Run Quart extensions' own test suites against Erlen, through ``erlen.quart_patch``.

    python .ci/quart_extensions.py [NAME ...] [--work DIR]

For each extension (all eleven by default: quart-schema, quart-auth, quart-cors,
quart-rate-limiter, quart-tasks, quart-dishka, quart-httpauth, quart-db, quart-enciphers,
quart-rapidoc and quart-authlib, at the versions pinned below), this downloads its sdist
from PyPI (the sdists carry the tests; nothing of theirs is in this repository), unpacks
it, installs it with its test requirements into a virtualenv shared by the extensions, next to an
editable Erlen (pip also installs the real Quart, the extensions' dependency: the patch
must win over it), and runs its suite with ``pytest -p erlen.quart_patch``, with the
extension's own pytest arguments where it has some (quart-db: only its sqlite cases; the
others need PostgreSQL).

A test that does not pass must be listed, with its reason, in
``tests/quart_extensions/<name>.txt`` (one ``NODE_ID  # reason`` a line; a module that
fails to import is listed by its path). The run fails when an unlisted test does not
pass, or when a listed one passes: the lists may only shrink. ``.ci/run`` runs this;
``--work DIR`` keeps the downloads and the virtualenv there for the next run.

Loaded with ``-p quart_extensions`` (the runner does so), this module is also the
pytest plugin that records each test's outcome in the file ``$QEXT_REPORT`` names.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LISTS = REPO / "tests" / "quart_extensions"
#: The environment variable naming the JSON file the pytest plugin writes.
REPORT_VARIABLE = "QEXT_REPORT"


@dataclass(frozen=True)
class Extension:
    """A Quart extension whose suite is run: its PyPI name, pinned version, what its
    tests import besides the extension and pytest, and the pytest arguments its suite
    needs (a selection such as ``-k``), added to the runner's own before ``tests``."""

    name: str
    version: str
    test_requires: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def expected_failures_file(self) -> Path:
        return LISTS / f"{self.name}.txt"


EXTENSIONS = (
    # Its tests use pydantic, attrs and msgspec models, and hypothesis.
    Extension(
        "quart-schema", "0.25.0", ("pydantic==2.14.4", "attrs==26.1.0", "hypothesis==6.170.27")
    ),
    Extension("quart-auth", "0.12.0"),
    Extension("quart-cors", "0.8.0"),
    # Its conftest imports the redis and valkey stores (the tests use the memory store).
    Extension("quart-rate-limiter", "0.12.1", ("redis==8.2.0", "valkey==6.2.0")),
    # Its tests freeze the clock (croniter comes with it).
    Extension("quart-tasks", "0.5.0", ("freezegun==1.5.5",)),
    # Its tests build dishka containers and providers.
    Extension("quart-dishka", "1.0.1", ("dishka==1.10.1",)),
    # Its tests assert with PyHamcrest, draw inputs with hypothesis, and one serves the app
    # with hypercorn on 127.0.0.1 and calls it with requests. The plugins its addopts ask
    # for (pytest-randomly, -fail-slow, -cov) only shape its own CI: not installed.
    Extension(
        "quart-httpauth",
        "0.0.1",
        ("PyHamcrest==2.1.0", "hypothesis==6.170.27", "requests==2.34.2"),
    ),
    # Every test takes a database URL parametrized over aiosqlite, asyncpg and psycopg; the
    # last two need a PostgreSQL server, so only the sqlite cases run (18). Its enum test
    # skips itself on every backend but asyncpg: deselected with them. Its test modules
    # import all three backends (psycopg's binary build: no system libpq needed).
    Extension(
        "quart-db",
        "0.12.0",
        ("aiosqlite==0.22.1", "psycopg[binary]==3.3.9", "psycopg-pool==3.3.3"),
        pytest_args=("-k", "aiosqlite and not test_enum_conversion"),
    ),
    # An encrypted cookie session interface: its tests read the cookies the app sets.
    Extension("quart-enciphers", "3.0.0", ("enciphers==3.0.0", "orjson==3.13.0")),
    # Serves the RapiDoc page for an OpenAPI document given as a dict, JSON or YAML file
    # (PyYAML comes with it).
    Extension("quart-rapidoc", "0.5.1"),
    # Authlib's OAuth 1 and 2 and OpenID Connect clients on Quart: its tests drive the
    # login redirects and callbacks through the session, with the token endpoint mocked.
    # Authlib as of its release: later ones changed the ID-token checks four tests assert
    # (they fail on Quart too). One test caches the request token in cachelib.
    Extension("quart-authlib", "0.0.3", ("authlib==1.4.1", "cachelib==0.17.0")),
)
#: The test runner in the extensions' virtualenv (Erlen's test extra allows these).
RUNNER_REQUIRES = ("pytest==9.2.0", "pytest-asyncio==1.5.0")


# --- the pytest plugin (runs inside the extension's test process) ------------------------

_outcomes: dict[str, str] = {}


def pytest_collectreport(report: Any) -> None:
    """A module that fails to import counts as one failing entry, named by its path."""
    if report.failed:
        _outcomes[report.nodeid] = "error"


def pytest_runtest_logreport(report: Any) -> None:
    """The final outcome of each test: passed only if setup, call and teardown passed."""
    if report.failed:
        _outcomes[report.nodeid] = "failed" if report.when == "call" else "error"
    elif report.skipped:
        _outcomes.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Write the outcomes where the runner asked."""
    target = os.environ.get(REPORT_VARIABLE)
    if target:
        Path(target).write_text(json.dumps(_outcomes, indent=1, sort_keys=True))


# --- expected failures ------------------------------------------------------------------


def read_expected(path: Path) -> dict[str, str]:
    """``{node_id: reason}`` from a list file; every entry must give its reason."""
    expected: dict[str, str] = {}
    if not path.exists():
        return expected
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        node_id, _, reason = line.partition(" # ")
        if not reason.strip():
            raise ValueError(f"{path}:{number}: give the reason: NODE_ID  # reason")
        expected[node_id.strip()] = reason.strip()
    return expected


@dataclass
class Verdict:
    """What one suite gave, against its list."""

    passed: int
    not_passing: dict[str, str]  # node id -> outcome
    unexpected: list[str]  # not passing, not listed
    fixed: list[str]  # listed, but passed or gone

    @property
    def ok(self) -> bool:
        return bool(self.passed or self.not_passing) and not self.unexpected and not self.fixed


def judge(outcomes: dict[str, str], expected: Iterable[str]) -> Verdict:
    """Compare a suite's outcomes with its expected failures."""
    not_passing = {node: outcome for node, outcome in outcomes.items() if outcome != "passed"}
    listed = set(expected)
    return Verdict(
        passed=len(outcomes) - len(not_passing),
        not_passing=not_passing,
        unexpected=sorted(set(not_passing) - listed),
        fixed=sorted(listed - set(not_passing)),
    )


# --- the run -----------------------------------------------------------------------------


def run(command: Sequence[str | Path], **options: Any) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **options)


def prepare(extensions: Sequence[Extension], work: Path) -> Path:
    """Download and unpack the sdists, install them in ``work/venv``; its python."""
    venv = work / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", venv])
    sdists = work / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    missing = [ext for ext in extensions if find_sdist(sdists, ext) is None]
    if missing:
        # The extensions' sdists, not ``:all:``: that also builds their build backends from
        # source to read the sdists' metadata (minutes, on a machine without pip's cache).
        no_binary = ",".join(ext.name for ext in missing)
        pip = [python, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", no_binary]
        run([*pip, "-d", sdists, *(ext.requirement for ext in missing)])
    sources = work / "src"
    shutil.rmtree(sources, ignore_errors=True)
    sources.mkdir()
    folders = [unpack(found_sdist(sdists, ext), sources / source_folder(ext)) for ext in extensions]
    # Two suites may pin the same requirement: each once.
    test_requires = list(dict.fromkeys(req for ext in extensions for req in ext.test_requires))
    run(
        [python, "-m", "pip", "install", "-q", "-e", REPO, *RUNNER_REQUIRES, *test_requires]
        + [str(folder) for folder in folders]
    )
    return python


def source_folder(extension: Extension) -> str:
    """The folder under ``src`` its sdist is unpacked to: ``quart_db-0.12.0``."""
    return f"{extension.name.replace('-', '_')}-{extension.version}"


def find_sdist(sdists: Path, extension: Extension) -> Path | None:
    """Its downloaded sdist, whatever the spelling of the name in the file's name (older
    sdists keep the project's: ``Quart-Rapidoc-0.5.1.tar.gz``)."""
    wanted = f"{source_folder(extension)}.tar.gz".lower().replace("-", "_")
    for sdist in sdists.glob("*.tar.gz"):
        if sdist.name.lower().replace("-", "_") == wanted:
            return sdist
    return None


def found_sdist(sdists: Path, extension: Extension) -> Path:
    sdist = find_sdist(sdists, extension)
    if sdist is None:
        raise FileNotFoundError(f"no sdist of {extension.requirement} in {sdists}")
    return sdist


def unpack(sdist: Path, folder: Path) -> Path:
    """Unpack ``sdist`` (one top folder) as ``folder``."""
    with tarfile.open(sdist) as archive:
        archive.extractall(folder.parent, filter="data")
    unpacked = folder.parent / sdist.name.removesuffix(".tar.gz")
    if unpacked != folder:
        unpacked.rename(folder)
    return folder


def run_suite(python: Path, extension: Extension, work: Path) -> dict[str, str]:
    """Run the extension's suite through the patch; its outcomes by node id."""
    folder = work / "src" / source_folder(extension)
    report = work / f"{extension.name}.json"
    report.unlink(missing_ok=True)
    env = {
        **os.environ,
        REPORT_VARIABLE: str(report),
        # This folder: ``-p quart_extensions`` loads this module as the recording plugin.
        "PYTHONPATH": str(Path(__file__).resolve().parent),
    }
    command = [python, "-m", "pytest", "-p", "erlen.quart_patch", "-p", "quart_extensions"]
    # Their addopts ask for options of plugins only their own CI uses (pytest-cov's,
    # pytest-fail-slow's): the suites need none of them.
    command += ["-p", "no:cacheprovider", "-o", "addopts=--strict-markers"]
    # One line per failure (rerun the suite by hand for the tracebacks); a module that
    # fails to import does not stop the others.
    command += ["-q", "--tb=line", "--continue-on-collection-errors", *extension.pytest_args]
    command += ["tests"]
    print(f"== {extension.requirement}: {shlex.join(map(str, command[1:]))}", flush=True)
    result = subprocess.run([str(part) for part in command], cwd=folder, env=env, check=False)
    if not report.exists():
        return {f"<pytest exited with status {result.returncode}>": "error"}
    outcomes: dict[str, str] = json.loads(report.read_text())
    return outcomes


def report_verdict(extension: Extension, verdict: Verdict, seconds: float) -> None:
    listed = extension.expected_failures_file.relative_to(REPO)
    print(
        f"-- {extension.requirement}: {verdict.passed} passed,"
        f" {len(verdict.not_passing)} not passing ({seconds:.1f} s)",
        flush=True,
    )
    for node in verdict.unexpected:
        print(
            f"UNEXPECTED {verdict.not_passing[node].upper()}: {node}\n"
            f"   fix it in Erlen, or list it in {listed} with the reason"
        )
    for node in verdict.fixed:
        print(f"NOW PASSES (or is gone): {node}\n   remove it from {listed}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="extensions to run (default: all)")
    parser.add_argument("--work", type=Path, help="keep downloads and the venv here")
    args = parser.parse_args(argv)
    known = {ext.name: ext for ext in EXTENSIONS}
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error(f"unknown extension(s) {unknown}; known: {sorted(known)}")
    extensions = [known[name] for name in args.names] or list(EXTENSIONS)
    work = args.work or Path(tempfile.mkdtemp(prefix="quart-extensions-"))
    work = work.resolve()
    start = time.monotonic()
    try:
        python = prepare(extensions, work)
        print(f"== installed in {time.monotonic() - start:.1f} s", flush=True)
        ok = True
        for extension in extensions:
            began = time.monotonic()
            outcomes = run_suite(python, extension, work)
            verdict = judge(outcomes, read_expected(extension.expected_failures_file))
            report_verdict(extension, verdict, time.monotonic() - began)
            ok = ok and verdict.ok
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"== Quart extensions: {'OK' if ok else 'FAILED'} in {time.monotonic() - start:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
