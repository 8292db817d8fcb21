"""Erlen's pytest plugin (entry point ``pytest11``; disable it with ``-p no:erlen``).

Fixtures for app authors and plugin authors:

- ``erlen_app_factory``: build apps with only the named plugins, ``TESTING`` on.
- ``client`` / ``erlen_client``: a test client for the ``app`` fixture *you* define.
  ``client`` is a common fixture name (pytest-flask, pytest-django and others use it);
  set the ini option ``erlen_client_fixture = false`` to leave it to them and use
  ``erlen_client``. A ``client`` fixture of your own (conftest or module) always wins.
- ``erlen_live_server``: serves your ``app`` with hypercorn on 127.0.0.1 on a free port
  and yields the base URL, ``http://127.0.0.1:PORT`` (async fixture; pytest-asyncio).
- ``erlen_live_server_thread``: the same for synchronous tests (``requests``, a browser
  driver...): the server runs its own event loop in a background thread.
- ``erlen_serve``: the ``serve_app`` async context manager, to serve any app you build.

Nothing from ``erlen`` is imported here at module level; fixtures import on use.
"""

from __future__ import annotations

import configparser
import sys
import tomllib
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Sequence
from typing import Any

import pytest

pytest_asyncio: Any
try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pytest_asyncio = None

CLIENT_FIXTURE_INI = "erlen_client_fixture"
ASYNC_TESTS_INI = "erlen_async_tests"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ini options."""
    parser.addini(
        CLIENT_FIXTURE_INI,
        type="bool",
        default=True,
        help="Provide the 'client' fixture (a test client for your 'app' fixture);"
        " 'erlen_client' is always available. Default: true.",
    )
    parser.addini(
        ASYNC_TESTS_INI,
        type="bool",
        default=True,
        help="Run 'async def' tests with pytest-asyncio's auto mode when the project sets"
        " no asyncio_mode of its own. Default: true.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``client`` fixture unless the ini option turns it off."""
    if config.getini(CLIENT_FIXTURE_INI):
        config.pluginmanager.register(_ClientFixture(), "erlen-client-fixture")


#: pytest-asyncio warns, when it configures, that this unset option's default will
#: become "function" scope: the scope an app's fixtures want.
_LOOP_SCOPE_UNSET = 'The configuration option "asyncio_default_fixture_loop_scope" is unset'


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Before any plugin configures: run ``async def`` tests without configuration
    (:func:`_default_to_auto_mode`)."""
    _default_to_auto_mode(config)


def _default_to_auto_mode(config: pytest.Config) -> None:
    """A new project's first ``async def`` test must run as written: when pytest-asyncio
    is installed and the project chose no mode (neither ``--asyncio-mode`` nor an
    ``asyncio_mode`` ini value), use its ``auto`` mode. A project that sets a mode keeps
    it; ``erlen_async_tests = false`` turns this off (for a project running its async
    tests with anyio or trio instead)."""
    if pytest_asyncio is None or not config.getini(ASYNC_TESTS_INI):
        return
    if not config.pluginmanager.hasplugin("asyncio"):
        return  # pytest-asyncio installed but disabled with -p no:asyncio
    if getattr(config.option, "asyncio_mode", None) is not None or _ini_sets(
        config, "asyncio_mode"
    ):
        return
    config.option.asyncio_mode = "auto"
    if not _ini_sets(config, "asyncio_default_fixture_loop_scope"):
        # A filter from the ini value applies from the configure phase on.
        config.addinivalue_line(
            "filterwarnings", f"ignore:{_LOOP_SCOPE_UNSET}:pytest.PytestDeprecationWarning"
        )


def _ini_sets(config: pytest.Config, name: str) -> bool:
    """Whether the project's pytest configuration (``-o``, or the config file pytest
    found) sets ``name`` itself, rather than leaving it to its default."""
    overrides = getattr(config.option, "override_ini", None) or []
    if any(item.partition("=")[0].strip() == name for item in overrides):
        return True
    path = config.inipath
    if path is None:
        return False
    if path.suffix == ".toml":
        pytest_table = tomllib.loads(path.read_text()).get("tool", {}).get("pytest", {})
        return name in pytest_table.get("ini_options", {}) or name in pytest_table
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return any(
        parser.has_option(section, name)
        for section in ("pytest", "tool:pytest")
        if parser.has_section(section)
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, Any]:
    """A test's own forgotten ``await`` (``b"hi" in response.data``, Flask's test-suite
    idiom, or ``client.get("/").status_code``) fails with Python's message about a
    coroutine, and ``assert response.json == {...}`` with pytest's ``assert <coroutine
    object ...> == ...``; in a run that uses Erlen, the failure gets a note saying what
    to await."""
    try:
        return (yield)
    except (TypeError, AttributeError, AssertionError) as error:
        if "erlen" in sys.modules:  # a project without Erlen gets pytest's output as is
            from erlen.hints import TEST_AWAIT_HINT, add_await_hint

            add_await_hint(error, TEST_AWAIT_HINT)
        raise


@pytest.fixture
def erlen_app_factory() -> Callable[..., Any]:
    """Build apps for tests: ``erlen_app_factory(plugins=["json", my_plugin])``.

    ``plugins`` selects the plugins exactly as ``Erlen(plugins=...)`` does: entry-point
    names or plugin objects; ``None`` (the default) loads the default plugins (Erlen's
    own); ``extra_plugins=[...]`` adds to them.
    ``exclude_plugins`` leaves installed ones out and ``config`` is applied after
    construction. ``TESTING`` is on. When the ``testing`` plugin is not among the
    plugins, ``app.test_client()`` and ``app.test_app()`` still work.
    """

    def factory(
        import_name: str = "erlen_test_app",
        *,
        plugins: Sequence[str | object] | None = None,
        exclude_plugins: Iterable[str] = (),
        config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        from erlen import Erlen

        app = Erlen(import_name, plugins=plugins, exclude_plugins=exclude_plugins, **kwargs)
        app.config["TESTING"] = True
        if config:
            app.config.update(config)
        if "testing" not in app.plugins:
            from erlen.plugins.testing.app import TestApp
            from erlen.plugins.testing.client import TestClient

            app.test_client_class = app.test_client_class or TestClient
            app.test_app_class = app.test_app_class or TestApp
        return app

    return factory


@pytest.fixture
def erlen_client(app: Any) -> Any:
    """A test client (``app.test_client()``) for the ``app`` fixture you define."""
    return app.test_client()


class _ClientFixture:
    """Holds the ``client`` fixture, registered only if ``erlen_client_fixture`` is on."""

    @pytest.fixture
    def client(self, app: Any) -> Any:
        """A test client (``app.test_client()``) for the ``app`` fixture you define."""
        return app.test_client()


@pytest.fixture
def erlen_serve() -> Callable[..., Any]:
    """Serve an app for real: ``async with erlen_serve(app) as base_url: ...``.

    hypercorn runs in the test's event loop on 127.0.0.1 on a port the OS picked; the
    app's lifespan startup and shutdown run around the block.
    """
    from erlen.plugins.testing.server import serve_app

    return serve_app


@pytest.fixture
def erlen_live_server_thread(app: Any) -> Iterator[str]:
    """Serve the ``app`` fixture with hypercorn on 127.0.0.1 on a free port, in a
    background thread with its own event loop; yields the base URL. For synchronous
    tests; async tests use ``erlen_live_server``."""
    from erlen.plugins.testing.server import serve_app_in_thread

    with serve_app_in_thread(app) as base_url:
        yield base_url


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def erlen_live_server(app: Any) -> AsyncIterator[str]:
        """Serve the ``app`` fixture with hypercorn on 127.0.0.1 on a free port; yields
        the base URL (``http://127.0.0.1:PORT``). Lifespan startup/shutdown included."""
        from erlen.plugins.testing.server import serve_app

        async with serve_app(app) as base_url:
            yield base_url

else:  # pragma: no cover - exercised only without pytest-asyncio

    @pytest.fixture
    def erlen_live_server() -> None:
        """Needs pytest-asyncio (the server runs in the test's event loop)."""
        pytest.fail(
            "erlen_live_server needs pytest-asyncio: pip install pytest-asyncio", pytrace=False
        )
