"""Parent side of the in-process benchmark: spawn workers, interleave rounds, report."""

from __future__ import annotations

import json
import queue
import statistics
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from benchlib import BENCH_DIR
from benchlib.frameworks import Column
from benchlib.report import format_number, format_ratio, machine_lines, markdown_table, text_table
from benchlib.scenarios import Scenario
from benchlib.worker import Settings

RUN_PY = BENCH_DIR / "run.py"
READY_TIMEOUT_S = 180.0
ROUND_TIMEOUT_S = 120.0
SMOKE_TIMEOUT_S = 300.0


@dataclass
class Cell:
    """The result of one (column, scenario) pair; ``framework`` is the column's name."""

    framework: str
    scenario: str
    count: int = 0
    rounds_us: list[float] = field(default_factory=list)
    batches_us: list[list[float]] = field(default_factory=list)
    error: str | None = None
    detail: str | None = None

    @property
    def median_us(self) -> float | None:
        """Median over rounds of each round's fastest batch, or None on error."""
        if self.error or not self.rounds_us:
            return None
        return statistics.median(self.rounds_us)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form, including the median."""
        return {**asdict(self), "median_us": self.median_us}


class WorkerProcess:
    """A running worker subprocess (``column``'s interpreter) and a thread that reads its
    replies."""

    def __init__(self, column: Column, scenario: str, settings: Settings) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()
        command = [
            column.python,
            str(RUN_PY),
            "--worker",
            column.framework,
            scenario,
            json.dumps(asdict(settings)),
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            bufsize=1,
            cwd=BENCH_DIR.parent,
        )
        self.replies: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        """Forward each stdout line to the queue; ``None`` marks EOF."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.replies.put(line)
        self.replies.put(None)

    def reply(self, timeout: float) -> dict[str, Any]:
        """The next reply, or an error dict on EOF, timeout or garbage."""
        try:
            line = self.replies.get(timeout=timeout)
        except queue.Empty:
            return {
                "error": f"worker gave no answer within {timeout:g}s",
                "detail": self.stderr_tail(),
            }
        if line is None:
            self.process.wait(timeout=10)
            return {
                "error": f"worker exited with code {self.process.returncode}",
                "detail": self.stderr_tail(),
            }
        try:
            return dict(json.loads(line))
        except ValueError:
            return {
                "error": f"unreadable worker reply {line[:200]!r}",
                "detail": self.stderr_tail(),
            }

    def command(self, text: str, timeout: float) -> dict[str, Any]:
        """Send a command line and wait for its reply."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(text + "\n")
            self.process.stdin.flush()
        except OSError as error:
            return {"error": f"worker is gone ({error})", "detail": self.stderr_tail()}
        return self.reply(timeout)

    def stderr_tail(self, size: int = 4000) -> str:
        """The last ``size`` characters the worker wrote to stderr."""
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-size:]

    def close(self) -> None:
        """Stop the worker (politely if it still listens) and release its files."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def fail(cell: Cell, reply: dict[str, Any], worker: WorkerProcess) -> None:
    """Record a worker's error reply, plus what the worker logged, on ``cell``."""
    cell.error = str(reply.get("error", "unknown error"))
    detail = str(reply.get("detail") or "")
    log = worker.stderr_tail()
    if log and log not in detail:
        detail += "\n--- worker stderr (tail) ---\n" + log
    cell.detail = detail


def run_scenario(
    scenario: Scenario, columns: Sequence[Column], settings: Settings, rounds: int
) -> dict[str, Cell]:
    """Measure one scenario in every column whose app serves it, interleaving the rounds."""
    serving = [c for c in columns if scenario.serves(c.framework)]
    cells = {c.name: Cell(c.name, scenario.name) for c in serving}
    workers = {c.name: WorkerProcess(c, scenario.name, settings) for c in serving}
    try:
        for fw, worker in workers.items():
            reply = worker.reply(READY_TIMEOUT_S)
            if "error" in reply:
                fail(cells[fw], reply, worker)
        for _ in range(rounds):
            for fw, worker in workers.items():
                if cells[fw].error is None:
                    _one_round(cells[fw], worker)
        for fw, worker in workers.items():
            if cells[fw].error is None:
                reply = worker.command("quit", ROUND_TIMEOUT_S)
                if "error" in reply:
                    fail(cells[fw], reply, worker)
    finally:
        for worker in workers.values():
            worker.close()
    return cells


def run_smoke(
    scenarios: Sequence[Scenario], columns: Sequence[Column], count: int
) -> dict[str, dict[str, Cell]]:
    """Verify every scenario in every column: one process per column, all in parallel
    (``run.py --verify``), each checking its scenarios one after the other."""
    results: dict[str, dict[str, Cell]] = {s.name: {} for s in scenarios}
    processes: dict[str, tuple[subprocess.Popen[str], IO[bytes], list[str]]] = {}
    for column in columns:
        names = [s.name for s in scenarios if s.serves(column.framework)]
        if names:
            command = [column.python, str(RUN_PY), "--verify", column.framework]
            stderr: IO[bytes] = tempfile.TemporaryFile()
            process = subprocess.Popen(
                [*command, ",".join(names), str(count)],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                cwd=BENCH_DIR.parent,
            )
            processes[column.name] = (process, stderr, names)
    for fw, (process, stderr, names) in processes.items():
        try:
            output, _ = process.communicate(timeout=SMOKE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        stderr.seek(0)
        log = stderr.read().decode("utf-8", "replace")[-4000:]
        stderr.close()
        replies = {}
        for line in output.splitlines():
            try:
                reply = dict(json.loads(line))
            except ValueError:
                continue
            replies[str(reply.get("scenario", ""))] = reply
        for name in names:
            cell = results[name][fw] = Cell(fw, name)
            reply = (
                replies.get(name)
                or replies.get("")
                or {"error": f"verifier exited with code {process.returncode} before this scenario"}
            )
            if "error" in reply:
                cell.error = str(reply["error"])
                cell.detail = str(reply.get("detail") or "") + "\n--- verifier stderr ---\n" + log
    return results


def _one_round(cell: Cell, worker: WorkerProcess) -> None:
    """Ask a worker for one round and store its fastest batch.

    Load from other processes only ever adds time, so within a round the fastest batch
    is the best estimate; the median over rounds then discards rounds that were slowed
    down as a whole.
    """
    reply = worker.command("round", ROUND_TIMEOUT_S)
    if "error" in reply:
        fail(cell, reply, worker)
        return
    cell.count = int(reply["count"])
    batches = [float(value) for value in reply["us"]]
    cell.batches_us.append(batches)
    cell.rounds_us.append(min(batches))


def ratio(cells: dict[str, Cell], baseline: str, subject: str) -> float | None:
    """Throughput ratio ``baseline_us / subject_us`` (> 1: subject is faster)."""
    if baseline not in cells or subject not in cells:
        return None
    base, this = cells[baseline].median_us, cells[subject].median_us
    if base is None or this is None or this == 0:
        return None
    return base / this


#: The other frameworks Erlen is compared with, in column order.
COMPETITORS = ("starlette", "quart")


def comparisons(columns: Sequence[Column]) -> list[str]:
    """The columns Erlen's throughput is compared with: Starlette, Quart, then any
    baseline Erlen (``--baseline-python``); none without an ``erlen`` column."""
    names = [column.name for column in columns]
    if "erlen" not in names:
        return []
    return [name for name in COMPETITORS if name in names] + [
        column.name for column in columns if column.baseline
    ]


def table_rows(
    results: dict[str, dict[str, Cell]], columns: Sequence[Column], smoke: bool = False
) -> tuple[list[str], list[list[str]]]:
    """Header and rows: scenarios down, µs per column across, then ratios.

    In smoke mode a cell says only whether the column's app answered correctly.
    """
    others = [] if smoke else comparisons(columns)
    title = "scenario (verified)" if smoke else "scenario (µs/req)"
    header = [title, *(c.name for c in columns), *(f"erlen vs {o}" for o in others)]
    rows = []
    for name, cells in results.items():
        row = [name]
        for column in columns:
            cell = cells.get(column.name)
            if cell is None:
                row.append("-")
            elif smoke and cell.error is None:
                row.append("ok")
            else:
                row.append(format_number(cell.median_us, cell.error))
        row += [format_ratio(ratio(cells, other, "erlen")) for other in others]
        rows.append(row)
    return header, rows


def summary_lines(results: dict[str, dict[str, Cell]], columns: Sequence[Column]) -> list[str]:
    """Per comparison: the worst shape (lowest Erlen ratio), the median ratio, and the
    shapes below 1.00x."""
    lines = []
    for other in comparisons(columns):
        ratios = {
            name: value
            for name, cells in results.items()
            if (value := ratio(cells, other, "erlen")) is not None
        }
        if not ratios:
            continue
        worst = min(ratios, key=ratios.__getitem__)
        slower = sorted(
            (name for name, value in ratios.items() if value < 1.0), key=ratios.__getitem__
        )
        lines.append(
            f"erlen vs {other}: worst {worst} {format_ratio(ratios[worst])}, median "
            f"{format_ratio(statistics.median(ratios.values()))} over {len(ratios)} shapes; "
            f"below 1.00x: {', '.join(slower) if slower else 'none'}"
        )
    return lines


def failure_details(results: dict[str, dict[str, Cell]]) -> str:
    """Tracebacks and worker logs of every failed cell (for ``--verbose``)."""
    blocks = [
        f"===== {c.framework}/{c.scenario}: {c.error}\n{c.detail or ''}".rstrip()
        for c in errors(results)
    ]
    return "\n\n".join(blocks)


def errors(results: dict[str, dict[str, Cell]]) -> list[Cell]:
    """Every cell that failed."""
    return [cell for cells in results.values() for cell in cells.values() if cell.error]


def baseline_names(columns: Sequence[Column]) -> list[str]:
    """The names of the baseline Erlen columns (``--baseline-python``)."""
    return [column.name for column in columns if column.baseline]


def run_failures(results: dict[str, dict[str, Cell]], columns: Sequence[Column]) -> list[Cell]:
    """The failed cells that fail the run: all but a baseline Erlen's, since an older
    Erlen may lack what a shape needs."""
    baselines = baseline_names(columns)
    return [cell for cell in errors(results) if cell.framework not in baselines]


def notes(results: dict[str, dict[str, Cell]], columns: Sequence[Column], smoke: bool) -> list[str]:
    """What the cells and ratios mean, and how failures count."""
    baselines = baseline_names(columns)
    if smoke:
        text = "--smoke: 'ok' = every response was verified (status, headers, body); no timings."
    else:
        text = (
            "Lower µs is better; 'erlen vs X' = X µs / erlen µs, so > 1.00x means "
            "Erlen serves more requests per second than X. raw '-': the floor app implements"
            " only the original scenarios."
        )
    lines = [text]
    if not smoke:
        lines += [
            f"{name}: the same bench app on the Erlen of another interpreter"
            f" (--baseline-python), interleaved with the other columns; 'erlen vs {name}'"
            " > 1.00x means this Erlen is faster."
            for name in baselines
        ]
    counted = run_failures(results, columns)
    if len(counted) < len(errors(results)):
        lines.append(
            f"n/a in {', '.join(baselines)}: that Erlen cannot serve the shape (its worker"
            " failed); this does not fail the run."
        )
    if counted:
        lines.append(
            "n/a: that framework failed the scenario (message below; --verbose for the"
            " traceback); the other cells are unaffected."
        )
    return lines


def failure_lines(results: dict[str, dict[str, Cell]], columns: Sequence[Column]) -> list[str]:
    """One line per failed cell; a baseline Erlen's say they do not fail the run."""
    baselines = baseline_names(columns)
    return [
        f"{c.framework}/{c.scenario}: {c.error}"
        + (" (baseline Erlen: not a failure of the run)" if c.framework in baselines else "")
        for c in errors(results)
    ]


def render(
    results: dict[str, dict[str, Cell]],
    columns: Sequence[Column],
    info: dict[str, Any],
    markdown: bool,
    smoke: bool = False,
) -> str:
    """The final report: machine lines, the table, the verdict, notes, then one line per
    failure."""
    header, rows = table_rows(results, columns, smoke)
    summary = [] if smoke else summary_lines(results, columns)
    note = " ".join(notes(results, columns, smoke))
    failures = failure_lines(results, columns)
    if markdown:
        parts = [
            "## In-process ASGI benchmark",
            "",
            *(f"- {line}" for line in machine_lines(info)),
            "",
            markdown_table(header, rows),
            "",
            *(f"**{line}**  " for line in summary),
            *([""] if summary else []),
            note,
        ]
        if failures:
            parts += ["", "Failures:", "", *(f"- {line}" for line in failures)]
        return "\n".join(parts)
    parts = [*machine_lines(info), "", text_table(header, rows), "", *summary, note]
    if failures:
        parts += ["", "FAILURES:", *(f"  {line}" for line in failures)]
    return "\n".join(parts)
