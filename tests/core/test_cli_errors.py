"""Mistakes a newcomer makes get one ``Error:`` line and a non-zero exit code."""

from __future__ import annotations

from pathlib import Path

from tests import cli_helpers
from tests.cli_helpers import module_with, one_error_line

project = cli_helpers.project  # the fixture, shared with the other CLI error tests


def test_no_app_anywhere(project: Path) -> None:
    line = one_error_line("routes")
    assert "Could not locate an Erlen application" in line
    assert "--app" in line and "KERNEL_APP" in line
    # Every file name tried, as Flask's names wsgi.py and app.py (asgi.py was left out).
    assert line.endswith("or an 'asgi.py', 'wsgi.py' or 'app.py' file in the current directory.")


def test_module_not_found(project: Path) -> None:
    line = one_error_line("--app", "no_such_module_here", "routes")
    assert "Could not import 'no_such_module_here'" in line


def test_file_not_found(project: Path) -> None:
    line = one_error_line("--app", "missing/app.py", "routes")
    assert line == "Error: Could not find the app file 'missing/app.py'."


def test_import_error_inside_the_module_shows_the_real_error(project: Path) -> None:
    module = module_with(project, "import os\nimport not_installed_pkg_xyz\n")
    line = one_error_line("--app", module, "routes")
    assert f"While importing '{module}'" in line
    assert "No module named 'not_installed_pkg_xyz'" in line
    assert f"{module}.py, line 2" in line


def test_exception_at_import_time(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n1 / 0\n")
    line = one_error_line("--app", module, "routes")
    assert "ZeroDivisionError: division by zero" in line
    assert f"{module}.py, line 3" in line


def test_syntax_error(project: Path) -> None:
    module = module_with(project, "def broken(:\n    pass\n")
    line = one_error_line("--app", module, "routes")
    assert "SyntaxError" in line and f"{module}.py, line 1" in line


def test_a_setup_error_names_the_apps_line_not_erlens(project: Path) -> None:
    # Raised inside Erlen (or werkzeug), reported at the app's line that caused it.
    module = module_with(
        project,
        """
        from erlen import Blueprint, Erlen
        app = Erlen(__name__)
        bp = Blueprint("admin", __name__)
        app.register_blueprint(bp)
        app.register_blueprint(bp)
        """,
    )
    line = one_error_line("--app", module, "routes")
    assert "The name 'admin' is already registered for this blueprint" in line
    assert line.endswith(f"{module}.py, line 6)")


def test_an_unknown_converter_lists_the_known_ones(project: Path) -> None:
    module = module_with(
        project,
        """
        from erlen import Erlen
        app = Erlen(__name__)

        @app.route("/users/<integer:user_id>")
        async def user(user_id):
            return ""
        """,
    )
    line = one_error_line("--app", module, "routes")
    assert "LookupError: the converter 'integer' does not exist" in line
    assert "(in the rule '/users/<integer:user_id>')" in line
    assert "The converters are: any, default, float, int, path, string, uuid" in line
    assert line.endswith(f"{module}.py, line 5)")


def test_module_without_an_app(project: Path) -> None:
    module = module_with(project, "x = 1\n")
    line = one_error_line("--app", module, "routes")
    assert "Failed to find an Erlen application or factory" in line


def test_two_apps_need_a_name(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\na = Erlen('a')\nb = Erlen('b')\n")
    line = one_error_line("--app", module, "routes")
    assert "multiple Erlen applications" in line and f"--app {module}:name" in line


def test_missing_attribute(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n")
    line = one_error_line("--app", f"{module}:nope", "routes")
    assert line == f"Error: Failed to find attribute 'nope' in module '{module}'."


def test_attribute_that_is_not_an_app(project: Path) -> None:
    module = module_with(project, "value = 42\n")
    line = one_error_line("--app", f"{module}:value", "routes")
    assert "A valid Erlen application was not obtained" in line and "(got int)" in line


def test_factory_that_raises(project: Path) -> None:
    module = module_with(project, "def create_app():\n    raise KeyError('DATABASE_URL')\n")
    line = one_error_line("--app", module, "routes")
    assert f"Calling '{module}:create_app()' raised KeyError: 'DATABASE_URL'" in line


def test_factory_arguments_must_be_literals(project: Path) -> None:
    module = module_with(project, "def create_app(x):\n    pass\n")
    line = one_error_line("--app", f"{module}:create_app(os.environ)", "routes")
    assert "literal values" in line


def test_a_mistyped_module_or_attribute_gets_a_suggestion(project: Path) -> None:
    (project / "hello.py").write_text("from erlen import Erlen\napp = Erlen(__name__)\n")
    line = one_error_line("--app", "helo", "routes")
    assert line.endswith("Did you mean 'hello'?")
    assert one_error_line("--app", "hello:ap", "routes") == (
        "Error: Failed to find attribute 'ap' in module 'hello'. Did you mean 'app'?"
    )
    assert "Did you mean" not in one_error_line("--app", "nothing_like_it", "routes")
