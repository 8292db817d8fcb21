"""Machine description and table formatting shared by every benchmark mode."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "erlen",
    "quart",
    "starlette",
    "hypercorn",
    "uvicorn",
    "uvloop",
    "httptools",
    "granian",
    "jinja2",
    "websockets",
)


def cpu_count() -> int:
    """CPUs this process may run on (what ``nproc`` prints)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpu_model() -> str:
    """The CPU model name, if the OS tells."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_versions() -> dict[str, str]:
    """Installed versions of the benchmarked packages ('-' when missing)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    return versions


def machine() -> dict[str, Any]:
    """Everything needed to compare a result with another one."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "nproc": cpu_count(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "packages": package_versions(),
    }


def machine_lines(info: dict[str, Any]) -> list[str]:
    """The machine description as short ``key: value`` lines."""
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    lines = [
        f"date: {info['date']}",
        f"python: {info['python']}",
        f"machine: nproc={info['nproc']}, {info['cpu']}, {info['platform']}",
        f"packages: {packages}",
    ]
    if "baseline" in info:  # bench/run.py --baseline-python
        base = info["baseline"]
        lines.append(
            f"{base['label']}: erlen from {base['erlen']} (git {base['commit']}),"
            f" Python {base['python_version']} at {base['python']}"
        )
    return lines


def error_cell(error: str, width: int = 48) -> str:
    """A failed cell: ``n/a (error: <the start of the message>)``; the full message is
    listed under the table."""
    message = " ".join(error.split())
    if len(message) > width:
        message = message[: width - 1].rstrip() + "…"
    return f"n/a (error: {message})"


def format_number(value: float | None, error: str | bool | None = None) -> str:
    """A cell value with sensible precision ('n/a (error: …)' / '-' when missing)."""
    if error:
        return error_cell(error if isinstance(error, str) else "see below")
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_ratio(value: float | None) -> str:
    """A throughput ratio such as ``1.23x`` ('n/a' when a side is missing)."""
    return "n/a" if value is None else f"{value:.2f}x"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table: first column left, the rest right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub markdown table: first column left, the rest right-aligned."""
    align = [":---", *("---:" for _ in header[1:])]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(row) + " |" for row in lines)
