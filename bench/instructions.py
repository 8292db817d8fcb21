"""Instructions per request under hypercorn, counted by valgrind (steady on a busy machine).

Usage::

    python bench/instructions.py                          # raw and erlen, /plaintext
    python bench/instructions.py --frameworks raw,erlen,starlette --path /json
    python bench/instructions.py --in-process plaintext,lifecycle --frameworks erlen

``--in-process`` counts the in-process benchmark's scenarios instead (``bench/run.py``'s
driver, no server): the measure used to compare two versions of the request path.

Each app is served by ``bench/serve.py`` under ``valgrind --tool=callgrind`` twice: once
answering ``--small`` requests and once ``--large`` (sequential, one keep-alive
connection). The difference of the two totals divided by the difference of the counts is
the cost of one request with start-up and shutdown cancelled out. Instruction counts do not
depend on what else runs on the machine, which timings here do; they do not see cache
misses, which is why ``bench/server.py`` stays the measure of record.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchlib.servers import free_port

BENCH_DIR = Path(__file__).resolve().parent
TOTAL = re.compile(r"([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS")


def count(framework: str, path: str, requests: int) -> int:
    """Instructions of one server process that answered ``requests`` requests."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        server = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                str(BENCH_DIR / "serve.py"),
                "--server",
                "hypercorn",
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
            for _ in range(requests):
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"{framework} {path}: status {response.status}")
            connection.close()
        finally:
            server.terminate()
            server.wait(timeout=120)
        report = subprocess.run(
            ["callgrind_annotate", str(out)], capture_output=True, text=True, check=True
        ).stdout
    match = TOTAL.search(report)
    if match is None:
        raise RuntimeError("callgrind_annotate printed no PROGRAM TOTALS")
    return int(match.group(1).replace(",", ""))


def count_in_process(framework: str, scenario: str, requests: int) -> int:
    """Instructions of one process that served ``requests`` requests of ``scenario`` in
    process (after start-up, verification and 300 warm-up requests)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                str(Path(__file__).resolve()),
                "--drive",
                framework,
                scenario,
                str(requests),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},  # the same dict layouts each run
            timeout=600,
        )
        report = subprocess.run(
            ["callgrind_annotate", str(out)], capture_output=True, text=True, check=True
        ).stdout
    match = TOTAL.search(report)
    if match is None:
        raise RuntimeError("callgrind_annotate printed no PROGRAM TOTALS")
    return int(match.group(1).replace(",", ""))


def drive(framework: str, scenario: str, requests: int) -> None:
    """Serve ``requests`` requests of ``scenario`` in process (run under valgrind)."""
    from benchlib.frameworks import load_app
    from benchlib.scenarios import BY_NAME
    from benchlib.worker import Target

    loop = asyncio.new_event_loop()
    target = Target(load_app(framework), BY_NAME[scenario])
    loop.run_until_complete(target.start())
    loop.run_until_complete(target.verify())
    loop.run_until_complete(target.run(300))
    loop.run_until_complete(target.run(requests))
    loop.close()


def _connect(port: int, path: str) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 120  # the app starts ~50x slower under valgrind
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


def main(argv: Sequence[str]) -> int:
    """Print instructions per request for each framework, and the difference to raw."""
    parser = argparse.ArgumentParser(prog="python bench/instructions.py", description=__doc__)
    if argv[:1] == ["--drive"]:  # the child process of --in-process
        drive(argv[1], argv[2], int(argv[3]))
        return 0
    parser.add_argument("--frameworks", default="raw,erlen")
    parser.add_argument("--path", default="/plaintext")
    parser.add_argument(
        "--in-process",
        metavar="SCENARIOS",
        help="comma-separated bench/run.py scenarios, counted in process instead",
    )
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--large", type=int, default=1300)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        print("valgrind is not installed (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    if args.in_process:
        return _report_in_process(args)
    per_request: dict[str, float] = {}
    for framework in args.frameworks.split(","):
        small = count(framework, args.path, args.small)
        large = count(framework, args.path, args.large)
        per_request[framework] = (large - small) / (args.large - args.small)
    base = per_request.get("raw")
    print(f"| app ({args.path}) | instructions / request | over raw |")
    print("| :--- | ---: | ---: |")
    for framework, value in per_request.items():
        over = "-" if base is None or framework == "raw" else f"{value - base:+,.0f}"
        print(f"| {framework} | {value:,.0f} | {over} |")
    return 0


def _report_in_process(args: argparse.Namespace) -> int:
    scenarios = args.in_process.split(",")
    frameworks = args.frameworks.split(",")
    print("| scenario (instructions / request) | " + " | ".join(frameworks) + " |")
    print("| :--- |" + " ---: |" * len(frameworks))
    for scenario in scenarios:
        cells = []
        for framework in frameworks:
            small = count_in_process(framework, scenario, args.small)
            large = count_in_process(framework, scenario, args.large)
            cells.append(f"{(large - small) / (args.large - args.small):,.0f}")
        print(f"| {scenario} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
