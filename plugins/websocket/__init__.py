"""The ``websocket`` plugin (in progress)."""
