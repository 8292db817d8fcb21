"""The pytest plugin, run for real: inner test files under pytest-asyncio strict and auto
modes (``pytester``), plus the fixtures used directly by this suite."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from erlen import hookimpl

pytest_plugins = ["pytester"]

MODES = ("strict", "auto")


def _ini(pytester: pytest.Pytester, mode: str, extra: str = "") -> None:
    pytester.makeini(
        f"""
        [pytest]
        asyncio_mode = {mode}
        asyncio_default_fixture_loop_scope = function
        asyncio_default_test_loop_scope = function
        filterwarnings = error
        {extra}
        """
    )


APP_CONFTEST = """
    import pytest
    from erlen import Erlen, g, request

    @pytest.fixture
    def app():
        app = Erlen("inner_app")
        app.config["STARTED"] = False

        @app.before_serving
        async def started():
            app.config["STARTED"] = True

        @app.route("/")
        async def index():
            return {"started": app.config["STARTED"], "testing": app.testing}

        @app.route("/echo", methods=["POST"])
        async def echo():
            return await request.get_data()

        return app
"""

# The same tests, written as a strict-mode user writes them (explicit asyncio marks);
# auto mode runs them too (the marks are then redundant, not wrong).
FIXTURE_TESTS = """
    import httpx
    import pytest

    @pytest.mark.asyncio
    async def test_client(client):
        response = await client.get("/")
        assert response.status_code == 200
        assert await response.get_json() == {"started": False, "testing": False}

    @pytest.mark.asyncio
    async def test_erlen_client(erlen_client, app):
        response = await erlen_client.post("/echo", data=b"ping")
        assert await response.get_data() == b"ping"
        assert erlen_client.app is app

    @pytest.mark.asyncio
    async def test_live_server(erlen_live_server):
        assert erlen_live_server.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=erlen_live_server, timeout=5) as http:
            response = await http.get("/")
        assert response.status_code == 200
        assert response.json() == {"started": True, "testing": False}

    def test_live_server_thread_for_sync_tests(erlen_live_server_thread):
        assert erlen_live_server_thread.startswith("http://127.0.0.1:")
        response = httpx.get(erlen_live_server_thread + "/", timeout=5)
        assert response.json() == {"started": True, "testing": False}

    @pytest.mark.asyncio
    async def test_factory(erlen_app_factory):
        app = erlen_app_factory(plugins=["json"], config={"X": 1})
        assert set(app.plugins) == {"json"}
        assert app.testing and app.config["X"] == 1

        @app.route("/")
        async def index():
            return "only json"

        response = await app.test_client().get("/")
        assert await response.get_data(as_text=True) == "only json"

    @pytest.mark.asyncio
    async def test_serve(erlen_serve, erlen_app_factory):
        app = erlen_app_factory()

        @app.route("/")
        async def index():
            return "served"

        async with erlen_serve(app) as base_url:
            async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
                response = await http.get("/")
        assert response.text == "served"
"""


@pytest.mark.parametrize("mode", MODES)
def test_fixtures_work_in_each_asyncio_mode(pytester: pytest.Pytester, mode: str) -> None:
    _ini(pytester, mode)
    pytester.makeconftest(APP_CONFTEST)
    pytester.makepyfile(test_fixtures=FIXTURE_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


README_TEST = """
    from erlen import Erlen, websocket

    app = Erlen(__name__)


    @app.route("/")
    async def hello():
        return "Hello, World!"


    @app.websocket("/ws")
    async def echo():
        while True:
            await websocket.send(await websocket.receive())


    async def test_echo():
        client = app.test_client()
        assert await (await client.get("/")).get_data(as_text=True) == "Hello, World!"
        async with client.websocket("/ws") as ws:
            await ws.send("hi")
            assert await ws.receive() == "hi"
"""


def test_a_new_project_runs_async_tests_without_configuration(pytester: pytest.Pytester) -> None:
    # No ini file at all: the README's snippet, as a newcomer pastes it.
    pytester.makepyfile(test_readme=README_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=0)
    assert "Warning" not in result.stderr.str()


def test_a_project_choosing_strict_mode_keeps_it(pytester: pytest.Pytester) -> None:
    _ini(pytester, "strict")
    pytester.makepyfile(test_readme=README_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])


def test_the_automatic_mode_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nerlen_async_tests = false\n")
    pytester.makepyfile(test_readme=README_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)


def test_auto_mode_needs_no_marks(pytester: pytest.Pytester) -> None:
    _ini(pytester, "auto")
    pytester.makeconftest(APP_CONFTEST)
    pytester.makepyfile(
        test_unmarked="""
        import httpx

        async def test_client(client):
            assert (await client.get("/")).status_code == 200

        async def test_live_server(erlen_live_server):
            async with httpx.AsyncClient(timeout=5) as http:
                response = await http.get(erlen_live_server + "/")
            assert response.json()["started"] is True
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_strict_mode_async_fixture_of_the_user(pytester: pytest.Pytester) -> None:
    """A user's async ``app`` fixture (lifespan via ``test_app``) feeds ``client``."""
    _ini(pytester, "strict")
    pytester.makepyfile(
        test_async_app="""
        import pytest
        import pytest_asyncio
        from erlen import Erlen

        @pytest_asyncio.fixture
        async def app():
            app = Erlen("inner_async_app")
            app.config["READY"] = "no"

            @app.before_serving
            async def ready():
                app.config["READY"] = "yes"

            @app.route("/")
            async def index():
                return app.config["READY"]

            async with app.test_app():
                yield app

        @pytest.mark.asyncio
        async def test_ready(client):
            assert await (await client.get("/")).get_data(as_text=True) == "yes"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_client_without_an_app_fixture_says_so(pytester: pytest.Pytester) -> None:
    _ini(pytester, "auto")
    pytester.makepyfile(
        test_no_app="""
        async def test_needs_app(client):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'app' not found*"])


def test_ini_option_turns_the_client_fixture_off(pytester: pytest.Pytester) -> None:
    _ini(pytester, "auto", extra="erlen_client_fixture = false")
    pytester.makeconftest(APP_CONFTEST)
    pytester.makepyfile(
        test_off="""
        async def test_erlen_client_still_there(erlen_client):
            assert (await erlen_client.get("/")).status_code == 200

        def test_client_gone(client):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'client' not found*"])


def test_a_client_fixture_of_the_project_wins(pytester: pytest.Pytester) -> None:
    """Name clashes: a conftest ``client`` overrides the plugin's."""
    _ini(pytester, "auto")
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def client():
            return "the project's own client"
        """
    )
    pytester.makepyfile(
        test_own="""
        def test_own(client):
            assert client == "the project's own client"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_disabled_with_no_erlen(pytester: pytest.Pytester) -> None:
    _ini(pytester, "auto")
    pytester.makepyfile(
        test_disabled="""
        def test_factory(erlen_app_factory):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:erlen", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'erlen_app_factory' not found*"])


def test_plugin_registered_through_pytest11(pytester: pytest.Pytester) -> None:
    _ini(pytester, "auto")
    pytester.makepyfile(
        test_registered="""
        def test_registered(pytestconfig):
            plugin = pytestconfig.pluginmanager.get_plugin("erlen")
            assert plugin.__name__ == "erlen.plugins.testing.pytest_plugin"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_loading_the_plugin_imports_no_test_machinery() -> None:
    """Loading the pytest plugin stays cheap: no client, server or hypercorn import."""
    code = textwrap.dedent(
        """
        import sys
        import erlen.plugins.testing.pytest_plugin
        heavy = ["hypercorn", "httpx", "erlen.plugins.testing.client",
                 "erlen.plugins.testing.server", "erlen.plugins.testing.app"]
        print(",".join(name for name in heavy if name in sys.modules) or "none")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "none"


def test_factory_with_only_a_third_party_plugin(erlen_app_factory: Any) -> None:
    """Plugin authors test their plugin alone; the client still works without ``testing``."""

    class Stamp:
        name = "stamp"

        @hookimpl
        def erlen_configure(self, app: Any) -> None:
            app.config.setdefault("STAMP", "default")

    app = erlen_app_factory(plugins=[Stamp()], config={"STAMP": "configured"})
    assert set(app.plugins) == {"stamp"}
    assert app.config["STAMP"] == "configured"
    assert app.testing is True
    assert app.test_client().app is app


FLASK_STYLE_TESTS = """
    from erlen import Erlen

    app = Erlen(__name__)


    @app.route("/")
    async def hello():
        return "Hello, World!"


    async def test_data_without_await():
        response = await app.test_client().get("/")
        data = response.data  # Flask's idiom: a coroutine here, as in Quart
        try:
            assert b"Hello" in data
        finally:
            data.close()


    async def test_status_without_await():
        request = app.test_client().get("/")
        try:
            assert request.status_code == 200
        finally:
            request.close()


    async def test_an_unrelated_type_error():
        assert len(3) == 1
"""


def test_a_tests_own_forgotten_await_is_reported_with_a_hint(pytester: pytest.Pytester) -> None:
    """Flask's test suites read ``response.data`` and ``client.get(...).status_code``;
    ported by adding ``async``, they fail with Python's message about a coroutine, which
    now ends with what to await."""
    pytester.makepyfile(test_flask_style=FLASK_STYLE_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    output = result.stdout.str()
    assert "TypeError: argument of type 'coroutine' is not iterable" in output
    assert "AttributeError: 'coroutine' object has no attribute 'status_code'" in output
    hint = "Hint: a coroutine was used as a value: did you forget 'await'? The test client"
    # In the tracebacks of the two coroutine failures, not on the unrelated TypeError (the
    # short summary repeats the note on Python 3.12+, so only traceback lines are counted).
    assert len([line for line in output.splitlines() if line.startswith("E") and hint in line]) == 2
    assert "await response.get_data() (or await response.data)" in output


AWAIT_PRECEDENCE_TEST = """
    from erlen import Erlen

    app = Erlen(__name__)


    @app.route("/")
    async def hello():
        return "Hello, World!"


    async def test_await_binds_after_the_attribute():
        # A mechanical port of Flask's `assert client.get("/").status_code == 200`
        assert await app.test_client().get("/").status_code == 200
"""


def test_an_await_before_an_attribute_gets_the_parenthesised_spelling(
    pytester: pytest.Pytester,
) -> None:
    """``await client.get("/").status_code`` awaits ``.status_code`` of the coroutine:
    the test did write ``await``, so the note also shows where it goes."""
    pytester.makepyfile(test_precedence=AWAIT_PRECEDENCE_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "AttributeError: 'coroutine' object has no attribute 'status_code'" in output
    assert "write '(await client.get(...)).status_code'" in output


FLASK_ASSERTS = """
    import json

    from erlen import Erlen, request

    app = Erlen(__name__)


    @app.post("/echo")
    async def echo():
        return {"got": await request.get_json()}


    async def test_json_property_compared():
        response = await app.test_client().get("/nope")
        assert response.json == {"error": "nope"}  # Flask's idiom: a coroutine here


    async def test_data_property_compared():
        response = await app.test_client().get("/nope")
        assert response.data == b"nope"


    async def test_a_plain_failed_assert():
        assert 1 == 2


    async def test_flask_content_type_argument():
        client = app.test_client()
        response = await client.post(
            "/echo", data=json.dumps({"a": 1}), content_type="application/json"
        )
        assert await response.get_json() == {"got": {"a": 1}}
"""


def test_flask_style_asserts_on_a_response_say_what_to_await(pytester: pytest.Pytester) -> None:
    """Flask's ``assert response.json == {...}`` fails with pytest's ``assert <coroutine
    object Response.get_json ...> == ...``, which now ends with the note; Flask's
    ``content_type=`` argument of the test client is taken."""
    pytester.makepyfile(test_flask_asserts=FLASK_ASSERTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore")
    result.assert_outcomes(failed=3, passed=1)
    output = result.stdout.str()
    hint = "Hint: a coroutine was used as a value: did you forget 'await'? The test client"
    noted = [line for line in output.splitlines() if line.startswith("E") and hint in line]
    assert len(noted) == 2  # the two coroutine comparisons, not `assert 1 == 2`
    assert "await response.get_json() (or await response.json)" in output
