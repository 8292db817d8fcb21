"""Request and response objects (werkzeug sansio bases with async bodies)."""

from .base import BaseRequestWebsocket
from .request import Body, Request
from .response import Response

__all__ = ["BaseRequestWebsocket", "Body", "Request", "Response"]
