"""Server-Sent Events: a ``text/event-stream`` response from an async iterable of events.

.. code-block:: python

    from erlen.sse import ServerSentEvent, event_stream

    @app.route("/ticks")
    async def ticks():
        async def events():
            for n in itertools.count():
                yield ServerSentEvent({"n": n}, event="tick", id=str(n))
                await asyncio.sleep(1)

        return event_stream(events())

The stream sends a comment line when the source has been quiet for ``keep_alive``
seconds, so proxies and browsers keep the connection open; it is not cut by
``RESPONSE_TIMEOUT``. When the client goes away the source is cancelled where it is
awaiting, so its ``finally`` blocks run (the ``http`` pipeline stops a streamed body on
``http.disconnect``).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from .globals import current_app
from .wrappers.response import Response

__all__ = ["KEEP_ALIVE_COMMENT", "ServerSentEvent", "event_stream"]

#: What is sent when the source has been quiet for ``keep_alive`` seconds.
KEEP_ALIVE_COMMENT = b": keep-alive\n\n"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ServerSentEvent:
    """One event of an event stream, as the browser's ``EventSource`` reads it.

    :param data: the event's data: a ``str`` (sent line by line), ``bytes`` (UTF-8), or
        anything else, sent as JSON (the app's JSON provider inside an app context).
    :param event: the event type (``addEventListener(event, ...)``); default ``message``.
    :param id: the event id the browser sends back as ``Last-Event-ID`` on reconnect.
    :param retry: the reconnection delay the browser should use, in milliseconds.
    :param comment: a comment line (ignored by browsers).
    """

    data: Any = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        for name in ("event", "id"):
            value = getattr(self, name)
            if value is not None and ("\n" in value or "\r" in value or "\0" in value):
                raise ValueError(f"an event's {name} must be one line, not {value!r}")
        if self.retry is not None and (
            isinstance(self.retry, bool) or not isinstance(self.retry, int) or self.retry < 0
        ):
            raise ValueError(f"retry must be a number of milliseconds, not {self.retry!r}")

    def encode(self) -> bytes:
        """The event in the wire format: ``field: value`` lines and a blank line."""
        lines: list[str] = []
        if self.comment is not None:
            lines += [f": {line}" for line in _LINE_BREAK.split(self.comment)]
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        if self.data is not None:
            lines += [f"data: {line}" for line in _LINE_BREAK.split(_data_text(self.data))]
        return ("\n".join(lines) + "\n\n").encode()


def _data_text(data: Any) -> str:
    if isinstance(data, str):
        return data
    if isinstance(data, bytes):
        return data.decode()
    if current_app:
        return current_app.json.dumps(data)  # type: ignore[no-any-return]
    return json.dumps(data, separators=(",", ":"))


def _as_event(item: Any) -> bytes:
    if isinstance(item, ServerSentEvent):
        return item.encode()
    return ServerSentEvent(item).encode()


def event_stream(
    source: AsyncIterable[Any],
    *,
    keep_alive: float | None = 15.0,
    retry: int | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A streamed ``text/event-stream`` response of the events ``source`` yields.

    :param source: an async iterable (usually an async generator) of
        :class:`ServerSentEvent` objects, or of data (``str``, ``bytes``, or anything
        JSON can send) each sent as a ``message`` event.
    :param keep_alive: seconds of quiet after which a comment line is sent; ``None`` for
        none.
    :param retry: a reconnection delay in milliseconds, sent first.
    :param status: the response status.
    :param headers: more response headers.
    """
    if not isinstance(source, AsyncIterable):
        raise TypeError(
            f"event_stream() takes an async iterable (an async generator), not {source!r}"
        )
    if keep_alive is not None and keep_alive <= 0:
        raise ValueError(f"keep_alive must be a positive number of seconds, not {keep_alive!r}")
    response_class = current_app.response_class if current_app else Response
    response = response_class(
        _encoded(source, keep_alive, retry),
        status=status,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **(headers or {})},
        content_type="text/event-stream",
    )
    response.timeout = None  # a stream lives as long as its client; RESPONSE_TIMEOUT is not for it
    return response


_END = object()


async def _encoded(
    source: AsyncIterable[Any], keep_alive: float | None, retry: int | None
) -> AsyncIterator[bytes]:
    if retry is not None:
        yield ServerSentEvent(retry=retry).encode()
    if keep_alive is None:
        async for item in source:
            yield _as_event(item)
        return
    # The source runs in one task feeding a one-item queue, so a quiet period can be
    # answered with a comment without cancelling the source mid-await; closing this
    # generator (the client left) cancels that task, which ends the source.
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)
    pump = asyncio.ensure_future(_pump(source, queue))
    try:
        while True:
            try:
                async with asyncio.timeout(keep_alive):
                    item = await queue.get()
            except TimeoutError:
                yield KEEP_ALIVE_COMMENT
                continue
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield _as_event(item)
    finally:
        pump.cancel()
        await asyncio.gather(pump, return_exceptions=True)


@dataclass(frozen=True)
class _Failed:
    error: BaseException


async def _pump(source: AsyncIterable[Any], queue: asyncio.Queue[Any]) -> None:
    try:
        async for item in source:
            await queue.put(item)
    except Exception as exc:  # handed over: the response's iteration raises it
        await queue.put(_Failed(exc))
    else:
        await queue.put(_END)
