"""The sessions plugin as a plugin: loaded by default, excluded, replaced by another
plugin or by the app's class, and the Quart names served from ``erlen.sessions``."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import erlen.plugins.sessions as sessions_plugin
import pytest
from erlen import Erlen, flash, get_flashed_messages, hookimpl, session
from erlen.sessions import (
    NullSessionInterface,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
)


def add_routes(app: Erlen) -> Erlen:
    @app.route("/read")
    async def read() -> str:
        return f"user={session.get('user')} in={'user' in session} len={len(session)}"

    @app.route("/write")
    async def write() -> str:
        try:
            session["user"] = "ada"
        except RuntimeError as exc:
            return f"refused: {exc}"
        return "written"

    @app.route("/flash")
    async def flash_view() -> str:
        try:
            flash("hello")
        except RuntimeError as exc:
            return f"refused: {exc}"
        return "flashed"

    @app.route("/messages")
    async def messages() -> str:
        return repr(get_flashed_messages())

    return app


def excluded_app() -> Erlen:
    app = Erlen(__name__, exclude_plugins=["sessions"])
    app.secret_key = "a-key-that-does-not-matter"
    return add_routes(app)


def test_the_plugin_is_loaded_by_default_and_gives_the_cookie_interface() -> None:
    app = Erlen(__name__)
    assert app.plugins["sessions"] is sessions_plugin
    assert type(app.session_interface) is SecureCookieSessionInterface
    assert app.session_interface is Erlen.session_interface  # Quart's shared class value


def test_the_quart_names_are_the_plugins_classes() -> None:
    import erlen.sessions

    assert SecureCookieSessionInterface is sessions_plugin.SecureCookieSessionInterface
    assert SecureCookieSession is sessions_plugin.SecureCookieSession
    assert erlen.sessions.TaggedJSONSerializer is sessions_plugin.TaggedJSONSerializer
    assert issubclass(SecureCookieSessionInterface, SessionInterface)
    assert issubclass(SecureCookieSession, SessionMixin)
    with pytest.raises(AttributeError):
        erlen.sessions.NoSuchName  # noqa: B018


def test_the_kernel_imports_the_plugin_only_when_asked() -> None:
    code = (
        "import sys\n"
        "from erlen import Erlen\n"
        "app = Erlen('probe', exclude_plugins=['sessions'])\n"
        "assert 'erlen.plugins.sessions' not in sys.modules, 'imported at startup'\n"
        "from erlen.sessions import SecureCookieSessionInterface\n"
        "assert 'erlen.plugins.sessions' in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


async def test_excluded_the_session_reads_empty() -> None:
    app = excluded_app()
    assert type(app.session_interface) is NullSessionInterface
    client = app.test_client()
    response = await client.get("/read", headers={"Cookie": "session=anything"})
    assert await response.get_data() == b"user=None in=False len=0"
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


async def test_excluded_writing_the_session_says_how_to_enable_it() -> None:
    client = excluded_app().test_client()
    response = await client.get("/write")
    text = (await response.get_data()).decode()
    assert text.startswith("refused: The session is unavailable because no sessions plugin")
    assert "'sessions'" in text and "exclude_plugins" in text
    assert "Set-Cookie" not in response.headers


async def test_excluded_flash_raises_and_no_messages_are_read() -> None:
    client = excluded_app().test_client()
    text = (await (await client.get("/flash")).get_data()).decode()
    assert text.startswith("refused: The session is unavailable because no sessions plugin")
    assert await (await client.get("/messages")).get_data() == b"[]"


async def test_excluded_an_unhandled_write_is_a_500() -> None:
    app = Erlen(__name__, exclude_plugins=["sessions"])

    @app.route("/")
    async def index() -> str:
        session["user"] = "ada"
        return "never"

    response = await app.test_client().get("/")
    assert response.status_code == 500


async def test_registering_the_plugin_later_enables_sessions() -> None:
    app = excluded_app()
    app.register_plugin(sessions_plugin, "sessions")
    assert type(app.session_interface) is SecureCookieSessionInterface
    client = app.test_client()
    assert await (await client.get("/write")).get_data() == b"written"
    assert await (await client.get("/read")).get_data() == b"user=ada in=True len=1"


class MemoryInterface(SessionInterface):
    """Sessions kept in a dict, keyed by an ``X-Sid`` header: no cookie, no secret key.

    Opens without awaiting (so the kernel opens it lazily), and saves an unmodified
    session without awaiting too.
    """

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}
        self.awaited_saves = 0

    def open_session_sync(self, app: Erlen, request: Any) -> SecureCookieSession:
        return SecureCookieSession(self.store.get(request.headers.get("X-Sid", ""), {}))

    async def open_session(self, app: Erlen, request: Any) -> SecureCookieSession:
        return self.open_session_sync(app, request)

    def save_session_sync(self, app: Erlen, session: SessionMixin, response: Any) -> bool:
        return not session.modified  # nothing to store

    async def save_session(self, app: Erlen, session: SessionMixin, response: Any) -> None:
        self.awaited_saves += 1
        sid = str(len(self.store) + 1)
        self.store[sid] = dict(session)
        response.headers["X-Sid"] = sid


class MemorySessions:
    """A third-party plugin that provides the session interface."""

    def __init__(self) -> None:
        self.interface = MemoryInterface()

    @hookimpl(tryfirst=True)
    def erlen_session_interface(self, app: Any) -> SessionInterface:
        return self.interface


@pytest.mark.parametrize("with_cookie_plugin", [True, False])
async def test_a_plugin_provides_the_session_interface(with_cookie_plugin: bool) -> None:
    plugin = MemorySessions()
    names: list[Any] = ["sessions", "testing"] if with_cookie_plugin else ["testing"]
    app = add_routes(Erlen(__name__, plugins=[*names, plugin]))
    assert app.session_interface is plugin.interface
    client = app.test_client()
    written = await client.get("/write")
    assert await written.get_data() == b"written"
    assert "Set-Cookie" not in written.headers
    sid = written.headers["X-Sid"]
    read = await client.get("/read", headers={"X-Sid": sid})
    assert await read.get_data() == b"user=ada in=True len=1"
    assert plugin.interface.awaited_saves == 1  # the read was saved without awaiting


async def test_a_subclass_session_interface_wins_over_the_plugins() -> None:
    interface = MemoryInterface()

    class App(Erlen):
        session_interface = interface

    app = add_routes(App(__name__))
    assert app.session_interface is interface
    written = await app.test_client().get("/write")
    assert written.headers["X-Sid"] == "1"
    assert interface.store == {"1": {"user": "ada"}}


async def test_an_interface_without_a_sync_opener_is_awaited_up_front() -> None:
    opened: list[str] = []

    class AsyncOnly(SessionInterface):
        async def open_session(self, app: Erlen, request: Any) -> SecureCookieSession:
            opened.append(request.path)
            return SecureCookieSession({"user": "from-async"})

        async def save_session(self, app: Erlen, session: Any, response: Any) -> None:
            response.headers["X-Saved"] = str(session.modified)

    app = add_routes(Erlen(__name__))
    app.session_interface = AsyncOnly()
    response = await app.test_client().get("/read")
    assert await response.get_data() == b"user=from-async in=True len=1"
    assert response.headers["X-Saved"] == "False"
    assert opened == ["/read"]


async def test_an_interface_set_after_requests_is_checked_again() -> None:
    # The app remembers the interface it found to open lazily; another interface set
    # later is checked on its own: an async-only one is awaited up front, and a bare
    # push() with it says so instead of calling a sync opener it lacks.
    class AsyncOnly(SessionInterface):
        async def open_session(self, app: Erlen, request: Any) -> SecureCookieSession:
            return SecureCookieSession({"user": "from-async"})

        async def save_session(self, app: Erlen, session: Any, response: Any) -> None:
            return None

    app = add_routes(Erlen(__name__))
    client = app.test_client()
    first = await client.get("/read")
    assert await first.get_data() == b"user=None in=False len=0"
    app.session_interface = AsyncOnly()
    second = await client.get("/read")
    assert await second.get_data() == b"user=from-async in=True len=1"
    ctx = app.test_request_context("/read")
    ctx.push()
    try:
        with pytest.raises(RuntimeError, match="async open_session"):
            session.get("user")
    finally:
        await ctx.pop()
