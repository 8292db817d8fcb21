"""The ``request``, ``g`` and ``session`` proxies read and write the current objects.

Their public attribute reads and writes take a short path (one ContextVar lookup); these
tests pin that they still behave as the objects they stand for, and fail outside a
context with the usual message.
"""

from __future__ import annotations

import pytest
from erlen import Erlen, g, request, session


def make_app() -> Erlen:
    app = Erlen(__name__, extra_plugins=["sessions"])
    app.config["SECRET_KEY"] = "proxy-key"

    @app.before_request
    async def remember() -> None:
        g.user = "ada"
        request.tag = "tagged"  # type: ignore[attr-defined]

    @app.route("/read")
    async def read() -> dict[str, object]:
        session.permanent = True
        return {
            "user": g.user,
            "get": g.get("missing", "default"),
            "has": hasattr(g, "nothing"),
            "in": "user" in g,
            "tag": request.tag,  # type: ignore[attr-defined]
            "method": request.method,
            "permanent": session.permanent,
            "session_get": session.get("absent", "none"),
        }

    @app.route("/missing")
    async def missing() -> str:
        try:
            g.nothing  # noqa: B018
        except AttributeError:
            return "attribute error"
        return "found"

    return app


async def test_proxies_read_and_write_the_current_objects() -> None:
    response = await make_app().test_client().get("/read")
    assert await response.get_json() == {
        "user": "ada",
        "get": "default",
        "has": False,
        "in": True,
        "tag": "tagged",
        "method": "GET",
        "permanent": True,
        "session_get": "none",
    }
    assert "Expires=" in response.headers["Set-Cookie"]


async def test_a_missing_g_attribute_is_an_attribute_error() -> None:
    response = await make_app().test_client().get("/missing")
    assert await response.get_data() == b"attribute error"


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda: g.user, "application context"),
        (lambda: setattr(g, "user", 1), "application context"),
        (lambda: request.method, "request context"),
        (lambda: setattr(request, "tag", 1), "request context"),
        (lambda: session.get("user"), "request context"),
        (lambda: setattr(session, "permanent", True), "request context"),
    ],
)
def test_outside_a_context_the_proxies_say_so(read: object, message: str) -> None:
    with pytest.raises(RuntimeError, match=f"Working outside of {message}"):
        read()  # type: ignore[operator]


def make_underscore_app() -> Erlen:
    """Flask's documented ``g._database`` idiom, and the proxies' own names."""
    app = Erlen("underscores")

    @app.route("/db")
    async def db() -> dict[str, object]:
        before = getattr(g, "_database", None)
        g._database = "connection"
        return {
            "before": before,
            "after": g._database,
            "get": g.get("_database"),
            "in": "_database" in g,
            "repr": repr(g),
            "g_is_current": isinstance(g._get_current_object(), app.app_ctx_globals_class),
            "request_class": request.__class__.__name__,
            "is_request": isinstance(request, app.request_class),
        }

    return app


async def test_underscore_names_reach_the_current_objects() -> None:
    response = await make_underscore_app().test_client().get("/db")
    assert await response.get_json() == {
        "before": None,
        "after": "connection",
        "get": "connection",
        "in": True,
        "repr": "<erlen.g of 'underscores'>",
        "g_is_current": True,
        "request_class": "Request",
        "is_request": True,
    }


def test_outside_a_context_isinstance_and_underscore_names_do_not_raise() -> None:
    # Tools (pytest collection, inspect) ask module globals for __class__ and friends.
    assert not isinstance(g, dict)
    assert not isinstance(request, str)
    assert not isinstance(session, list)
    assert "unbound" in repr(g)
