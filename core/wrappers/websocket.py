"""``erlen.wrappers.websocket``: where Quart keeps its ``Websocket`` class.

The class belongs to the websocket plugin (``erlen.plugins.websocket.wrapper``); this
module re-exports it for code importing it from Quart's path (a declared facade: the
only kernel module importing the plugin, and only when it is imported itself).
"""

from __future__ import annotations

from ..plugins.websocket.wrapper import Websocket

__all__ = ["Websocket"]
