"""Signed-cookie sessions: config, permanence, modification tracking, bad cookies, custom
interfaces and the no-secret-key behaviour."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from erlen import Erlen, session
from erlen.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionInterface
from itsdangerous import BadPayload, TimestampSigner, URLSafeTimedSerializer
from werkzeug.http import parse_date


def make_app() -> Erlen:
    app = Erlen(__name__, static_folder=None)
    app.secret_key = "test-secret"

    @app.route("/set/<key>/<value>")
    async def set_value(key: str, value: str) -> str:
        session[key] = value
        return "set"

    @app.route("/get/<key>")
    async def get_value(key: str) -> str:
        return repr(session.get(key))

    @app.route("/plain")
    async def plain() -> str:
        return "plain"

    return app


def set_cookie_header(response: Any, name: str = "session") -> str:
    for value in response.headers.getlist("Set-Cookie"):
        if value.startswith(f"{name}="):
            return value  # type: ignore[no-any-return]
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def cookie_value(header: str) -> str:
    return header.split(";", 1)[0].split("=", 1)[1]


async def test_values_round_trip_through_the_cookie() -> None:
    app = make_app()
    client = app.test_client()
    response = await client.get("/set/user/ada")
    header = set_cookie_header(response)
    assert "HttpOnly" in header
    assert "Path=/" in header
    assert "Expires" not in header  # a browser session by default
    assert response.headers["Vary"] == "Cookie"
    assert await (await client.get("/get/user")).get_data() == b"'ada'"
    assert await (await app.test_client().get("/get/user")).get_data() == b"None"


async def test_rich_values_survive_and_the_format_is_flasks() -> None:
    app = make_app()

    @app.route("/rich")
    async def rich() -> str:
        session["pair"] = (1, 2)
        session["raw"] = b"\x00\xff"
        return "ok"

    @app.route("/read")
    async def read() -> str:
        return repr((session["pair"], session["raw"]))

    client = app.test_client()
    cookie = cookie_value(set_cookie_header(await client.get("/rich")))
    payload = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)  # type: ignore[union-attr]
    assert payload == {"pair": (1, 2), "raw": b"\x00\xff"}
    assert await (await client.get("/read")).get_data() == b"((1, 2), b'\\x00\\xff')"


async def test_a_cookie_signed_by_quart_is_read() -> None:
    # Set by Quart 0.22 with SECRET_KEY "porting-key": {"user": "ada", "ids": (1, 2)},
    # permanent. Porting an app must not log its users out.
    app = make_app()
    app.secret_key = "porting-key"
    app.permanent_session_lifetime = timedelta(days=365 * 100)
    client = app.test_client()
    client.set_cookie(
        "localhost",
        "session",
        "eyJ1c2VyIjoiYWRhIiwiaWRzIjp7IiB0IjpbMSwyXX0sIl9wZXJtYW5lbnQiOnRydWV9"
        ".awahUQ.7bb2vLO0_7Em87gfWCXAgxOn2Fo",
    )
    assert await (await client.get("/get/user")).get_data() == b"'ada'"
    assert await (await client.get("/get/ids")).get_data() == b"(1, 2)"


async def test_session_cookie_config() -> None:
    app = make_app()
    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.test",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PARTITIONED=True,
    )
    response = await app.test_client().get("/set/a/b")
    header = set_cookie_header(response, "sid")
    for part in ("Domain=example.test", "Path=/app", "Secure", "SameSite=Lax", "Partitioned"):
        assert part in header
    assert "HttpOnly" not in header


async def test_permanent_session_gets_an_expiry_from_the_lifetime() -> None:
    app = make_app()
    app.config["PERMANENT_SESSION_LIFETIME"] = 600  # seconds, as Flask accepts

    @app.route("/login")
    async def login() -> str:
        session.permanent = True
        session["user"] = "ada"
        return "in"

    client = app.test_client()
    before = time.time()
    header = set_cookie_header(await client.get("/login"))
    expires_text = next(p for p in header.split("; ") if p.startswith("Expires="))
    expires = parse_date(expires_text.removeprefix("Expires="))
    assert expires is not None
    assert before + 590 <= expires.timestamp() <= time.time() + 610
    # A permanent session is refreshed on every request, even one that ignores it.
    refreshed = await client.get("/plain")
    assert "Expires=" in set_cookie_header(refreshed)
    assert await (await client.get("/get/user")).get_data() == b"'ada'"
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert "Set-Cookie" not in (await client.get("/plain")).headers


async def test_untouched_session_costs_nothing_and_reading_adds_vary() -> None:
    app = make_app()
    client = app.test_client()
    await client.get("/set/user/ada")
    plain = await client.get("/plain")
    assert "Set-Cookie" not in plain.headers
    assert "Vary" not in plain.headers
    read = await client.get("/get/user")
    assert read.headers["Vary"] == "Cookie"
    assert "Set-Cookie" not in read.headers  # read, not modified: no new cookie


async def test_modified_flag_for_nested_changes_and_accessed() -> None:
    app = make_app()
    flags: list[tuple[bool, bool]] = []

    @app.route("/start")
    async def start() -> str:
        session["items"] = []
        return "ok"

    @app.route("/append/<item>")
    async def append(item: str) -> str:
        flags.append((session.modified, session.accessed))
        session["items"].append(item)  # mutating a value is not seen by the session...
        flags.append((session.modified, session.accessed))
        if item == "kept":
            session.modified = True  # ...unless the view says so
        return "ok"

    @app.route("/items")
    async def items() -> str:
        return ",".join(session["items"])

    client = app.test_client()
    await client.get("/start")
    lost = await client.get("/append/lost")
    assert "Set-Cookie" not in lost.headers
    kept = await client.get("/append/kept")
    assert "Set-Cookie" in kept.headers
    assert await (await client.get("/items")).get_data() == b"kept"
    assert flags[:2] == [(False, False), (False, True)]


async def test_clearing_the_session_deletes_the_cookie() -> None:
    app = make_app()

    @app.route("/logout")
    async def logout() -> str:
        session.clear()
        return "out"

    client = app.test_client()
    await client.get("/set/user/ada")
    response = await client.get("/logout")
    header = set_cookie_header(response)
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in header
    assert response.headers["Vary"] == "Cookie"
    assert await (await client.get("/get/user")).get_data() == b"None"


@pytest.mark.parametrize(
    "bad_cookie",
    [
        "not-a-signed-value",
        "eyJ1c2VyIjoibWFsbG9yeSJ9.ZZZZZZ.forgedsignatureforgedsignature",
        "%%%",
        "x" * 3000,
        "e30.AAAAAA.",
    ],
)
async def test_tampered_cookie_gives_an_empty_session(bad_cookie: str) -> None:
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    client.set_cookie("localhost", "session", bad_cookie)
    response = await client.get("/get/user")
    assert response.status_code == 200
    assert await response.get_data() == b"None"


async def test_cookie_with_a_modified_payload_is_rejected() -> None:
    app = make_app()
    client = app.test_client()
    good = cookie_value(set_cookie_header(await client.get("/set/role/user")))
    payload, rest = good.split(".", 1)
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    client.set_cookie("localhost", "session", f"{forged_payload}.{rest}")
    assert await (await client.get("/get/role")).get_data() == b"None"


async def test_cookie_signed_with_another_key_is_rejected_unless_a_fallback() -> None:
    other = make_app()
    other.secret_key = "old-secret"
    cookie = cookie_value(set_cookie_header(await other.test_client().get("/set/user/ada")))
    app = make_app()
    client = app.test_client()
    client.set_cookie("localhost", "session", cookie)
    assert await (await client.get("/get/user")).get_data() == b"None"
    rotated = make_app()
    rotated.config["SECRET_KEY_FALLBACKS"] = ["old-secret"]
    client = rotated.test_client()
    client.set_cookie("localhost", "session", cookie)
    assert await (await client.get("/get/user")).get_data() == b"'ada'"


async def test_expired_cookie_gives_an_empty_session() -> None:
    class OldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3600

    app = make_app()
    app.permanent_session_lifetime = timedelta(minutes=30)
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    serializer.signer = OldSigner  # type: ignore[assignment]
    stale = serializer.dumps({"user": "ada"})
    client = app.test_client()
    client.set_cookie("localhost", "session", stale)
    response = await client.get("/get/user")
    assert response.status_code == 200
    assert await response.get_data() == b"None"
    app.permanent_session_lifetime = timedelta(hours=2)
    assert await (await client.get("/get/user")).get_data() == b"'ada'"


async def test_without_secret_key_reading_works_and_writing_fails() -> None:
    app = make_app()
    app.secret_key = None
    client = app.test_client()
    read = await client.get("/get/user")
    assert (read.status_code, await read.get_data()) == (200, b"None")
    assert "Set-Cookie" not in read.headers
    failed = await client.get("/set/user/ada")
    assert failed.status_code == 500
    assert b"secret" not in await failed.get_data()
    app.config["PROPAGATE_EXCEPTIONS"] = True  # errors reach the test, naming the fix
    with pytest.raises(RuntimeError, match="no secret key was set"):
        await client.get("/set/user/ada")


class HeaderSessionInterface(SessionInterface):
    """Keeps the session in an ``X-Session`` header: a stand-in for a server-side store."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}

    async def open_session(self, app: Erlen, request: Any) -> SecureCookieSession:
        sid = request.headers.get("X-Session", "")
        return SecureCookieSession(self.store.get(sid, {}))

    async def save_session(self, app: Erlen, session: Any, response: Any) -> None:
        if session.modified:
            sid = str(len(self.store) + 1)
            self.store[sid] = dict(session)
            response.headers["X-Session"] = sid


async def test_a_custom_session_interface_replaces_the_cookie() -> None:
    app = make_app()
    app.secret_key = None  # a custom interface needs no secret key
    interface = HeaderSessionInterface()
    app.session_interface = interface
    client = app.test_client()
    response = await client.get("/set/user/ada")
    assert "Set-Cookie" not in response.headers
    sid = response.headers["X-Session"]
    assert interface.store[sid] == {"user": "ada"}
    reread = await client.get("/get/user", headers={"X-Session": sid})
    assert await reread.get_data() == b"'ada'"
    assert await (await client.get("/get/user")).get_data() == b"None"


async def test_session_values_are_visible_to_before_and_after_request() -> None:
    app = make_app()

    @app.before_request
    async def load_user() -> None:
        session.setdefault("visits", 0)
        session["visits"] += 1

    @app.after_request
    async def show(response: Any) -> Any:
        response.headers["X-Visits"] = str(session["visits"])
        return response

    client = app.test_client()
    await client.get("/plain")
    assert (await client.get("/plain")).headers["X-Visits"] == "2"


class FlaskStyleInterface(SessionInterface):
    """A Flask session interface (plain methods), ported unchanged."""

    def open_session(self, app: Erlen, request: Any) -> SecureCookieSession:  # type: ignore[override]
        return SecureCookieSession({"user": request.headers.get("X-User", "anon")})

    def save_session(self, app: Erlen, session: Any, response: Any) -> None:  # type: ignore[override]
        response.headers["X-Saved-User"] = session["user"]


async def test_a_flask_style_sync_session_interface_works() -> None:
    app = make_app()
    app.session_interface = FlaskStyleInterface()
    response = await app.test_client().get("/set/user/bob", headers={"X-User": "ada"})
    assert response.headers["X-Saved-User"] == "bob"
    read = await app.test_client().get("/get/user", headers={"X-User": "ada"})
    assert await read.get_data() == b"'ada'"


@pytest.mark.parametrize("payload", [[1, 2], "text", 42, {" b": "not base64!"}, {" d": "never"}])
async def test_signed_but_unusable_payload_gives_an_empty_session(payload: Any) -> None:
    app = make_app()
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    # Signed with the right key, but not a session: sign the raw JSON without tagging.
    raw = URLSafeTimedSerializer(
        app.secret_key, salt="cookie-session", signer_kwargs={"key_derivation": "hmac"}
    ).dumps(payload)
    try:
        serializer.loads(raw)  # the signature itself is good (no BadSignature)...
    except BadPayload:
        pass  # ...only the payload is unusable, which is what this test is about
    client = app.test_client()
    client.set_cookie("localhost", "session", raw)
    response = await client.get("/get/user")
    assert (response.status_code, await response.get_data()) == (200, b"None")
