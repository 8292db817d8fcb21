"""An app that leaves the ``serving`` plugin out: ``app.run()``, ``app.run_task()`` and
``kernel run`` say which plugin is missing and what to do, instead of serving or failing
obscurely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from erlen import Erlen

APP = """
from erlen import Erlen

app = Erlen(__name__, exclude_plugins=["serving"])

@app.route("/")
async def index():
    return "never served"
"""


def app_without_serving() -> Erlen:
    app = Erlen(__name__, exclude_plugins=["serving"])
    assert "serving" not in app.plugins
    return app


def test_app_run_names_the_missing_plugin() -> None:
    with pytest.raises(RuntimeError, match="app.run\\(\\) needs the 'serving' plugin"):
        app_without_serving().run(port=0)


def test_app_run_task_names_the_missing_plugin() -> None:
    with pytest.raises(RuntimeError, match="app.run_task\\(\\) needs the 'serving' plugin"):
        app_without_serving().run_task(port=0)


def test_kernel_run_says_what_to_do(tmp_path: Path, start_kernel: Any) -> None:
    (tmp_path / "served.py").write_text(APP)
    kernel = start_kernel(["--app", "served", "run", "--port", "0"], tmp_path)
    assert kernel.finish() == 1
    assert "Running on" not in kernel.text
    assert kernel.text.startswith("Error: The app 'served' does not load the 'serving' plugin")
    assert "Remove 'serving' from its exclude_plugins" in kernel.text


def test_the_default_app_loads_serving_and_its_settings_hook() -> None:
    app = Erlen(__name__)
    assert "serving" in app.plugins
    hooks = {row["name"]: row["hooks"] for row in app.plugin_manager.describe()}
    assert "erlen_serve" in hooks["serving"]
    assert "erlen_server_settings" in hooks["websocket"]
