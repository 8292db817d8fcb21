"""``erlen.testing.app``: the names of Quart's ``quart.testing.app`` (lazy, from the
``testing`` plugin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import lazy_names

if TYPE_CHECKING:
    from erlen.plugins.testing.app import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
    from erlen.plugins.testing.app import LifespanError as LifespanError
    from erlen.plugins.testing.app import TestApp as TestApp

__all__ = ["DEFAULT_TIMEOUT", "LifespanError", "TestApp"]

__getattr__ = lazy_names(__name__, __all__, "erlen.plugins.testing.app")
