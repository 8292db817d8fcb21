"""Server-level benchmark: each app under each ASGI server, driven over 127.0.0.1.

Usage::

    python bench/server.py                       # wrk if on PATH, else the asyncio client
    python bench/server.py --servers hypercorn --duration 10 --connections 64
    python bench/server.py --servers uvicorn-standard,granian
    python bench/run.py --server --quick         # same thing through run.py

Reports requests/s per framework and the ratio erlen / raw (how much of the
server's raw capacity Erlen keeps) on ``GET /plaintext`` (a bare string), ``GET /tuple``
(``return "Created", 201, {"X-Custom": "1"}``) and ``GET /json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchlib.frameworks import FRAMEWORKS, parse_frameworks
from benchlib.loadgen import run_load, wrk_binary
from benchlib.report import (
    error_cell,
    format_ratio,
    machine,
    machine_lines,
    markdown_table,
    text_table,
)
from benchlib.servers import ServerProcess, http_get

#: The servers ``bench/serve.py`` runs (all installed by the ``bench`` extra).
SERVERS = ("hypercorn", "uvicorn", "uvicorn-standard", "granian")
#: Endpoint -> (status, body check). ``/tuple`` is ``return "Created", 201, {...}``: the
#: tuple return must cost no more than the bare string; raw answers it with the same bytes.
ENDPOINTS: dict[str, tuple[int, Any]] = {
    "/plaintext": (200, lambda body: body == b"Hello, World!"),
    "/tuple": (201, lambda body: body == b"Created"),
    "/json": (200, lambda body: json.loads(body) == {"message": "Hello, World!"}),
}


@dataclass
class Row:
    """Requests/s of every framework for one (server, endpoint)."""

    server: str
    endpoint: str
    rps: dict[str, list[float]] = field(default_factory=dict)
    cpu_us: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def median(self, framework: str) -> float | None:
        """Median requests/s over rounds, None if the cell failed."""
        values = self.rps.get(framework)
        if framework in self.errors or not values:
            return None
        return statistics.median(values)

    def median_cpu(self, framework: str) -> float | None:
        """Median server CPU µs per request over rounds, None if the cell failed."""
        values = self.cpu_us.get(framework)
        if framework in self.errors or not values:
            return None
        return statistics.median(values)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options of the server mode."""
    parser = argparse.ArgumentParser(
        prog="python bench/server.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help="subset of the paths")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run (5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds (1)")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (median)")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--quick", action="store_true", help="1 s runs, no warm-up")
    parser.add_argument("--json", metavar="PATH", type=Path)
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args(argv)


def choose_tool(requested: str) -> str:
    """``wrk`` when available (or asked for), otherwise the Python client."""
    if requested == "auto":
        return "wrk" if wrk_binary() else "python"
    if requested == "wrk" and wrk_binary() is None:
        raise SystemExit("error: --loadgen wrk but wrk is not on PATH (apt-get install wrk)")
    return requested


def check_endpoint(port: int, endpoint: str) -> str | None:
    """One verified GET; an error message if the answer is wrong."""
    try:
        reply = asyncio.run(http_get(port, endpoint))
        status, body_ok = ENDPOINTS[endpoint]
        if reply.status != status or not body_ok(reply.body):
            return f"GET {endpoint}: status {reply.status}, body {reply.body[:80]!r}"
    except Exception as error:
        return f"GET {endpoint}: {error!r}"
    return None


def start_servers(
    server: str, frameworks: Sequence[str], errors: dict[str, str]
) -> dict[str, ServerProcess]:
    """Start every framework under ``server``; failures go to ``errors``."""
    started = {fw: ServerProcess(server, fw) for fw in frameworks}
    ready = {}
    for fw, process in started.items():
        try:
            process.wait_ready()
            ready[fw] = process
        except RuntimeError as error:
            errors[fw] = str(error)[:300]
            process.stop()
    return ready


def bench_server(
    server: str, frameworks: Sequence[str], args: argparse.Namespace, tool: str
) -> list[Row]:
    """All endpoints under one server, frameworks interleaved within each round."""
    start_errors: dict[str, str] = {}
    processes = start_servers(server, frameworks, start_errors)
    rows = []
    try:
        for endpoint in args.endpoints.split(","):
            row = Row(server, endpoint, errors=dict(start_errors))
            for fw, process in processes.items():
                problem = check_endpoint(process.port, endpoint)
                if problem:
                    row.errors[fw] = problem
                elif args.warmup > 0:
                    run_load(tool, process.port, endpoint, args.connections, args.warmup)
            for _ in range(max(1, args.rounds)):
                for fw, process in processes.items():
                    if fw not in row.errors:
                        measure(row, fw, process, tool, args)
            rows.append(row)
            progress(row, frameworks)
    finally:
        for process in processes.values():
            process.stop()
    return rows


def measure(row: Row, fw: str, process: ServerProcess, tool: str, args: argparse.Namespace) -> None:
    """One timed load run; errors (bad statuses, dead server) mark the cell.

    Besides requests/s it records the server process's CPU time per request (user +
    system, from /proc): on a shared machine requests/s also measures what else runs,
    CPU time per request much less so.
    """
    try:
        cpu_before = cpu_seconds(process.pid)
        result = run_load(tool, process.port, row.endpoint, args.connections, args.duration)
        cpu_after = cpu_seconds(process.pid)
    except Exception as error:
        row.errors[fw] = f"load run failed: {error!r}"[:300]
        return
    if result.errors:
        row.errors[fw] = f"{result.errors} failed requests of {result.requests}"
        return
    row.rps.setdefault(fw, []).append(result.rps)
    if result.requests:
        cpu_us = (cpu_after - cpu_before) * 1e6 / result.requests
        row.cpu_us.setdefault(fw, []).append(cpu_us)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its descendants (Linux ``/proc``):
    granian serves from a worker process its main process starts."""
    total = 0
    for process in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{process}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The process ids below ``pid`` (children of each of its threads, recursively)."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as children:
                for child in children.read().split():
                    found += [int(child), *descendants(int(child))]
        except FileNotFoundError:
            continue
    return found


def progress(row: Row, frameworks: Sequence[str]) -> None:
    """One stderr line per finished row."""
    cells = [
        f"{fw} {'n/a (error)' if row.median(fw) is None else f'{row.median(fw):,.0f}'}"
        for fw in frameworks
    ]
    print(f"{row.server} {row.endpoint}: " + ", ".join(cells), file=sys.stderr, flush=True)


def throughput_ratio(row: Row, subject: str, baseline: str) -> float | None:
    """``subject_rps / baseline_rps`` (> 1: subject serves more)."""
    a, b = row.median(subject), row.median(baseline)
    return None if a is None or b is None or b == 0 else a / b


def table(rows: Sequence[Row], frameworks: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the requests/s table."""
    others = [o for o in ("raw", "starlette", "quart") if o in frameworks and "erlen" in frameworks]
    header = [
        "server endpoint (req/s)",
        *frameworks,
        *(("erlen / raw",) if "raw" in others else ()),
        *(f"erlen vs {o}" for o in others if o != "raw"),
    ]
    body = []
    for row in rows:
        cells = [f"{row.server} {row.endpoint}"]
        for fw in frameworks:
            value = row.median(fw)
            if fw in row.errors:
                cells.append(error_cell(row.errors[fw]))
            else:
                cells.append("-" if value is None else f"{value:,.0f}")
        cells += [format_ratio(throughput_ratio(row, "erlen", o)) for o in others]
        body.append(cells)
    return header, body


def cpu_table(rows: Sequence[Row], frameworks: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the server-CPU-per-request table (lower is better)."""
    others = [o for o in ("raw", "starlette", "quart") if o in frameworks and "erlen" in frameworks]
    header = [
        "server endpoint (CPU µs/req)",
        *frameworks,
        *(f"erlen vs {o}" for o in others),
    ]
    body = []
    for row in rows:
        cells = [f"{row.server} {row.endpoint}"]
        for fw in frameworks:
            value = row.median_cpu(fw)
            if fw in row.errors:
                cells.append(error_cell(row.errors[fw]))
            else:
                cells.append("-" if value is None else f"{value:.0f}")
        for other in others:
            mine, theirs = row.median_cpu("erlen"), row.median_cpu(other)
            cells.append(format_ratio(None if not mine or not theirs else theirs / mine))
        body.append(cells)
    return header, body


def render(
    rows: Sequence[Row],
    frameworks: Sequence[str],
    info: dict[str, Any],
    tool: str,
    args: argparse.Namespace,
    markdown: bool,
) -> str:
    """Full report text (or markdown)."""
    header, body = table(rows, frameworks)
    cpu_header, cpu_body = cpu_table(rows, frameworks)
    cpu_note = (
        "Server CPU per request (user + system time of the server process / requests"
        " served); 'erlen vs X' = X / erlen: the throughput ratio when the server's CPU is"
        " the bottleneck, much less disturbed by other load than requests/s."
    )
    setup = (
        f"load: {tool}, {args.connections} connections, {args.duration:g}s per run, "
        f"{args.rounds} round(s), 1 server worker on 127.0.0.1"
    )
    failures = [
        f"{row.server} {row.endpoint} {fw}: {message}"
        for row in rows
        for fw, message in row.errors.items()
    ]
    if markdown:
        parts = [
            "## Server benchmark",
            "",
            *(f"- {line}" for line in machine_lines(info)),
            f"- {setup}",
            "",
            markdown_table(header, body),
            "",
            markdown_table(cpu_header, cpu_body),
            "",
            cpu_note,
        ]
        if failures:
            parts += ["", "Failures:", "", *(f"- {line}" for line in failures)]
    else:
        parts = [*machine_lines(info), setup, "", text_table(header, body)]
        parts += ["", text_table(cpu_header, cpu_body), "", cpu_note]
        if failures:
            parts += ["", "FAILURES:", *(f"  {line}" for line in failures)]
    return "\n".join(parts)


def main(argv: Sequence[str]) -> int:
    """Run the server benchmark; exit code 1 if any cell failed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run ``finally`` cleanups
    args = parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds = 1.0, 0.0, 1
    frameworks = parse_frameworks(args.frameworks)
    unknown = set(args.endpoints.split(",")) - set(ENDPOINTS)
    if unknown:
        print(f"error: unknown endpoint(s) {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    servers = [s for s in SERVERS if s in {x.strip() for x in args.servers.split(",")}]
    tool = choose_tool(args.loadgen)
    info = machine()
    rows = [row for server in servers for row in bench_server(server, frameworks, args, tool)]
    print(render(rows, frameworks, info, tool, args, args.markdown))
    if args.json:
        document = {
            "machine": info,
            "tool": tool,
            "settings": vars(args) | {"json": None},
            "rows": [vars(row) for row in rows],
        }
        args.json.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return 1 if any(row.errors for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
