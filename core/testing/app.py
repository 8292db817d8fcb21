"""``erlen.testing.app``: the names of Quart's ``quart.testing.app``."""

from __future__ import annotations

from erlen.plugins.testing.app import LifespanError, TestApp

__all__ = ["LifespanError", "TestApp"]
