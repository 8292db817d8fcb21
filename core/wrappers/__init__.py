"""Request and response objects (werkzeug sansio bases with async bodies)."""

from __future__ import annotations

from typing import Any

from .base import BaseRequestWebsocket
from .request import Body, Request
from .response import Response

__all__ = ["BaseRequestWebsocket", "Body", "Request", "Response", "Websocket"]


def __getattr__(name: str) -> Any:
    # The websocket class lives in the websocket plugin: imported on first use only.
    if name == "Websocket":
        from .websocket import Websocket

        return Websocket
    raise AttributeError(f"module 'erlen.wrappers' has no attribute {name!r}")
