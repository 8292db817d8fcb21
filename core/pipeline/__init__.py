"""The request and connection pipeline, compiled per endpoint when the app freezes.

- :mod:`.plan`: each endpoint's chains and error handlers; which Quart methods an app
  overrides.
- :mod:`.steps`: the steps of an HTTP request, one implementation each (Quart's
  ``full_dispatch_request``, ``make_response``... are thin wrappers over them).
- :mod:`.http`: the ``http`` protocol handler that runs them, and the send step.
- :mod:`.errors`: error handlers, compiled per blueprint chain; the 500 path.
- :mod:`.session`: the session save step. :mod:`.match`: the match step.
- :mod:`.connection`: the public connection lifecycle for protocol plugins (websockets).
"""
