"""CORS headers on actual (non-preflight) requests."""

from __future__ import annotations

from typing import Any

import pytest
from erlen import Erlen

ORIGIN = "https://app.example"


async def test_allowed_origin_gets_the_headers(client: Any) -> None:
    response = await client.get("/items", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert await response.get_json() == {"items": [1, 2]}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert response.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_other_origin_gets_no_cors_headers(client: Any) -> None:
    response = await client.post("/items", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200  # the app still answers; the browser hides it
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"


async def test_same_origin_request_is_untouched(client: Any) -> None:
    response = await client.get("/items")
    assert response.status_code == 200
    assert not [name for name in response.headers.keys() if name.startswith("Access-Control")]
    assert "Vary" not in response.headers


async def test_error_responses_carry_the_headers_too(client: Any) -> None:
    response = await client.get("/missing", headers={"Origin": ORIGIN})
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.parametrize(
    "cors_config",
    [{"CORS_ALLOW_ORIGINS": "*"}],
)
async def test_wildcard_origin(client: Any) -> None:
    response = await client.get("/items", headers={"Origin": "https://any.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in response.headers  # the same answer for every origin


@pytest.mark.parametrize(
    "cors_config",
    [{"CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": True}],
)
async def test_wildcard_with_credentials_names_the_origin(client: Any) -> None:
    response = await client.get("/items", headers={"Origin": "https://any.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://any.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Vary"] == "Origin"


@pytest.mark.parametrize("cors_config", [{}])
async def test_by_default_no_origin_is_allowed(client: Any) -> None:
    response = await client.get("/items", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(
    "cors_config", [{"CORS_ALLOW_ORIGINS": "https://a.example, https://app.example"}]
)
async def test_origins_as_a_comma_separated_string(client: Any) -> None:
    response = await client.get("/items", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.parametrize("cors_config", [{"CORS_MAX_AGE": "ten minutes"}])
async def test_a_bad_config_value_fails_at_startup_naming_the_key(app: Any) -> None:
    with pytest.raises(ValueError, match="CORS_MAX_AGE must be a number of seconds"):
        async with app.test_app():
            pass


def test_config_defaults_are_set_and_the_apps_values_win(erlen_app_factory: Any) -> None:
    app = erlen_app_factory(plugins=["cors"], config={"CORS_MAX_AGE": 60})
    assert app.config["CORS_MAX_AGE"] == 60
    assert app.config["CORS_ALLOW_ORIGINS"] == ()
    assert app.config["CORS_ALLOW_CREDENTIALS"] is False


def test_installed_plugin_is_loaded_only_when_selected() -> None:
    assert "cors" not in Erlen(__name__).plugins
    assert "cors" in Erlen(__name__, extra_plugins=["cors"]).plugins
    assert "cors" not in Erlen(__name__, extra_plugins=["cors"], exclude_plugins=["cors"]).plugins
