"""jinja2 is imported when an app first needs its environment, not before."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import erlen
from erlen import Erlen

app = Erlen("lazy")
print("jinja2" in sys.modules)
app.jinja_env
print("jinja2" in sys.modules)
"""


def test_jinja2_is_imported_with_the_first_environment() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.split() == ["False", "True"]
