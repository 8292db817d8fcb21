"""``erlen.quart_patch``: ``import quart`` resolves to Erlen, in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap


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
