"""Instructions per request under hypercorn, counted by valgrind (steady on a busy machine).

Usage::

    python bench/instructions.py                          # raw and erlen, /plaintext
    python bench/instructions.py --frameworks raw,erlen,starlette --path /json

Each app is served by ``bench/serve.py`` under ``valgrind --tool=callgrind`` twice: once
answering ``--small`` requests and once ``--large`` (sequential, one keep-alive
connection). The difference of the two totals divided by the difference of the counts is
the cost of one request with start-up and shutdown cancelled out. Instruction counts do not
depend on what else runs on the machine, which timings here do; they do not see cache
misses, which is why ``bench/server.py`` stays the measure of record.
"""

from __future__ import annotations

import argparse
import http.client
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
    parser.add_argument("--frameworks", default="raw,erlen")
    parser.add_argument("--path", default="/plaintext")
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--large", type=int, default=1300)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        print("valgrind is not installed (Debian: apt install valgrind)", file=sys.stderr)
        return 2
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
