"""Fixtures and the plugin declaration of the ``testing`` suite."""

#: The plugins this suite needs. ``.ci/run`` runs the suite alone with exactly these as
#: the default plugins (``ERLEN_PLUGINS``; ``python tests/suites.py`` lists them).
ERLEN_SUITE_PLUGINS = ("testing", "websocket", "sessions")
