"""mypy on an app as a user types it: valid views, hooks and uploads pass; a view returning
``None`` or an ``int`` is rejected, as Flask's and Quart's types reject it. mypy reads the
package through a tree of links shaped as the installed package (``erlen`` -> ``core/``,
``erlen.plugins`` -> ``plugins/``), so the test does not depend on how it was installed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

GOOD_APP = """
from erlen import Erlen, Response, request

app = Erlen(__name__)


@app.route("/")
async def index() -> str:
    return "hello"


@app.get("/data")
async def data() -> dict[str, int]:
    return {"a": 1}


@app.post("/created")
def created() -> tuple[str, int, dict[str, str]]:
    return "made", 201, {"Location": "/data"}


@app.before_request
async def before() -> None:
    return None


@app.after_request
async def after(response: Response) -> Response:
    response.headers["X-Seen"] = "1"
    return response


@app.errorhandler(404)
async def missing(error: Exception) -> tuple[str, int]:
    return "nope", 404


@app.websocket("/ws")
async def ws() -> None:
    return None


@app.route("/upload", methods=["POST"])
async def upload() -> str:
    files = await request.files
    await files["file"].save("/tmp/upload")
    return "saved"
"""

BAD_VIEWS = """

@app.route("/none")
async def nothing() -> None:
    return None


@app.route("/number")
def number() -> int:
    return 1
"""


@pytest.fixture(scope="module")
def package_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("typed")
    erlen = root / "erlen"
    erlen.mkdir()
    for entry in (REPO / "core").iterdir():
        if entry.name != "__pycache__":
            (erlen / entry.name).symlink_to(entry)
    (erlen / "plugins").symlink_to(REPO / "plugins")
    return root


def test_mypy_accepts_a_typed_app_and_rejects_views_returning_none_or_int(
    package_tree: Path, tmp_path: Path
) -> None:
    app = tmp_path / "typed_app.py"
    app.write_text(textwrap.dedent(GOOD_APP + BAD_VIEWS))
    # Errors inside erlen are not the app's: read it as an installed package is read.
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\nstrict = True\n[mypy-erlen.*]\nfollow_imports = silent\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", str(app)],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(package_tree)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    bad_lines = {
        number
        for number, line in enumerate(app.read_text().splitlines(), 1)
        if line.startswith('@app.route("/none")') or line.startswith('@app.route("/number")')
    }
    # The good part passes --strict; each bad view is one error, on its decorator line.
    assert len(errors) == 2, result.stdout + result.stderr
    assert {int(line.split(":")[1]) for line in errors} == bad_lines
    assert all('Value of type variable "T_route"' in line for line in errors), result.stdout
