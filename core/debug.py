"""The debug traceback page: what a browser shows for an unhandled error in debug mode.

In debug mode (``--debug``, ``app.run(debug=True)``, ``DEBUG = True``) or with
``TESTING``, an error no handler dealt with propagates out of ``app.handle_request``
(Flask's and Quart's rule) and the protocol handler answers it with
:func:`traceback_response`, as Quart 0.22 does: a 500 page with the exception chain, each
frame's source around the failing line, and the request that caused it. It is never sent
otherwise: it shows source code and request data, which a production server must not
give away.
"""

from __future__ import annotations

import linecache
import sysconfig
import traceback
from types import FrameType
from typing import Any

from markupsafe import Markup, escape

from .ctx import has_request_context
from .globals import request
from .wrappers.response import Response

__all__ = ["CONTEXT_LINES", "traceback_page", "traceback_response"]

#: Source lines shown before and after the failing line of each frame.
CONTEXT_LINES = 3

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #222; }
header { background: #8b1a1a; color: #fff; padding: 1rem 1.5rem; }
header h1 { margin: 0; font-size: 1.3rem; }
header p { margin: .4rem 0 0; font: 14px ui-monospace, monospace; white-space: pre-wrap;
           overflow-wrap: anywhere; }
main { padding: 1rem 1.5rem; max-width: 70rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
.note { background: #fff6d6; border-left: 4px solid #c9a227; padding: .4rem .6rem; }
.chain { color: #555; font-style: italic; margin: 1.5rem 0 .5rem; }
.frame { border: 1px solid #ddd; border-radius: 6px; margin: .6rem 0; overflow: hidden; }
.frame.app { border-color: #c9a227; }
.where { background: #f5f5f5; padding: .35rem .6rem; font: 13px ui-monospace, monospace;
         overflow-wrap: anywhere; }
.where b { color: #0b4f8a; }
pre { margin: 0; padding: .4rem 0; font: 13px/1.4 ui-monospace, monospace; overflow-x: auto; }
pre span { display: block; padding: 0 .6rem; white-space: pre; }
pre .line { background: #fde8e8; }
pre .no { color: #999; display: inline-block; min-width: 3.5em; }
table { border-collapse: collapse; font: 13px ui-monospace, monospace; }
td, th { text-align: left; vertical-align: top; padding: .2rem .8rem .2rem 0;
         overflow-wrap: anywhere; }
th { color: #555; font-weight: normal; }
footer { color: #777; font-size: 13px; padding: 1rem 1.5rem 2rem; }
"""


async def traceback_response(error: BaseException, connection: Any = None) -> Response:
    """A ``500 Internal Server Error`` response showing :func:`traceback_page` of ``error``
    (and of ``connection``, the request or websocket it failed, default: the current
    one); a coroutine function, as Quart's."""
    return Response(
        traceback_page(error, connection),
        status=500,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


def traceback_page(error: BaseException, connection: Any = None) -> str:
    """The debug page of ``error`` as HTML: every value escaped, no script. The request
    shown is ``connection`` (default: the current request, if any)."""
    title = f"{type(error).__module__}.{type(error).__qualname__}".removeprefix("builtins.")
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)} // Erlen debugger</title><style>{_STYLE}</style></head><body>",
        f"<header><h1>{escape(title)}</h1><p>{escape(str(error))}</p></header><main>",
    ]
    for exc, link in _chain(error):
        if link:  # how it follows from the exception shown above it
            parts.append(f'<p class="chain">{escape(link)}</p>')
        parts.append(f"<h2>{escape(_describe(exc))}</h2>")
        parts.extend(f'<p class="note">{escape(note)}</p>' for note in _notes(exc))
        parts.extend(_frame_html(frame, library) for frame, library in _frames(exc))
    parts.append(_request_html(connection))
    parts.append(
        "</main><footer>Shown because the app runs in debug mode. Never run a public server"
        " with <code>--debug</code>: this page shows your source code and request data."
        "</footer></body></html>"
    )
    return "".join(parts)


def _chain(error: BaseException) -> list[tuple[BaseException, str]]:
    """The exceptions of ``error``'s chain, oldest first, each with the sentence Python's
    own traceback prints before it (empty for the oldest)."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__cause__ is not None:
            link, older = _CAUSE, current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            link, older = _CONTEXT, current.__context__
        else:
            link, older = "", None
        chain.append((current, link))
        current = older
    chain.reverse()
    return chain


_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def _frames(exc: BaseException) -> list[tuple[traceback.FrameSummary, bool]]:
    """The frames of ``exc``'s traceback, each with whether it is library code (see
    :func:`_is_library`); a ``SyntaxError`` (a module being edited) ends with the broken
    line itself, which its traceback, ending in the import, lacks."""
    walked = list(traceback.walk_tb(exc.__traceback__))
    summaries = traceback.StackSummary.extract(iter(walked))
    frames = [
        (summary, _is_library(frame, summary.filename))
        for (frame, _), summary in zip(walked, summaries, strict=True)
    ]
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        frames.append((traceback.FrameSummary(exc.filename, exc.lineno, "<module>"), False))
    return frames


#: Where the standard library lives (``sys.prefix`` is a virtualenv's, not the stdlib's).
_STDLIB_DIRS = tuple({sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")})


def _is_library(frame: FrameType, filename: str) -> bool:
    """Whether a frame is Erlen's, the standard library's or an installed package's: the
    page outlines the others, the app's own, where the bug usually is. Erlen is told by
    module name, since an editable install keeps it outside ``site-packages``."""
    module = frame.f_globals.get("__name__")
    if isinstance(module, str) and (module == "erlen" or module.startswith("erlen.")):
        return True
    return (
        filename.startswith("<frozen ")
        or "site-packages" in filename
        or "dist-packages" in filename
        or filename.startswith(_STDLIB_DIRS)
    )


def _notes(exc: BaseException) -> list[str]:
    notes = getattr(exc, "__notes__", None)
    return [str(note) for note in notes] if isinstance(notes, list) else []


def _describe(exc: BaseException) -> str:
    name = type(exc).__qualname__
    return f"{name}: {exc}" if str(exc) else name


def _frame_html(frame: traceback.FrameSummary, in_library: bool) -> str:
    lineno = frame.lineno or 0
    first = max(lineno - CONTEXT_LINES, 1)
    lines = []
    for number in range(first, lineno + CONTEXT_LINES + 1):
        text = linecache.getline(frame.filename, number)
        if not text and number > lineno:
            break
        css = ' class="line"' if number == lineno else ""
        lines.append(f'<span{css}><span class="no">{number}</span>{escape(text.rstrip())}</span>')
    # No source at all (a frozen module): the location line alone, no empty numbered lines.
    has_text = any(linecache.getline(frame.filename, n) for n in range(first, lineno + 1))
    source = f"<pre>{''.join(lines)}</pre>" if lines and has_text else ""
    return (
        f'<div class="frame{"" if in_library else " app"}"><div class="where">'
        f"{escape(frame.filename)}, line {lineno}, in <b>{escape(frame.name)}</b></div>"
        f"{source}</div>"
    )


def _request_html(connection: Any) -> str:
    if connection is None:
        if not has_request_context():
            return ""
        connection = request
    rows = [("Method", getattr(connection, "method", "GET")), ("URL", connection.url)]
    rows += [(f"Header {name}", value) for name, value in connection.headers.items()]
    rows += [(f"Query {name}", value) for name, value in connection.args.items(multi=True)]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<h2>Request</h2><table>{Markup(cells)}</table>"
