"""A chat room: the broadcast example of the WebSocket guide as a small app.

Serve it from the repository root with ``kernel --app examples.chat:app run`` and open
http://127.0.0.1:5000 in two browser tabs.
"""

from .app import app as app
