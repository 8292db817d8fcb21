"""Which frameworks are benchmarked and how their apps are loaded."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchlib import APPS_DIR

#: Column order of every table: the floor first, then the framework under test.
FRAMEWORKS: tuple[str, ...] = ("raw", "erlen", "starlette", "quart")

APP_FILES: dict[str, Path] = {
    "raw": APPS_DIR / "raw.py",
    "erlen": APPS_DIR / "erlen_app.py",
    "starlette": APPS_DIR / "starlette_app.py",
    "quart": APPS_DIR / "quart_app.py",
}

#: Tiny hello-world apps, used for import time and idle memory.
HELLO_SOURCES: dict[str, str] = {
    "raw": (
        "async def app(scope, receive, send):\n"
        "    if scope['type'] == 'http':\n"
        "        await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "        await send({'type': 'http.response.body', 'body': b'Hello, World!'})\n"
    ),
    "erlen": (
        "from erlen import Erlen\n"
        "app = Erlen(__name__)\n"
        "@app.route('/')\n"
        "async def index():\n"
        "    return 'Hello, World!'\n"
    ),
    "starlette": (
        "from starlette.applications import Starlette\n"
        "from starlette.responses import PlainTextResponse\n"
        "from starlette.routing import Route\n"
        "async def index(request):\n"
        "    return PlainTextResponse('Hello, World!')\n"
        "app = Starlette(routes=[Route('/', index)])\n"
    ),
    "quart": (
        "from quart import Quart\n"
        "app = Quart(__name__)\n"
        "@app.route('/')\n"
        "async def index():\n"
        "    return 'Hello, World!'\n"
    ),
}

ASGIApp = Callable[..., Any]

#: The name of the ``--baseline-python`` column unless ``--baseline-label`` gives one.
DEFAULT_BASELINE_LABEL = "erlen@base"

#: Run by the baseline interpreter: its Python version and where its ``erlen`` lives.
_PROBE = "import sys, erlen; print(sys.version.split()[0]); print(erlen.__file__)"


@dataclass(frozen=True)
class Column:
    """One column of the in-process table: the bench app of ``framework``, run by the
    interpreter ``python`` under the name ``name``.

    ``baseline`` marks an older Erlen from another environment (``--baseline-python``):
    Erlen is compared with it, and a shape it cannot serve does not fail the run.
    """

    name: str
    framework: str
    python: str = sys.executable
    baseline: bool = False


def columns_for(
    frameworks: Sequence[str],
    baseline_python: str | None = None,
    label: str = DEFAULT_BASELINE_LABEL,
) -> list[Column]:
    """One column per framework, plus the baseline Erlen (if any) right after ``erlen``."""
    columns = [Column(fw, fw) for fw in frameworks]
    if baseline_python is None:
        return columns
    if label in FRAMEWORKS or not label.strip() or "," in label:
        raise ValueError(f"--baseline-label {label!r}: pick a name that is not a framework's")
    where = frameworks.index("erlen") + 1 if "erlen" in frameworks else len(columns)
    columns.insert(where, Column(label, "erlen", baseline_python, baseline=True))
    return columns


def probe_baseline(python: str, label: str) -> dict[str, str]:
    """The baseline column ``label``: which erlen the interpreter ``python`` imports (the
    package's folder and its git commit) on which Python. Raise ``ValueError`` if it
    cannot import erlen at all (a usage error, unlike a shape its erlen cannot serve)."""
    try:
        probe = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ValueError(f"--baseline-python {python}: {error}") from error
    lines = probe.stdout.splitlines()
    if probe.returncode != 0 or len(lines) < 2:
        reason = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        raise ValueError(f"--baseline-python {python} cannot import erlen: {reason}")
    package = Path(lines[-1]).resolve().parent
    return {
        "label": label,
        "python": python,
        "python_version": lines[-2],
        "erlen": str(package),
        "commit": git_commit(package),
    }


def git_commit(folder: Path) -> str:
    """The short commit checked out in ``folder`` (``+modified`` if tracked files
    changed), or ``-`` outside a git work tree."""
    try:
        commit = _git(folder, "rev-parse", "--short", "HEAD")
        modified = _git(folder, "status", "--porcelain", "--untracked-files=no") if commit else ""
    except OSError:  # no git on PATH
        return "-"
    return (commit + ("+modified" if modified else "")) or "-"


def _git(folder: Path, *args: str) -> str:
    """The stripped output of ``git -C folder ARGS``, or ``""`` if it fails."""
    result = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def parse_frameworks(text: str) -> list[str]:
    """Turn ``"raw,erlen"`` into a validated list, keeping the canonical order."""
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    unknown = wanted - set(FRAMEWORKS)
    if unknown:
        raise ValueError(f"unknown framework(s): {', '.join(sorted(unknown))}")
    return [name for name in FRAMEWORKS if name in wanted]


def load_app(framework: str) -> ASGIApp:
    """Import the benchmark app of ``framework`` from its file and return ``app``."""
    path = APP_FILES[framework]
    spec = importlib.util.spec_from_file_location(f"bench_app_{framework}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import would: ``Quart(__name__)`` finds its root
    # path (and so ``templates/``) through ``sys.modules``.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    if framework == "erlen":
        refuse_third_party_plugins(module.app)
    return module.app


def refuse_third_party_plugins(app: Any) -> None:
    """Raise if the Erlen app loaded a plugin from outside ``erlen.plugins``: the benchmark
    measures Erlen with its first-party plugins only, whatever else is installed."""
    plugins = getattr(app, "plugins", {})
    modules = plugins.values() if isinstance(plugins, Mapping) else ()
    foreign = sorted(
        name
        for name, plugin in zip(plugins, modules, strict=False)
        if not getattr(plugin, "__name__", "erlen.plugins.").startswith("erlen.plugins.")
    )
    if foreign:
        raise RuntimeError(
            f"Erlen(__name__) loaded third-party plugin(s) {', '.join(foreign)}; the benchmark"
            " measures first-party plugins only (uninstall them, or select plugins explicitly)"
        )


def twin_mismatch() -> str | None:
    """Return a message if ``erlen_app.py`` is not ``quart_app.py`` with names swapped."""
    quart = APP_FILES["quart"].read_text(encoding="utf-8")
    expected = quart.replace("quart", "erlen").replace("Quart", "Erlen")
    actual = APP_FILES["erlen"].read_text(encoding="utf-8")
    if actual == expected:
        return None
    return (
        "bench/apps/erlen_app.py is not bench/apps/quart_app.py with quart->erlen, "
        "Quart->Erlen; regenerate it with: sed -e 's/quart/erlen/g; s/Quart/Erlen/g' "
        "bench/apps/quart_app.py > bench/apps/erlen_app.py"
    )
