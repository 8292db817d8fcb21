"""Erlen benchmark suite: in-process ASGI timings of raw / erlen / starlette / quart.

Usage::

    python bench/run.py                      # full in-process table (~2-3 min on 2 cores)
    python bench/run.py --smoke              # CI: verifies every app and scenario, no timings
    python bench/run.py --scenarios plaintext,json --frameworks raw,erlen --rounds 9
    python bench/run.py --json out.json --markdown
    python bench/run.py --baseline-python ../old8623/bin/python --baseline-label 8623f07
    python bench/run.py --server [...]       # same as python bench/server.py [...]
    python bench/run.py --memory [...]       # same as python bench/memory.py [...]

Every (framework, scenario) pair runs in its own subprocess; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from benchlib.frameworks import (
    DEFAULT_BASELINE_LABEL,
    FRAMEWORKS,
    Column,
    columns_for,
    parse_frameworks,
    probe_baseline,
    twin_mismatch,
)
from benchlib.report import machine
from benchlib.scenarios import SCENARIO_NAMES, Scenario, parse_scenarios
from benchlib.suite import (
    Cell,
    errors,
    failure_details,
    render,
    run_failures,
    run_scenario,
    run_smoke,
)
from benchlib.worker import Settings


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options of the in-process mode."""
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="In-process ASGI benchmark of Erlen against a raw ASGI app, "
        "Starlette and Quart. Use --server or --memory as the first option "
        "for the server-level and memory benchmarks.",
    )
    parser.add_argument(
        "--smoke",
        "--quick",
        dest="smoke",
        action="store_true",
        help="CI mode: verify every app on every scenario, tiny iteration counts, no timing"
        " claims (exit code 1 if any response is wrong)",
    )
    parser.add_argument(
        "--frameworks",
        default=",".join(FRAMEWORKS),
        help=f"comma-separated subset of {','.join(FRAMEWORKS)}",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIO_NAMES),
        help=f"comma-separated subset of {','.join(SCENARIO_NAMES)}",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=7,
        help="interleaved rounds per cell; the median is reported (default 7)",
    )
    parser.add_argument(
        "--batches",
        type=int,
        default=5,
        help="timed batches per round; a round is its fastest batch (default 5)",
    )
    parser.add_argument(
        "--batch-ms",
        type=float,
        default=40.0,
        help="target duration of one timed batch in ms (default 40)",
    )
    parser.add_argument(
        "--warmup-ms",
        type=float,
        default=300.0,
        help="warm-up per worker before calibration in ms (default 300)",
    )
    parser.add_argument(
        "--baseline-python",
        metavar="PATH",
        help="also run Erlen's app under this interpreter (another environment with an older"
        " erlen installed) as one more interleaved column, with an 'erlen vs' ratio",
    )
    parser.add_argument(
        "--baseline-label",
        default=DEFAULT_BASELINE_LABEL,
        help=f"name of the --baseline-python column (default {DEFAULT_BASELINE_LABEL})",
    )
    parser.add_argument(
        "--json", metavar="PATH", type=Path, help="also write every measurement to this JSON file"
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print a markdown table (for bench/RESULTS.md) instead of text",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print the traceback and worker log of every failed cell",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> tuple[Settings, int]:
    """Worker settings and round count for the chosen mode."""
    if args.smoke:
        return Settings(warmup_s=0.0, batch_s=0.0, batches=1, fixed_count=20), 1
    settings = Settings(
        warmup_s=args.warmup_ms / 1000, batch_s=args.batch_ms / 1000, batches=max(1, args.batches)
    )
    return settings, max(1, args.rounds)


def list_scenarios() -> None:
    """Print the scenario names with what they measure."""
    for scenario in parse_scenarios(",".join(SCENARIO_NAMES)):
        print(f"{scenario.name:18} {scenario.description}")


def main(argv: Sequence[str]) -> int:
    """Run the in-process suite; return the exit code (1 if any cell failed)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run ``finally`` cleanups
    args = parse_args(argv)
    if args.list:
        list_scenarios()
        return 0
    info = machine()
    try:
        frameworks = parse_frameworks(args.frameworks)
        scenarios = parse_scenarios(args.scenarios)
        columns = columns_for(frameworks, args.baseline_python, args.baseline_label)
        if args.baseline_python:
            info["baseline"] = probe_baseline(args.baseline_python, args.baseline_label)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings, rounds = settings_from(args)
    started = time.monotonic()
    results = run_all(scenarios, columns, settings, rounds, args.smoke)
    print(f"elapsed {time.monotonic() - started:.0f}s", file=sys.stderr)
    mismatch = twin_mismatch() if "erlen" in frameworks and "quart" in frameworks else None
    print(render(results, columns, info, args.markdown, args.smoke))
    if args.verbose and errors(results):
        print("\n" + failure_details(results), file=sys.stderr)
    if mismatch:
        print(f"\nERROR: {mismatch}")
    if args.json:
        write_json(args.json, info, settings, rounds, columns, results)
    return 1 if run_failures(results, columns) or mismatch else 0


def run_all(
    scenarios: Sequence[Scenario],
    columns: Sequence[Column],
    settings: Settings,
    rounds: int,
    smoke: bool,
) -> dict[str, dict[str, Cell]]:
    """Every scenario in every column (verified only with ``smoke``), with one progress
    line per scenario."""
    results: dict[str, dict[str, Cell]] = {}
    if smoke:
        results = run_smoke(scenarios, columns, settings.fixed_count)
    for index, scenario in enumerate(scenarios, 1):
        if not smoke:
            results[scenario.name] = run_scenario(scenario, columns, settings, rounds)
        progress(index, len(scenarios), scenario.name, results[scenario.name], smoke)
    return results


def progress(index: int, total: int, name: str, cells: dict[str, Cell], smoke: bool) -> None:
    """One stderr line per finished scenario."""
    parts = []
    for cell in cells.values():
        value = "n/a (error)" if cell.error else "ok" if smoke else f"{cell.median_us:.2f}"
        parts.append(f"{cell.framework} {value}")
    print(f"[{index}/{total}] {name}: " + ", ".join(parts), file=sys.stderr, flush=True)


def write_json(
    path: Path,
    info: dict[str, object],
    settings: Settings,
    rounds: int,
    columns: Sequence[Column],
    results: dict[str, dict[str, Cell]],
) -> None:
    """Dump the machine, settings, columns and every cell (with all rounds) as JSON; a
    cell's ``framework`` is its column's name."""
    document = {
        "machine": info,
        "settings": {**asdict(settings), "rounds": rounds},
        "columns": [asdict(column) for column in columns],
        "cells": [cell.to_json() for cells in results.values() for cell in cells.values()],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def dispatch(argv: Sequence[str]) -> int:
    """Route to the worker, server, memory or in-process mode."""
    if argv[:1] == ["--worker"]:
        from benchlib.worker import main as worker_main

        return worker_main(*argv[1:4])
    if argv[:1] == ["--verify"]:
        from benchlib.worker import verify_all

        return verify_all(argv[1], argv[2], int(argv[3]))
    if argv[:1] == ["--server"]:
        import server

        return server.main(argv[1:])
    if argv[:1] == ["--memory"]:
        import memory

        return memory.main(argv[1:])
    return main(argv)


if __name__ == "__main__":
    sys.exit(dispatch(sys.argv[1:]))
