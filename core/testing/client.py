"""``erlen.testing.client``: Quart's ``quart.testing.client`` (``QuartClient`` is
``ErlenClient``)."""

from __future__ import annotations

from erlen.plugins.testing import ErlenClient

__all__ = ["ErlenClient"]
