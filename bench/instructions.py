"""Instructions per request under hypercorn (or uvicorn: ``--server``), counted by valgrind
(steady on a busy machine).

Usage::

    python bench/instructions.py                          # raw and erlen, /plaintext
    python bench/instructions.py --frameworks raw,erlen,starlette --path /json
    python bench/instructions.py --in-process json        # no server: run.py's driver
    python bench/instructions.py --in-process all --frameworks erlen --jobs 2 --json out.json
    python bench/instructions.py --path /tuple --connections 64 --keep cg/   # as under wrk

Each app is served by ``bench/serve.py`` under ``valgrind --tool=callgrind`` twice: once
answering ``--small`` requests and once ``--large`` (sequential, one keep-alive
connection). The difference of the two totals divided by the difference of the counts is
the cost of one request with start-up and shutdown cancelled out. Instruction counts do not
depend on what else runs on the machine, which timings here do; they do not see cache
misses, which is why ``bench/server.py`` stays the measure of record.

``--connections N`` sends the requests over N concurrent keep-alive connections instead of
one, as ``bench/server.py``'s wrk load does (64): the server then reads several requests
per turn of its event loop and its garbage collector sees N requests in flight, so its
own share of a request differs from the sequential case. ``--keep DIR`` keeps every
callgrind output file there, for ``callgrind_annotate`` (compare two apps function by
function: the difference of the large and small runs of each).

Under a server the count of one app moves by a few thousand from run to run (the server's
event loop does not take the same turns every time). ``--in-process SCENARIO`` counts the
framework alone instead, driven as ``bench/run.py`` drives it (no server, no sockets,
``PYTHONHASHSEED=0``): repeatable to about a hundred instructions, which is what it takes
to see a change of a few hundred. It takes one scenario, a comma-separated list, or
``all`` (every handler shape of ``bench/run.py --list``); ``--json`` saves the counts.
``--baseline-python PATH`` also counts the Erlen of another interpreter (an older erlen
installed in another environment) in the same run, and gives each shape's change from it.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchlib.frameworks import DEFAULT_BASELINE_LABEL, Column, columns_for, probe_baseline
from benchlib.loadgen import HOST, read_response
from benchlib.report import machine
from benchlib.scenarios import SCENARIO_NAMES, parse_scenarios
from benchlib.servers import free_port

BENCH_DIR = Path(__file__).resolve().parent
TOTAL = re.compile(r"([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS")


def count(
    framework: str,
    path: str,
    requests: int,
    keep: Path | None = None,
    connections: int = 1,
    server_name: str = "hypercorn",
) -> int:
    """Instructions of one server process that answered ``requests`` requests over
    ``connections`` concurrent keep-alive connections; with ``keep``, its callgrind output
    stays there as ``callgrind.<framework>.<path>.<n>``."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            name = path.strip("/").replace("/", "_")
            out = keep / f"callgrind.{server_name}.{framework}.{name}.c{connections}.{requests}"
        server = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                str(BENCH_DIR / "serve.py"),
                "--server",
                server_name,
                "--framework",
                framework,
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            connection = _connect(port, path)
            if connections > 1:
                asyncio.run(_concurrent_load(port, path, requests, connections))
            else:
                for _ in range(requests):
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                    if not 200 <= response.status < 300:
                        raise RuntimeError(f"{framework} {path}: status {response.status}")
            connection.close()
        finally:
            server.terminate()
            server.wait(timeout=120)
        return _program_total(out)


def count_in_process(column: Column, scenario: str, requests: int, keep: Path | None = None) -> int:
    """Instructions of a process (``column``'s interpreter) that served ``requests``
    requests of ``scenario`` in process (after verifying the app and 200 warm-up
    requests); ``keep`` as in :func:`count`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            out = keep / f"callgrind.{column.name}.{scenario}.{requests}"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                column.python,
                str(Path(__file__).resolve()),
                "--drive",
                column.framework,
                scenario,
                str(requests),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=True,
            timeout=600,
        )
        return _program_total(out)


def _program_total(out: Path) -> int:
    """The total instruction count of a callgrind output file."""
    report = subprocess.run(
        ["callgrind_annotate", str(out)], capture_output=True, text=True, check=True
    ).stdout
    match = TOTAL.search(report)
    if match is None:
        raise RuntimeError("callgrind_annotate printed no PROGRAM TOTALS")
    return int(match.group(1).replace(",", ""))


def drive(framework: str, scenario: str, requests: int) -> None:
    """Verify ``framework`` on ``scenario``, warm it up, then serve ``requests`` requests
    in process (what ``--in-process`` runs under valgrind)."""
    from benchlib.frameworks import load_app
    from benchlib.scenarios import BY_NAME
    from benchlib.worker import Target

    async def main() -> None:
        target = Target(load_app(framework), BY_NAME[scenario])
        await target.start()
        await target.verify()  # raises if the app answers wrong
        await target.run(200)
        if requests:
            await target.run(requests)

    asyncio.run(main())


async def _concurrent_load(port: int, path: str, requests: int, connections: int) -> None:
    """Send ``requests`` GETs of ``path`` over ``connections`` keep-alive connections at
    once, as a load generator does (the server then takes several requests per turn of
    its event loop, which sequential requests never show)."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()
    left = [requests]

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while left[0] > 0:
                left[0] -= 1
                writer.write(request)
                status, _ = await read_response(reader)
                if not 200 <= status < 300:
                    raise RuntimeError(f"{path}: status {status}")
        finally:
            writer.close()

    await asyncio.wait_for(asyncio.gather(*(one_connection() for _ in range(connections))), 3600)


def _connect(port: int, path: str) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 600  # ~50x slower under valgrind, more on a busy machine
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", path)
            connection.getresponse().read()
            return connection
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def per_request_in_process(
    columns: Sequence[Column],
    scenarios: Sequence[str],
    small: int,
    large: int,
    jobs: int,
    keep: Path | None = None,
) -> dict[str, dict[str, float]]:
    """Instructions per request of each (scenario, column) pair that serves it, in
    process; ``jobs`` valgrind runs at a time (counts do not depend on load). A shape a
    baseline Erlen cannot serve is left out of its column instead of failing the run."""
    pairs = [
        (scenario.name, column)
        for scenario in parse_scenarios(",".join(scenarios))
        for column in columns
        if scenario.serves(column.framework)
    ]

    def one(pair: tuple[str, Column]) -> float | None:
        scenario, column = pair
        try:
            low = count_in_process(column, scenario, small, keep)
            high = count_in_process(column, scenario, large, keep)
        except subprocess.CalledProcessError:
            if not column.baseline:
                raise
            print(f"{scenario} {column.name}: n/a (its erlen failed)", file=sys.stderr)
            return None
        value = (high - low) / (large - small)
        print(f"{scenario} {column.name}: {value:,.0f}", file=sys.stderr, flush=True)
        return value

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        values = list(pool.map(one, pairs))
    counts: dict[str, dict[str, float]] = {}
    for (scenario, column), value in zip(pairs, values, strict=True):
        if value is not None:
            counts.setdefault(scenario, {})[column.name] = value
    return counts


def same_run_baseline(
    counts: dict[str, dict[str, float]], label: str
) -> dict[str, dict[str, float]]:
    """The ``label`` column's counts as a ``--baseline`` for the ``erlen`` column."""
    return {name: {"erlen": row[label]} for name, row in counts.items() if label in row}


def print_counts(
    counts: dict[str, dict[str, float]],
    frameworks: Sequence[str],
    baseline: dict[str, dict[str, float]] | None = None,
) -> None:
    """A markdown table: one row per scenario, one column per framework; with a
    ``baseline`` (a ``--json`` file's counts), each cell also gives the change from it."""
    print("| scenario (instructions / request, in process) | " + " | ".join(frameworks) + " |")
    print("| :--- | " + " | ".join("---:" for _ in frameworks) + " |")
    for scenario, row in counts.items():
        cells = []
        for fw in frameworks:
            cell = f"{row[fw]:,.0f}" if fw in row else "-"
            before = (baseline or {}).get(scenario, {}).get(fw)
            if fw in row and before:
                cell += f" ({row[fw] - before:+,.0f}, {(row[fw] / before - 1) * 100:+.1f} %)"
            cells.append(cell)
        print(f"| {scenario} | " + " | ".join(cells) + " |")


def main(argv: Sequence[str]) -> int:
    """Print instructions per request for each framework, and the difference to raw."""
    parser = argparse.ArgumentParser(prog="python bench/instructions.py", description=__doc__)
    parser.add_argument("--frameworks", default="raw,erlen")
    parser.add_argument("--path", default="/plaintext")
    parser.add_argument(
        "--server",
        default="hypercorn",
        choices=("hypercorn", "uvicorn"),
        help="the server the apps run under (hypercorn)",
    )
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--large", type=int, default=1300)
    parser.add_argument(
        "--in-process",
        metavar="SCENARIO",
        help="count bench/run.py scenarios in process: a name, a comma-separated list or"
        " 'all' (defaults --small 1000 --large 6000)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=1,
        help="under the server: concurrent keep-alive connections the requests go over"
        " (1: sequential; bench/server.py's wrk load uses 64)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="valgrind runs at a time (1)")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also save the counts")
    compare = parser.add_mutually_exclusive_group()
    compare.add_argument(
        "--baseline",
        metavar="PATH",
        type=Path,
        help="a --json file to compare with (e.g. bench/results-instructions-baseline.json)",
    )
    compare.add_argument(
        "--baseline-python",
        metavar="PATH",
        help="with --in-process: also count erlen under this interpreter (an older erlen in"
        " another environment) and compare with it",
    )
    parser.add_argument(
        "--baseline-label",
        default=DEFAULT_BASELINE_LABEL,
        help=f"name of the --baseline-python column (default {DEFAULT_BASELINE_LABEL})",
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="keep the callgrind output files in DIR (for callgrind_annotate)",
    )
    parser.add_argument("--drive", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        drive(args.drive[0], args.drive[1], int(args.drive[2]))
        return 0
    if args.baseline_python and not args.in_process:
        parser.error("--baseline-python counts in process: give --in-process SCENARIO too")
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        print("valgrind is not installed (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    per_request: dict[str, float] = {}
    small_n, large_n = args.small, args.large
    if args.in_process:
        given = {a.split("=")[0] for a in argv}
        small_n = args.small if "--small" in given else 1000
        large_n = args.large if "--large" in given else 6000
        names = SCENARIO_NAMES if args.in_process == "all" else args.in_process.split(",")
        info = machine()
        try:
            columns = columns_for(
                args.frameworks.split(","), args.baseline_python, args.baseline_label
            )
            if args.baseline_python:
                info["baseline"] = probe_baseline(args.baseline_python, args.baseline_label)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        counts = per_request_in_process(columns, names, small_n, large_n, args.jobs, args.keep)
        baseline = None
        if args.baseline:
            baseline = json.loads(args.baseline.read_text(encoding="utf-8"))["counts"]
        if args.baseline_python:
            baseline = same_run_baseline(counts, args.baseline_label)
        print_counts(counts, [column.name for column in columns], baseline)
        if args.json:
            document = {"machine": info, "small": small_n, "large": large_n, "counts": counts}
            args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return 0
    for framework in args.frameworks.split(","):
        small = count(framework, args.path, small_n, args.keep, args.connections, args.server)
        large = count(framework, args.path, large_n, args.keep, args.connections, args.server)
        per_request[framework] = (large - small) / (large_n - small_n)
    base = per_request.get("raw")
    print(
        f"| app ({args.server} {args.path}, {args.connections} connection(s))"
        " | instructions / request | over raw |"
    )
    print("| :--- | ---: | ---: |")
    for framework, value in per_request.items():
        over = "-" if base is None or framework == "raw" else f"{value - base:+,.0f}"
        print(f"| {framework} | {value:,.0f} | {over} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
