"""Shared pieces of the Erlen benchmark suite (driver, scenarios, reporting)."""

from __future__ import annotations

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
APPS_DIR = BENCH_DIR / "apps"
