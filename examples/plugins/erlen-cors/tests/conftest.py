"""Fixtures for the plugin's suite. ``erlen_app_factory``, ``client`` and
``erlen_live_server`` come from Erlen's pytest plugin (installed with erlen); ``client``
and ``erlen_live_server`` use the ``app`` fixture defined here."""

from __future__ import annotations

from typing import Any

import pytest

ORIGIN = "https://app.example"


@pytest.fixture
def cors_config() -> dict[str, Any]:
    """The app's CORS config; a test overrides it with ``@pytest.mark.parametrize`` or a
    fixture of its own."""
    return {
        "CORS_ALLOW_ORIGINS": [ORIGIN, "https://admin.example"],
        "CORS_ALLOW_HEADERS": ["Content-Type", "X-Token"],
        "CORS_EXPOSE_HEADERS": ["X-Total"],
        "CORS_MAX_AGE": 300,
    }


@pytest.fixture
def app(erlen_app_factory: Any, cors_config: dict[str, Any]) -> Any:
    """An app with only this plugin loaded (by its entry-point name) and two routes."""
    app = erlen_app_factory(plugins=["cors"], config=cors_config)
    app.view_calls = 0

    @app.route("/items", methods=["GET", "POST", "DELETE"])
    async def items() -> Any:
        app.view_calls += 1
        return {"items": [1, 2]}, 200, {"X-Total": "2"}

    return app
