"""``request.cookies``: each distinct Cookie header is parsed once and shared.

The shared mapping must read exactly as a fresh parse, stay immutable, and never mix
one request's cookies into another's.
"""

from __future__ import annotations

import pytest
from erlen import Erlen, request
from werkzeug.datastructures import MultiDict


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/cookies")
    async def cookies() -> dict[str, list[str]]:
        return {name: request.cookies.getlist(name) for name in request.cookies}

    @app.route("/write")
    async def write() -> str:
        try:
            request.cookies["a"] = "x"  # type: ignore[index]
        except TypeError:
            return "immutable"
        return "mutable"

    return app


async def get_cookies(app: Erlen, header: str | None) -> object:
    client = app.test_client(use_cookies=False)
    headers = {"Cookie": header} if header is not None else {}
    return await (await client.get("/cookies", headers=headers)).get_json()


async def test_the_same_header_reads_the_same_every_time() -> None:
    app = make_app()
    for _ in range(3):
        assert await get_cookies(app, 'a=1; b="two words"; a=3') == {
            "a": ["1", "3"],
            "b": ["two words"],
        }


async def test_different_headers_never_share_cookies() -> None:
    app = make_app()
    assert await get_cookies(app, "a=1") == {"a": ["1"]}
    assert await get_cookies(app, "a=2") == {"a": ["2"]}
    assert await get_cookies(app, None) == {}
    assert await get_cookies(app, "a=1") == {"a": ["1"]}


async def test_shared_cookies_cannot_be_changed_by_a_view() -> None:
    app = make_app()
    client = app.test_client(use_cookies=False)
    response = await client.get("/write", headers={"Cookie": "a=1"})
    assert await response.get_data() == b"immutable"
    assert await get_cookies(app, "a=1") == {"a": ["1"]}


@pytest.mark.parametrize("count", [1500])
async def test_many_distinct_headers_all_read_right(count: int) -> None:
    app = make_app()
    client = app.test_client(use_cookies=False)
    for i in range(count):  # more than the cache holds: old entries are dropped
        response = await client.get("/cookies", headers={"Cookie": f"n={i}"})
        assert await response.get_json() == {"n": [str(i)]}


async def test_a_mutable_storage_class_gets_its_own_parse() -> None:
    app = make_app()
    app.request_class = type("MutableCookies", (app.request_class,), {})
    app.request_class.dict_storage_class = MultiDict  # type: ignore[assignment]

    @app.route("/mutate")
    async def mutate() -> str:
        request.cookies["a"] = "changed"  # type: ignore[index]
        return request.cookies["a"]

    client = app.test_client(use_cookies=False)
    for _ in range(2):
        response = await client.get("/mutate", headers={"Cookie": "a=1"})
        assert await response.get_data() == b"changed"
    assert await get_cookies(app, "a=1") == {"a": ["1"]}
