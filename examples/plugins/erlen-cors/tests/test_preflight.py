"""Preflight ``OPTIONS`` requests, in process and over a real socket."""

from __future__ import annotations

from typing import Any

import httpx

ORIGIN = "https://app.example"


def preflight(method: str = "POST", headers: str = "", origin: str = ORIGIN) -> dict[str, str]:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return sent


async def test_allowed_preflight(client: Any, app: Any) -> None:
    response = await client.options("/items", headers=preflight("DELETE", "content-type, x-token"))
    assert response.status_code == 204
    assert await response.get_data() == b""
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == (
        "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    )
    assert response.headers["Access-Control-Allow-Headers"] == "content-type, x-token"
    assert response.headers["Access-Control-Max-Age"] == "300"
    assert response.headers["Vary"] == "Origin"
    assert app.view_calls == 0  # answered before the view


async def test_preflight_for_another_origin_is_refused(client: Any) -> None:
    response = await client.options("/items", headers=preflight(origin="https://evil.example"))
    assert response.status_code == 400
    assert await response.get_data(as_text=True) == "Disallowed CORS origin"
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_preflight_for_a_header_not_allowed_is_refused(client: Any) -> None:
    response = await client.options("/items", headers=preflight("POST", "X-Token, X-Secret"))
    assert response.status_code == 400
    assert await response.get_data(as_text=True) == "Disallowed CORS headers"


async def test_preflight_for_a_method_not_allowed_is_refused(
    erlen_app_factory: Any,
) -> None:
    app = erlen_app_factory(
        plugins=["cors"], config={"CORS_ALLOW_ORIGINS": [ORIGIN], "CORS_ALLOW_METHODS": "GET"}
    )
    response = await app.test_client().options("/", headers=preflight("PUT", "X-Any"))
    assert response.status_code == 400
    assert await response.get_data(as_text=True) == "Disallowed CORS method, headers"


async def test_any_header_and_no_max_age(erlen_app_factory: Any) -> None:
    app = erlen_app_factory(
        plugins=["cors"],
        config={"CORS_ALLOW_ORIGINS": [ORIGIN], "CORS_ALLOW_HEADERS": "*", "CORS_MAX_AGE": None},
    )
    response = await app.test_client().options("/", headers=preflight("GET", "X-Anything"))
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Headers"] == "X-Anything"
    assert "Access-Control-Max-Age" not in response.headers


async def test_plain_options_request_is_the_apps(client: Any) -> None:
    response = await client.options("/items", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {
        "DELETE",
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    }
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_preflight_over_a_real_socket(erlen_live_server: str, app: Any) -> None:
    async with httpx.AsyncClient(base_url=erlen_live_server, timeout=5) as http:
        preflight_response = await http.options("/items", headers=preflight("POST", "X-Token"))
        actual = await http.post("/items", headers={"Origin": ORIGIN, "X-Token": "t"})
    assert preflight_response.status_code == 204
    assert preflight_response.headers["access-control-allow-headers"] == "X-Token"
    assert actual.status_code == 200
    assert actual.headers["access-control-allow-origin"] == ORIGIN
    assert actual.json() == {"items": [1, 2]}


async def test_unconfigured_plugin_leaves_preflights_to_the_app(erlen_app_factory: Any) -> None:
    app = erlen_app_factory(plugins=["cors"])

    @app.route("/items", methods=["GET", "POST"])
    async def items() -> str:
        return "items"

    response = await app.test_client().options("/items", headers=preflight("POST"))
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers
    simple = await app.test_client().get("/items", headers={"Origin": ORIGIN})
    assert await simple.get_data(as_text=True) == "items"
    assert "Vary" not in simple.headers
