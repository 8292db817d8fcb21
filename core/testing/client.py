"""``erlen.testing.client``: Quart's ``quart.testing.client`` (``QuartClient`` is
``ErlenClient``; lazy, from the ``testing`` plugin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import lazy_names

if TYPE_CHECKING:
    from erlen.plugins.testing import ErlenClient as ErlenClient

__all__ = ["ErlenClient"]

__getattr__ = lazy_names(__name__, __all__)
