"""The first lifespan startup of a process freezes the GC (``GC_FREEZE_AFTER_STARTUP``).

Each case runs in a fresh interpreter: the freeze happens once per process.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import asyncio, gc, sys
from erlen import Erlen

app = Erlen("gcfreeze")
if sys.argv[1] != "default":
    app.config["GC_FREEZE_AFTER_STARTUP"] = sys.argv[1] == "on"

@app.route("/")
async def index():
    return "ok"

async def main():
    before = gc.get_freeze_count()
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/")
        assert await response.get_data() == b"ok"
    print(before, gc.get_freeze_count())

asyncio.run(main())
"""


@pytest.mark.parametrize(("setting", "frozen"), [("default", True), ("off", False)])
def test_the_first_startup_freezes_unless_turned_off(setting: str, frozen: bool) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, setting],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    before, after = map(int, result.stdout.split())
    # Python 3.12 starts with some objects already in the permanent generation.
    assert (after > before) is frozen
