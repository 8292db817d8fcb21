"""Quart's signals, on blinker.

Receivers may be sync or async functions; each is called with the sender (the app) and
the keyword arguments Quart sends. The kernel checks ``signal.receivers`` before sending,
so a signal nobody listens to costs one attribute test; and while no receiver is
connected to any of these signals (:data:`receiver_state`), the request pipeline makes
one test for all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from blinker import ANY, NamedSignal, Namespace

signals_available = True


class ReceiverState:
    """Whether a receiver may be connected to any of Erlen's signals: ``connected`` is
    set by every ``connect`` and recomputed by every disconnect, so ``False`` means no
    signal here has a receiver."""

    __slots__ = ("connected",)

    def __init__(self) -> None:
        self.connected = False


#: Read by the request pipeline before it looks at any signal's receivers.
receiver_state = ReceiverState()


class _TrackedSignal(NamedSignal):
    """A blinker signal that keeps :data:`receiver_state` up to date."""

    def connect(self, receiver: Any, sender: Any = ANY, weak: bool = True) -> Any:
        receiver_state.connected = True
        return super().connect(receiver, sender, weak)

    def _disconnect(self, receiver_id: Any, sender_id: Any) -> None:
        # Every removal (disconnect, a weakly held receiver collected) passes here.
        super()._disconnect(receiver_id, sender_id)
        receiver_state.connected = any(signal.receivers for signal in _signals.values())


class _Namespace(Namespace):
    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        return self.setdefault(name, _TrackedSignal(name, doc))


_signals = _Namespace()

#: Sent when the template has been rendered (``template``, ``context``).
template_rendered = _signals.signal("template-rendered")
#: Sent before a template is rendered (``template``, ``context``).
before_render_template = _signals.signal("before-render-template")
#: Sent when a request context is set up, before dispatch.
request_started = _signals.signal("request-started")
#: Sent after the response is built (``response``).
request_finished = _signals.signal("request-finished")
#: Sent when the request context is torn down (``exc``).
request_tearing_down = _signals.signal("request-tearing-down")
#: Sent when an unhandled exception occurs in a request (``exception``).
got_request_exception = _signals.signal("got-request-exception")
#: Sent when a websocket context is set up, before dispatch.
websocket_started = _signals.signal("websocket-started")
#: Sent after the websocket handler finished (``response``).
websocket_finished = _signals.signal("websocket-finished")
#: Sent when the websocket context is torn down (``exc``).
websocket_tearing_down = _signals.signal("websocket-tearing-down")
#: Sent when an unhandled exception occurs in a websocket handler (``exception``).
got_websocket_exception = _signals.signal("got-websocket-exception")
#: Sent for every message received from a websocket client (``data``).
websocket_received = _signals.signal("websocket-received")
#: Sent for every message sent to a websocket client (``data``).
websocket_sent = _signals.signal("websocket-sent")
#: Sent when the app context is torn down (``exc``).
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
#: Sent when an app context is pushed.
appcontext_pushed = _signals.signal("appcontext-pushed")
#: Sent when an app context is popped.
appcontext_popped = _signals.signal("appcontext-popped")
#: Sent when ``flash`` is called (``message``, ``category``).
message_flashed = _signals.signal("message-flashed")
#: Sent when a background task raises (``exception``).
got_background_exception = _signals.signal("got-background-exception")
#: Sent when serving (startup/shutdown) raises (``exception``).
got_serving_exception = _signals.signal("got-serving-exception")


def _sync_wrapper(func: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def _async_wrapper(func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # A sync send from inside a running loop cannot wait: schedule the coroutine.
        return asyncio.ensure_future(func(*args, **kwargs))

    return wrapper


async def send_async(signal: Any, sender: Any, **kwargs: Any) -> list[tuple[Any, Any]]:
    """Send ``signal``, awaiting async receivers.

    As in Quart, sync receivers go through the sender's ``ensure_async`` (the app's: they
    run in the thread pool with the context copied, so a slow receiver does not block the
    event loop); a sender without one has them called inline.
    """
    wrapper = getattr(sender, "ensure_async", None) or _sync_wrapper
    return await signal.send_async(sender, _sync_wrapper=wrapper, **kwargs)  # type: ignore[no-any-return]


def send_sync(signal: Any, sender: Any, **kwargs: Any) -> list[tuple[Any, Any]]:
    """Send ``signal`` from sync code; async receivers are scheduled as tasks."""
    return signal.send(sender, _async_wrapper=_async_wrapper, **kwargs)  # type: ignore[no-any-return]
