"""Erlen: an ASGI web framework with Quart's API, built as a small kernel plus plugins.

Port a Quart app by replacing ``quart`` with ``erlen`` and ``Quart`` with ``Erlen``.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup as Markup
from markupsafe import escape as escape

from .app import Erlen as Erlen
from .blueprints import Blueprint as Blueprint
from .config import Config as Config
from .ctx import after_this_request as after_this_request
from .ctx import after_this_websocket as after_this_websocket
from .ctx import copy_current_app_context as copy_current_app_context
from .ctx import copy_current_request_context as copy_current_request_context
from .ctx import copy_current_websocket_context as copy_current_websocket_context
from .ctx import has_app_context as has_app_context
from .ctx import has_request_context as has_request_context
from .ctx import has_websocket_context as has_websocket_context
from .globals import current_app as current_app
from .globals import g as g
from .globals import request as request
from .globals import session as session
from .globals import websocket as websocket
from .helpers import abort as abort
from .helpers import flash as flash
from .helpers import get_flashed_messages as get_flashed_messages
from .helpers import get_template_attribute as get_template_attribute
from .helpers import make_push_promise as make_push_promise
from .helpers import make_response as make_response
from .helpers import redirect as redirect
from .helpers import send_file as send_file
from .helpers import send_from_directory as send_from_directory
from .helpers import stream_with_context as stream_with_context
from .helpers import url_for as url_for
from .hookspecs import hookimpl as hookimpl
from .hookspecs import hookspec as hookspec
from .json import jsonify as jsonify
from .signals import appcontext_popped as appcontext_popped
from .signals import appcontext_pushed as appcontext_pushed
from .signals import appcontext_tearing_down as appcontext_tearing_down
from .signals import before_render_template as before_render_template
from .signals import got_request_exception as got_request_exception
from .signals import got_websocket_exception as got_websocket_exception
from .signals import message_flashed as message_flashed
from .signals import request_finished as request_finished
from .signals import request_started as request_started
from .signals import request_tearing_down as request_tearing_down
from .signals import signals_available as signals_available
from .signals import template_rendered as template_rendered
from .signals import websocket_finished as websocket_finished
from .signals import websocket_started as websocket_started
from .signals import websocket_tearing_down as websocket_tearing_down
from .templating import render_template as render_template
from .templating import render_template_string as render_template_string
from .templating import stream_template as stream_template
from .templating import stream_template_string as stream_template_string
from .typing import ResponseReturnValue as ResponseReturnValue
from .wrappers import Request as Request
from .wrappers import Response as Response

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The websocket wrapper class lives in the websocket plugin; import it only on use.
    if name == "Websocket":
        from .plugins.websocket.wrapper import Websocket

        return Websocket
    raise AttributeError(f"module 'erlen' has no attribute {name!r}")
