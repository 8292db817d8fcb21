"""A browser resending a verified session cookie takes a shorter path through the stock
cookie interface (opening it from a snapshot of the app's settings, saving an unchanged
session without the method calls).

These tests pin that what a user sees stays what the general path gives: settings changed
after the first request are honoured, an interface with attributes set on it or a subclass
keeps its own behaviour, and the response headers (``Vary``, ``Set-Cookie``) are the same.
"""

from __future__ import annotations

import copy
import gc
import pickle
import weakref
from datetime import timedelta
from typing import Any

from erlen import Erlen, session
from erlen.sessions import SecureCookieSession, SecureCookieSessionInterface


def make_app() -> Erlen:
    app = Erlen(__name__)
    app.config["SECRET_KEY"] = "fast-key"
    # Its own interface: the tests set attributes on it, the class's one is shared.
    app.session_interface = SecureCookieSessionInterface()

    @app.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        return "in"

    @app.route("/me")
    async def me() -> str:
        return f"user={session.get('user', 'nobody')}"

    @app.route("/me-vary")
    async def me_vary() -> Any:
        return f"user={session.get('user', 'nobody')}", 200, {"Vary": "Accept-Encoding"}

    @app.route("/rename")
    async def rename() -> str:
        session["user"] = "bea"
        return "renamed"

    @app.route("/make-permanent")
    async def make_permanent() -> str:
        session.permanent = True
        return "permanent"

    @app.route("/plain")
    async def plain() -> str:
        return "plain"

    @app.route("/logout")
    async def logout() -> str:
        session.pop("user", None)
        return "out"

    @app.route("/kind")
    async def kind() -> str:
        return f"{type(session._get_current_object()).__name__} {len(session)}"

    return app


async def logged_in(app: Erlen) -> Any:
    client = app.test_client()
    await client.get("/login")
    for _ in range(2):  # the first read verifies the cookie, the next ones are known
        assert await (await client.get("/me")).get_data() == b"user=ada"
    return client


async def test_a_known_cookie_reads_its_session_adds_vary_and_sets_no_cookie() -> None:
    app = make_app()
    client = await logged_in(app)
    for _ in range(3):
        response = await client.get("/me")
        assert await response.get_data() == b"user=ada"
        assert response.headers["Vary"] == "Cookie"
        assert "Set-Cookie" not in response.headers
    response = await client.get("/me-vary")
    assert response.headers.get_all("Vary") == ["Accept-Encoding, Cookie"]
    assert await (await client.get("/kind")).get_data() == b"SecureCookieSession 1"


async def test_changing_a_known_session_sends_the_new_cookie() -> None:
    app = make_app()
    client = await logged_in(app)
    response = await client.get("/rename")
    assert response.headers["Set-Cookie"].startswith("session=")
    assert await (await client.get("/me")).get_data() == b"user=bea"


async def test_emptying_a_known_session_deletes_the_cookie() -> None:
    app = make_app()
    client = await logged_in(app)
    response = await client.get("/logout")
    assert "Expires=Thu, 01 Jan 1970" in response.headers["Set-Cookie"]
    assert response.headers["Vary"] == "Cookie"
    assert await (await client.get("/me")).get_data() == b"user=nobody"


async def test_a_known_cookie_sent_to_a_route_not_reading_it_sends_nothing_back() -> None:
    app = make_app()
    client = await logged_in(app)
    response = await client.get("/plain")
    assert await response.get_data() == b"plain"
    assert "Vary" not in response.headers
    assert "Set-Cookie" not in response.headers


async def test_a_session_made_permanent_is_refreshed_on_every_read() -> None:
    app = make_app()
    client = await logged_in(app)
    assert "Expires=" in (await client.get("/make-permanent")).headers["Set-Cookie"]
    for _ in range(3):
        response = await client.get("/me")
        assert await response.get_data() == b"user=ada"
        assert "Expires=" in response.headers["Set-Cookie"]


async def test_a_new_cookie_name_after_the_first_requests_is_honoured() -> None:
    app = make_app()
    client = await logged_in(app)
    app.config["SESSION_COOKIE_NAME"] = "other"
    assert await (await client.get("/me")).get_data() == b"user=nobody"
    app.config["SESSION_COOKIE_NAME"] = "session"
    assert await (await client.get("/me")).get_data() == b"user=ada"


async def test_a_shorter_lifetime_after_the_first_requests_expires_the_cookie() -> None:
    app = make_app()
    client = await logged_in(app)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=-1)
    assert await (await client.get("/me")).get_data() == b"user=nobody"


async def test_a_new_secret_key_after_the_first_requests_rejects_the_cookie() -> None:
    app = make_app()
    client = await logged_in(app)
    app.config["SECRET_KEY"] = "another-key"
    assert await (await client.get("/me")).get_data() == b"user=nobody"
    app.config["SECRET_KEY"] = "fast-key"
    assert await (await client.get("/me")).get_data() == b"user=ada"


async def test_a_salt_set_on_the_interface_after_the_first_requests_rejects_the_cookie() -> None:
    app = make_app()
    client = await logged_in(app)
    app.session_interface.salt = "another-salt"  # type: ignore[attr-defined]
    assert await (await client.get("/me")).get_data() == b"user=nobody"


async def test_a_method_set_on_the_interface_is_called() -> None:
    app = make_app()
    client = await logged_in(app)
    saved: list[dict[str, Any]] = []
    interface = app.session_interface
    stock_save = interface.save_session

    async def recording_save(app: Any, session: Any, response: Any) -> None:
        saved.append(dict(session))
        await stock_save(app, session, response)

    interface.save_session = recording_save  # type: ignore[method-assign]
    response = await client.get("/me")
    assert await response.get_data() == b"user=ada"
    assert response.headers["Vary"] == "Cookie"
    assert saved == [{"user": "ada"}]


async def test_a_subclass_with_its_own_session_class_keeps_it() -> None:
    class Tracked(SecureCookieSession):
        pass

    class TrackedInterface(SecureCookieSessionInterface):
        session_class = Tracked

    app = make_app()
    app.session_interface = TrackedInterface()
    client = await logged_in(app)
    assert await (await client.get("/kind")).get_data() == b"Tracked 1"


async def test_two_apps_sharing_the_stock_interface_each_read_their_own_cookie() -> None:
    first, second = make_app(), make_app()
    second.config["SECRET_KEY"] = "second-key"
    shared = SecureCookieSessionInterface()
    first.session_interface = second.session_interface = shared
    first_client, second_client = await logged_in(first), await logged_in(second)
    second_cookie = second_client.get_cookie("session")
    assert second_cookie is not None
    cookieless = first.test_client(use_cookies=False)
    for _ in range(2):
        assert await (await first_client.get("/me")).get_data() == b"user=ada"
        assert await (await second_client.get("/me")).get_data() == b"user=ada"
        # a cookie of the other app is not signed with this app's key
        headers = {"Cookie": f"session={second_cookie.value}"}
        response = await cookieless.get("/me", headers=headers)
        assert await response.get_data() == b"user=nobody"


async def test_the_shared_interface_does_not_keep_an_app_alive() -> None:
    app = Erlen(__name__)
    app.config["SECRET_KEY"] = "alive-key"

    @app.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        return "in"

    @app.route("/me")
    async def me() -> str:
        return f"user={session.get('user', 'nobody')}"

    assert app.session_interface is Erlen.session_interface  # the class's, shared
    client = app.test_client()
    await client.get("/login")
    for _ in range(2):
        assert await (await client.get("/me")).get_data() == b"user=ada"
    gone = weakref.ref(app)
    del app, client, login, me
    gc.collect()
    assert gone() is None


async def test_a_vary_header_in_any_case_from_after_request_gets_cookie_added() -> None:
    app = make_app()

    @app.after_request
    async def vary(response: Any) -> Any:
        if response.status_code == 200:
            response.headers["VARY"] = "Accept"
        return response

    client = await logged_in(app)
    response = await client.get("/me")
    assert await response.get_data() == b"user=ada"
    assert response.headers.get_all("Vary") == ["Accept, Cookie"]
    assert "Set-Cookie" not in response.headers


async def test_copies_of_a_known_session_keep_its_values_and_flags() -> None:
    app = make_app()

    @app.route("/copies")
    async def copies() -> dict[str, Any]:
        current = session._get_current_object()
        current["seen"] = 1
        copied = copy.copy(current)
        unpickled = pickle.loads(pickle.dumps(current))
        return {
            "copy": [dict(copied), copied.modified],
            "pickle": [dict(unpickled), unpickled.modified, type(unpickled).__name__],
        }

    client = await logged_in(app)
    response = await client.get("/copies")
    assert await response.get_json() == {
        "copy": [{"user": "ada", "seen": 1}, True],
        "pickle": [{"user": "ada", "seen": 1}, True, "SecureCookieSession"],
    }
    assert response.headers["Set-Cookie"].startswith("session=")


async def test_an_interface_replaced_during_the_request_saves_the_session() -> None:
    app = make_app()

    class Stamping(SecureCookieSessionInterface):
        def save_session(self, app: Any, session: Any, response: Any) -> Any:
            response.headers["X-Saved-By"] = "stamping"
            return super().save_session(app, session, response)

    @app.route("/swap")
    async def swap() -> str:
        user = session.get("user")
        app.session_interface = Stamping()
        return f"user={user}"

    client = await logged_in(app)
    response = await client.get("/swap")
    assert await response.get_data() == b"user=ada"
    assert response.headers["X-Saved-By"] == "stamping"
    assert response.headers["Vary"] == "Cookie"
