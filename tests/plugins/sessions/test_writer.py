"""The session cookie as written by the writer compiled per config: werkzeug's header,
settings and keys changed at runtime, ``Vary`` once, the size warning."""

from __future__ import annotations

import importlib.metadata
import time
from typing import Any

import pytest
from erlen import Erlen, request, session
from erlen.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from packaging.requirements import Requirement
from werkzeug.http import dump_cookie, parse_date


def make_app() -> Erlen:
    app = Erlen(__name__, static_folder=None)
    app.secret_key = "writer-key"

    @app.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        return "in"

    @app.route("/login-permanent")
    async def login_permanent() -> str:
        session.permanent = True
        session["user"] = "ada"
        return "in"

    @app.route("/count")
    async def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.route("/me")
    async def me() -> str:
        return f"user={session.get('user', 'nobody')}"

    @app.route("/logout")
    async def logout() -> str:
        session.clear()
        return "out"

    return app


def session_cookie(response: Any, name: str = "session") -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]  # type: ignore[no-any-return]


def value_of(header: str) -> str:
    return header.split(";", 1)[0].split("=", 1)[1]


SETTINGS = {
    "SESSION_COOKIE_NAME": "sid",
    "SESSION_COOKIE_DOMAIN": "example.test",
    "SESSION_COOKIE_PATH": "/",
    "SESSION_COOKIE_HTTPONLY": False,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_SAMESITE": "strict",
    "SESSION_COOKIE_PARTITIONED": True,
}


SECURE: Any = {"scheme": "https", "headers": {"Host": "example.test"}}


def werkzeug_header(value: str, **extra: Any) -> str:
    return dump_cookie(
        "sid",
        value,
        domain="example.test",
        path="/",
        httponly=False,
        secure=True,
        samesite="strict",
        partitioned=True,
        **extra,
    )


async def test_the_cookie_is_the_header_werkzeug_writes() -> None:
    app = make_app()
    app.config.update(SETTINGS)
    client = app.test_client()
    header = session_cookie(await client.get("/login", **SECURE), "sid")
    assert header == werkzeug_header(value_of(header))
    response = await client.get("/login-permanent", **SECURE)
    header = session_cookie(response, "sid")
    expires = next(p for p in header.split("; ") if p.startswith("Expires="))
    assert header == werkzeug_header(value_of(header), expires=expires.removeprefix("Expires="))
    when = parse_date(expires.removeprefix("Expires="))
    assert when is not None
    lifetime = app.permanent_session_lifetime.total_seconds()
    assert abs(when.timestamp() - (time.time() + lifetime)) < 5
    deleted = session_cookie(await client.get("/logout", **SECURE), "sid")
    assert deleted == werkzeug_header("", expires=0, max_age=0)


async def test_settings_changed_after_the_first_write_are_used() -> None:
    app = make_app()
    client = app.test_client()
    first = session_cookie(await client.get("/count"))
    assert "Secure" not in first and "SameSite" not in first
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    second = session_cookie(await client.get("/count"))
    assert "; Secure" in second and "SameSite=Lax" in second
    app.config["SESSION_COOKIE_NAME"] = "renamed"
    third = await client.get("/count")
    assert await third.get_data() == b"1"  # the old cookie has another name now
    assert session_cookie(third, "renamed")


async def test_rotated_keys_sign_with_the_newest_and_read_the_fallbacks() -> None:
    app = make_app()
    client = app.test_client()
    old_cookie = value_of(session_cookie(await client.get("/login")))
    app.config["SECRET_KEY"] = "newer-key"
    app.config["SECRET_KEY_FALLBACKS"] = ["writer-key"]
    assert await (await client.get("/me")).get_data() == b"user=ada"
    new_cookie = value_of(session_cookie(await client.get("/count")))
    signing = {"salt": "cookie-session", "signer_kwargs": {"key_derivation": "hmac"}}
    with pytest.raises(BadSignature):
        URLSafeTimedSerializer("writer-key", **signing).loads(new_cookie)
    newest = URLSafeTimedSerializer("newer-key", **signing)
    # The stock serializer's payload is tagged JSON; plain JSON decodes these values.
    assert newest.loads(new_cookie) == {"user": "ada", "n": 1}
    with pytest.raises(BadSignature):
        newest.loads(old_cookie)


async def test_a_salt_set_on_the_interface_after_a_write_signs_with_it() -> None:
    app = make_app()
    app.session_interface = SecureCookieSessionInterface()
    client = app.test_client()
    await client.get("/count")
    app.session_interface.salt = "another-salt"  # type: ignore[attr-defined]
    assert await (await client.get("/count")).get_data() == b"1"  # old salt: rejected
    cookie = value_of(session_cookie(await client.get("/count")))
    salted = URLSafeTimedSerializer(
        "writer-key", salt="another-salt", signer_kwargs={"key_derivation": "hmac"}
    )
    assert salted.loads(cookie) == {"n": 2}


async def test_a_getter_answering_per_request_is_asked_per_request() -> None:
    class PerHost(SecureCookieSessionInterface):
        def get_cookie_domain(self, app: Any) -> str | None:
            return request.host.partition(":")[0]

    app = make_app()
    app.session_interface = PerHost()
    client = app.test_client()
    first = session_cookie(await client.get("/count", headers={"Host": "one.test"}))
    second = session_cookie(await client.get("/count", headers={"Host": "two.test"}))
    assert "Domain=one.test" in first
    assert "Domain=two.test" in second


async def test_vary_cookie_is_added_once() -> None:
    app = make_app()

    @app.route("/vary")
    async def vary() -> Any:
        session["user"] = "ada"
        return "", 200, {"Vary": "Accept"}

    client = app.test_client()
    response = await client.get("/count")
    assert response.headers.getlist("Vary") == ["Cookie"]
    response = await client.get("/vary")
    assert response.headers.getlist("Vary") == ["Accept, Cookie"]
    response = await client.get("/logout")
    assert response.headers.getlist("Vary") == ["Cookie"]


async def test_a_cookie_too_large_for_browsers_warns_and_is_still_sent() -> None:
    app = make_app()
    app.config["MAX_COOKIE_SIZE"] = 80

    @app.route("/big")
    async def big() -> str:
        session["blob"] = "x" * 40 + "y" * 40 + "z" * 40
        return "big"

    client = app.test_client()
    with pytest.warns(UserWarning, match="cookie is too large"):
        response = await client.get("/big")
    assert len(session_cookie(response)) > 80
    app.config["MAX_COOKIE_SIZE"] = 4093
    assert await (await client.get("/count")).get_data() == b"1"


async def test_a_written_cookie_reads_back_as_json_made_it() -> None:
    app = make_app()

    @app.route("/odd")
    async def odd() -> str:
        session[1] = "one"  # type: ignore[index]  # JSON makes the key a string
        session["pair"] = [1, 2]
        return "odd"

    @app.route("/show")
    async def show() -> str:
        return repr(sorted(session.items()))

    client = app.test_client()
    await client.get("/odd")
    for _ in range(2):
        assert await (await client.get("/show")).get_data() == b"[('1', 'one'), ('pair', [1, 2])]"


async def test_a_long_session_is_compressed_as_itsdangerous_does() -> None:
    app = make_app()

    @app.route("/long")
    async def long() -> str:
        session["text"] = "spam " * 60
        return "long"

    client = app.test_client()
    short = value_of(session_cookie(await client.get("/login")))
    assert not short.startswith(".")  # a short payload stays plain base64
    long_cookie = value_of(session_cookie(await client.get("/long")))
    assert long_cookie.startswith(".")  # zlib, marked as itsdangerous marks it
    reader = SecureCookieSessionInterface().get_signing_serializer(app)
    assert reader is not None
    assert reader.loads(short) == {"user": "ada"}
    assert reader.loads(long_cookie) == {"user": "ada", "text": "spam " * 60}


async def test_a_request_without_cookies_after_a_known_one_gets_an_empty_session() -> None:
    app = make_app()
    known = app.test_client()
    await known.get("/login")
    assert await (await known.get("/me")).get_data() == b"user=ada"  # the snapshot is kept
    anonymous = app.test_client()
    response = await anonymous.get("/me")
    assert await response.get_data() == b"user=nobody"
    assert response.headers.getlist("Vary") == ["Cookie"]
    assert "Set-Cookie" not in response.headers
    assert await (await anonymous.get("/count")).get_data() == b"1"
    assert await (await known.get("/count")).get_data() == b"1"
    assert await (await known.get("/me")).get_data() == b"user=ada"


def test_erlen_is_never_installed_next_to_a_werkzeug_without_partitioned_cookies() -> None:
    """The writer passes ``partitioned`` to werkzeug's ``dump_cookie`` for every session
    cookie. Werkzeug 3.0 has no such argument: next to it every response that saved a
    session was a 500 (``dump_cookie() got an unexpected keyword argument
    'partitioned'``), so the requirement pip reads leaves 3.0 out."""
    declared = [Requirement(line) for line in importlib.metadata.requires("erlen") or ()]
    werkzeug = next(req for req in declared if req.name == "werkzeug")
    assert not werkzeug.specifier.contains("3.0.6")
    assert werkzeug.specifier.contains("3.1.9")
