"""The sessions plugin's suite: every app made here loads only the plugins it declares.

``sessions`` and ``testing`` (the test client). The others installed are excluded for
each test through ``ERLEN_DISABLE_PLUGINS``, so the tests build apps as users do,
``Erlen(__name__)``, and still run without the json, templating and websocket plugins.
"""

from __future__ import annotations

import pytest
from erlen.pluginmanager import DISABLE_ENV, available_plugins

#: The plugins this suite needs. ``.ci/run`` runs the suite alone with exactly these as
#: the default plugins (``ERLEN_PLUGINS``; ``python tests/suites.py`` lists them).
ERLEN_SUITE_PLUGINS = ("sessions", "testing")
PLUGINS = frozenset(ERLEN_SUITE_PLUGINS)


@pytest.fixture(autouse=True)
def only_the_declared_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exclude every installed plugin but :data:`PLUGINS`."""
    others = sorted(set(available_plugins()) - PLUGINS)
    monkeypatch.setenv(DISABLE_ENV, ",".join(others))
