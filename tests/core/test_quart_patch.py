"""``erlen.quart_patch``: ``import quart`` resolves to Erlen, in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def run_python(source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_quart_modules_are_erlen_modules_with_quart_names() -> None:
    result = run_python(
        """
        import erlen.quart_patch
        import erlen, erlen.testing
        import quart, quart.testing
        from quart import Quart, request
        from quart.testing import QuartClient
        print(quart is erlen, quart.testing is erlen.testing)
        print(Quart is erlen.Erlen, QuartClient is erlen.testing.ErlenClient)
        print(request is erlen.request, quart.testing.__spec__.name)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"] * 5 + ["erlen.testing"]


def test_submodules_reached_as_attributes_answer_quart_names() -> None:
    # Quart-Cmark annotates with ``quart.app.Quart`` after a bare ``import quart``.
    result = run_python(
        """
        import erlen.quart_patch
        import quart
        print(quart.app.Quart.__name__, quart.testing.QuartClient.__name__)
        print(quart.cli.ScriptInfo.__module__, quart.wrappers.websocket.Websocket.__name__)
        print(quart.asgi.ASGIHTTPConnection.__name__)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "Erlen",
        "TestClient",
        "erlen.cli",
        "Websocket",
        "ASGIHTTPConnection",
    ]


def test_a_quart_app_runs_through_the_patch() -> None:
    result = run_python(
        """
        import asyncio
        import erlen.quart_patch
        from quart import Quart, jsonify

        app = Quart(__name__)

        @app.route("/")
        async def index():
            return jsonify(framework=type(app).__name__)

        async def main():
            response = await app.test_client().get("/")
            print(response.status_code, await response.get_json())

        asyncio.run(main())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "200 {'framework': 'Erlen'}"


def test_importing_the_patch_after_quart_is_refused() -> None:
    result = run_python(
        """
        import sys, types
        sys.modules["quart"] = types.ModuleType("quart")
        try:
            import erlen.quart_patch
        except RuntimeError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "must be imported before quart" in result.stdout
    assert "quart" in result.stdout.split(":")[-1]


def fake_installed_quart(site: Path) -> None:
    """A stand-in for the real Quart installed beside Erlen: a ``quart`` package (with a
    module Erlen has no counterpart for) and its distribution metadata."""
    package = site / "quart"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise SystemExit('the real quart was imported')\n")
    (package / "only_in_quart.py").write_text("raise SystemExit('quart.only_in_quart ran')\n")
    dist = site / "quart-0.22.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: quart\nVersion: 0.22.0\n")


def test_an_installed_quart_is_never_imported(tmp_path: Path) -> None:
    fake_installed_quart(tmp_path)
    result = run_python(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import erlen.quart_patch
        import importlib.metadata
        import erlen, quart
        print(quart is erlen, importlib.metadata.version("quart"))
        try:
            import quart.only_in_quart
        except ModuleNotFoundError as error:
            print(type(error).__name__, error.name)
        """
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.split() == ["True", "0.22.0", "ModuleNotFoundError", "quart.only_in_quart"]


def test_star_import_and_flask_patch() -> None:
    result = run_python(
        """
        import erlen.quart_patch
        from quart import *
        print(Quart.__name__, request is not None)
        try:
            import quart.flask_patch
        except ImportError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    first, refusal = result.stdout.strip().splitlines()
    assert first == "Erlen True"
    assert refusal.startswith("Erlen has no quart.flask_patch: Flask extensions are not supported")


def test_the_pytest_plugin_form_runs_before_conftest_imports_quart(tmp_path: Path) -> None:
    """``pytest -p erlen.quart_patch``, as the extensions' suites are run: their conftest
    and test modules import ``quart`` at the top, and the real Quart is installed."""
    fake_installed_quart(tmp_path / "site")
    (tmp_path / "conftest.py").write_text(
        "import pytest\nfrom quart import Quart\n\n"
        "@pytest.fixture\ndef app():\n    return Quart(__name__)\n"
    )
    (tmp_path / "test_ext.py").write_text(
        textwrap.dedent(
            """
            from quart import Quart, jsonify

            async def test_served_by_erlen(app: Quart) -> None:
                @app.route("/")
                async def index():
                    return jsonify(framework=type(app).__name__)

                response = await app.test_client().get("/")
                assert await response.get_json() == {"framework": "Erlen"}
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "erlen.quart_patch", "-p", "no:cacheprovider"]
        + ["-q", "-o", "asyncio_mode=auto", "-o", "addopts=", "test_ext.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_an_extension_using_the_real_quart_gets_a_hint_naming_the_patch() -> None:
    """Quart's API tutorial ported by its imports alone: quart-schema (or any extension)
    still imports the real Quart, whose ``current_app`` has no context in an Erlen app.
    The 500's log line says what to write."""
    result = run_python(
        """
        import asyncio
        from quart import current_app as quarts_current_app  # as an extension does
        from erlen import Erlen

        app = Erlen(__name__)

        @app.route("/")
        async def index():
            return {"debug": quarts_current_app.debug}

        async def main():
            response = await app.test_client().get("/")
            print(response.status_code)

        asyncio.run(main())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "500"
    assert "RuntimeError: Not within an app context" in result.stderr
    assert "Write 'import erlen.quart_patch' before anything imports quart" in result.stderr


def test_erlens_own_context_errors_get_no_quart_hint() -> None:
    result = run_python(
        """
        import asyncio
        import quart  # imported, but not the cause of the error below
        from erlen import Erlen

        app = Erlen(__name__)

        @app.route("/")
        async def index():
            raise RuntimeError("Not within an app context, says the app itself")

        async def main():
            print((await app.test_client().get("/")).status_code)

        asyncio.run(main())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "500"
    assert "says the app itself" in result.stderr
    assert "Hint:" not in result.stderr
