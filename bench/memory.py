"""Startup and memory benchmark: import time, idle RSS, memory per idle websocket.

Usage::

    python bench/memory.py                     # 7 import runs, 1,000 websockets
    python bench/memory.py --connections 2000 --frameworks raw,erlen
    python bench/memory.py --app-settings    # Erlen served as `kernel run` serves it
    python bench/run.py --memory --quick       # same thing through run.py

* import time / idle RSS: a fresh interpreter imports a hello-world app of each
  framework (median of ``--runs``, frameworks interleaved);
* websockets: the benchmark app runs under hypercorn in a subprocess; the parent
  opens ``--connections`` idle ``/ws`` connections and reads the server's VmRSS
  before and after.  The raw ASGI app is hypercorn's own cost, so the framework's
  share is ``framework - raw``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchlib.frameworks import FRAMEWORKS, HELLO_SOURCES, parse_frameworks
from benchlib.report import error_cell, machine, machine_lines, markdown_table, text_table
from benchlib.servers import ServerProcess, raise_fd_limit, rss_kb
from websockets.asyncio.client import connect

PROBE = """
import gc, json, sys, time
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
gc.collect()
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
print(json.dumps({{"import_ms": elapsed * 1000, "rss_kb": rss, "modules": len(sys.modules)}}))
"""


@dataclass
class StartupResult:
    """Median import time, idle RSS and module count of one hello-world app."""

    framework: str
    import_ms: float | None = None
    rss_kb: float | None = None
    modules: int | None = None
    error: str | None = None


@dataclass
class WebSocketResult:
    """Server RSS before and after opening idle websockets."""

    framework: str
    connections: int = 0
    before_kb: int | None = None
    after_kb: int | None = None
    error: str | None = None

    @property
    def kb_per_connection(self) -> float | None:
        """Growth of the server's RSS per open connection."""
        if self.before_kb is None or self.after_kb is None or not self.connections:
            return None
        return (self.after_kb - self.before_kb) / self.connections


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options of the memory mode."""
    parser = argparse.ArgumentParser(
        prog="python bench/memory.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--runs", type=int, default=7, help="interpreters per framework (7)")
    parser.add_argument("--connections", type=int, default=1000, help="idle websockets (1000)")
    parser.add_argument("--no-websockets", action="store_true", help="skip the websocket part")
    parser.add_argument(
        "--app-settings",
        action="store_true",
        help="serve Erlen as kernel run does (its hardened hypercorn classes, compression off)",
    )
    parser.add_argument("--quick", action="store_true", help="2 runs, 100 websockets")
    parser.add_argument("--json", metavar="PATH", type=Path)
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args(argv)


def probe_once(directory: Path, framework: str) -> dict[str, Any]:
    """Import ``hello_<framework>`` in a fresh interpreter; return its measurements."""
    code = PROBE.format(module=f"hello_{framework}")
    # Bytecode caches allowed, as in any installed package (pip compiles them): with
    # PYTHONDONTWRITEBYTECODE set, an editable install (Erlen's here) would be compiled
    # from source on every import while site-packages ship their .pyc files.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise RuntimeError(lines[-1] if lines else f"exit code {done.returncode}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure_startup(frameworks: Sequence[str], runs: int) -> list[StartupResult]:
    """Interleaved import-time/RSS probes; the median of each framework."""
    samples: dict[str, list[dict[str, Any]]] = {fw: [] for fw in frameworks}
    results = {fw: StartupResult(fw) for fw in frameworks}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for fw in frameworks:
            (directory / f"hello_{fw}.py").write_text(HELLO_SOURCES[fw], encoding="utf-8")
        for fw in frameworks:  # untimed: writes any missing bytecode cache
            try:
                probe_once(directory, fw)
            except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
                results[fw].error = str(error)
        for _ in range(runs):
            for fw in frameworks:
                if results[fw].error is None:
                    try:
                        samples[fw].append(probe_once(directory, fw))
                    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
                        results[fw].error = str(error)
    for fw, found in samples.items():
        if results[fw].error is None and found:
            results[fw].import_ms = statistics.median(s["import_ms"] for s in found)
            results[fw].rss_kb = statistics.median(s["rss_kb"] for s in found)
            results[fw].modules = int(statistics.median(s["modules"] for s in found))
    return list(results.values())


async def open_idle(port: int, count: int, batch: int = 100) -> list[Any]:
    """Open ``count`` websockets to ``/ws``, each proven alive by one echo."""
    uri = f"ws://127.0.0.1:{port}/ws"

    async def one(index: int) -> Any:
        ws = await connect(
            uri, ping_interval=None, compression=None, open_timeout=15, close_timeout=2
        )
        await ws.send(f"hello {index}")
        reply = await asyncio.wait_for(ws.recv(), 15)
        if reply != f"hello {index}":
            raise RuntimeError(f"bad echo {reply!r}")
        return ws

    opened: list[Any] = []
    try:
        for start in range(0, count, batch):
            size = min(batch, count - start)
            opened += await asyncio.gather(*(one(start + i) for i in range(size)))
    except BaseException:
        await close_all(opened)
        raise
    return opened


async def close_all(connections: Sequence[Any]) -> None:
    """Close client connections, bounded in time."""
    if connections:
        closing = asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)
        try:
            await asyncio.wait_for(closing, 30)
        except TimeoutError:
            pass


async def hold_connections(pid: int, port: int, count: int) -> tuple[int, int]:
    """Warm the server up, then RSS before and after opening ``count`` idle websockets."""
    await close_all(await open_idle(port, 20))
    await asyncio.sleep(0.5)
    before = rss_kb(pid)
    connections = await asyncio.wait_for(open_idle(port, count), 120 + count / 10)
    try:
        await asyncio.sleep(1.0)
        after = rss_kb(pid)
    finally:
        await close_all(connections)
    return before, after


def measure_websockets(
    frameworks: Sequence[str], count: int, app_settings: bool = False
) -> list[WebSocketResult]:
    """Per framework: serve under hypercorn, hold ``count`` idle websockets, read RSS.
    ``app_settings``: Erlen served as ``kernel run`` serves it (``serve.py --app-settings``)."""
    raise_fd_limit(2 * count + 1024)
    results = []
    extra = ("--app-settings",) if app_settings else ()
    for fw in frameworks:
        result = WebSocketResult(fw, connections=count)
        with ServerProcess("hypercorn", fw, extra) as server:
            try:
                server.wait_ready()
                result.before_kb, result.after_kb = asyncio.run(
                    hold_connections(server.pid, server.port, count)
                )
            except Exception as error:
                result.error = f"{type(error).__name__}: {error}"[:300]
        print(
            f"websockets {fw}: " + (result.error or f"{result.kb_per_connection:.1f} KB/conn"),
            file=sys.stderr,
            flush=True,
        )
        results.append(result)
        time.sleep(0.2)
    return results


def startup_table(results: Sequence[StartupResult]) -> tuple[list[str], list[list[str]]]:
    """Import time and idle RSS rows."""
    raw = next((r for r in results if r.framework == "raw" and r.rss_kb), None)
    header = ["hello-world app", "import ms", "idle RSS MB", "RSS - raw MB", "modules"]
    rows = []
    for r in results:
        if r.error or r.import_ms is None or r.rss_kb is None:
            rows.append([r.framework, error_cell(r.error or "no measurement"), "-", "-", "-"])
            continue
        extra = f"{(r.rss_kb - raw.rss_kb) / 1024:.1f}" if raw and raw.rss_kb else "-"
        rows.append(
            [r.framework, f"{r.import_ms:.0f}", f"{r.rss_kb / 1024:.1f}", extra, str(r.modules)]
        )
    return header, rows


def websocket_table(results: Sequence[WebSocketResult]) -> tuple[list[str], list[list[str]]]:
    """Per-connection memory rows, with the framework's share over raw."""
    raw = next((r.kb_per_connection for r in results if r.framework == "raw"), None)
    header = ["hypercorn + app", "RSS before MB", "RSS after MB", "KB/conn", "in the app KB/conn"]
    rows = []
    for r in results:
        per = r.kb_per_connection
        if r.error or per is None or r.before_kb is None or r.after_kb is None:
            rows.append([r.framework, error_cell(r.error or "no measurement"), "-", "-", "-"])
            continue
        share = "-" if raw is None or r.framework == "raw" else f"{per - raw:.1f}"
        rows.append(
            [
                r.framework,
                f"{r.before_kb / 1024:.1f}",
                f"{r.after_kb / 1024:.1f}",
                f"{per:.1f}",
                share,
            ]
        )
    return header, rows


def render(
    startup: Sequence[StartupResult],
    sockets: Sequence[WebSocketResult],
    info: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    """Both tables, as text or markdown, plus failures."""
    tables = [startup_table(startup)]
    if sockets:
        tables.append(websocket_table(sockets))
    failures = [f"startup {r.framework}: {r.error}" for r in startup if r.error]
    failures += [f"websockets {r.framework}: {r.error}" for r in sockets if r.error]
    setup = (
        f"import/RSS: median of {args.runs} fresh interpreters; websockets: "
        f"{args.connections} idle connections, no compression, hypercorn, 1 worker"
    )
    if args.markdown:
        parts = [
            "## Startup and memory",
            "",
            *(f"- {line}" for line in machine_lines(info)),
            f"- {setup}",
        ]
        for header, rows in tables:
            parts += ["", markdown_table(header, rows)]
        if failures:
            parts += ["", "Failures:", "", *(f"- {line}" for line in failures)]
    else:
        parts = [*machine_lines(info), setup]
        for header, rows in tables:
            parts += ["", text_table(header, rows)]
        if failures:
            parts += ["", "FAILURES:", *(f"  {line}" for line in failures)]
    return "\n".join(parts)


def main(argv: Sequence[str]) -> int:
    """Run the memory benchmark; exit code 1 if any cell failed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run ``finally`` cleanups
    args = parse_args(argv)
    if args.quick:
        args.runs, args.connections = 2, 100
    frameworks = parse_frameworks(args.frameworks)
    info = machine()
    startup = measure_startup(frameworks, max(1, args.runs))
    sockets = (
        []
        if args.no_websockets
        else measure_websockets(frameworks, args.connections, args.app_settings)
    )
    print(render(startup, sockets, info, args))
    if args.json:
        document = {
            "machine": info,
            "settings": vars(args) | {"json": None},
            "startup": [vars(r) for r in startup],
            "websockets": [vars(r) | {"kb_per_connection": r.kb_per_connection} for r in sockets],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    failed = any(r.error for r in startup) or any(r.error for r in sockets)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
