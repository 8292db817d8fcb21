"""The page a ``--reload`` worker serves while the app cannot be imported: it shows the
app's own error (the broken line), not the loader's frames.
(The real-socket round trip is in test_cli_supervisor.py.)"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from erlen.cli import ScriptInfo
from erlen.discovery import NoAppException
from erlen.plugins.serving.loaderror import load_error_app


def load_error(folder: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> NoAppException:
    name = f"broken_{uuid.uuid4().hex[:8]}"
    (folder / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(folder))
    try:
        ScriptInfo(app_import_path=name).load_app()
    except NoAppException as exc:
        return exc
    finally:
        sys.modules.pop(name, None)
    raise AssertionError("the app loaded")


def client_of(error: NoAppException) -> Any:
    app = load_error_app(error)  # serves with the serving plugin alone
    app.register_plugin("testing")
    return app.test_client()


async def test_a_syntax_error_page_shows_the_broken_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "from erlen import Erlen\napp = Erlen(__name__)\n\ndef broken(:\n    pass\n"
    error = load_error(tmp_path, source, monkeypatch)
    response = await client_of(error).post("/any/path")
    page = await response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<title>SyntaxError // Erlen debugger</title>" in page
    assert "line 4, in <b>&lt;module&gt;</b>" in page
    assert '<span class="line"><span class="no">4</span>def broken(:</span>' in page
    assert "<h1>erlen.discovery.NoAppException" not in page  # was the loader's own error


async def test_an_import_error_page_shows_the_apps_import_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "from erlen import Erlen\nimport not_installed_pkg_xyz\napp = Erlen(__name__)\n"
    error = load_error(tmp_path, source, monkeypatch)
    response = await client_of(error).get("/")
    page = await response.get_data(as_text=True)
    assert "<title>ModuleNotFoundError // Erlen debugger</title>" in page
    assert '<span class="no">2</span>import not_installed_pkg_xyz</span>' in page
