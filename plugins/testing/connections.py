"""Test connections: exceptions the test client raises for websocket outcomes.

The websocket test connection itself is added by the websocket work (issue 3).
"""

from __future__ import annotations

from typing import Any


class WebsocketResponseError(Exception):
    """The app answered the websocket handshake with an HTTP response (``.response``)."""

    def __init__(self, response: Any) -> None:
        super().__init__(response)
        self.response = response


class WebsocketDisconnectError(Exception):
    """The app closed the websocket (``.code``, ``.reason``)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason
