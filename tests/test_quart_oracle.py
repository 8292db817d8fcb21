"""Erlen answers as Quart does: one app (``tests/quart_oracle/views.py``) served by the
real Quart and by Erlen, each in a process of its own, asked the same ~230 requests,
session flows and websocket conversations (``cases.py``) and put through what a test
suite does with the test client, the contexts, the CLI runner and signals
(``scenarios.py``). Every answer (status, headers, body, a JSON body by its value;
messages and how a conversation ended; what a scenario saw) must be Quart's, except the
differences listed here, each with its reason (``docs/porting.md`` describes them for
users). The requests and conversations a real client can have are held again over a
socket with each app served by hypercorn, and with Erlen served as ``kernel run`` serves
it (the serving plugin's connection classes), over HTTP/1.1 and HTTP/2.

A listed difference that disappears fails too, so the list stays true. Needs the real
``quart`` (the test extra pins it); CI's dependency-floors stage leaves this module out.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ORACLE = Path(__file__).resolve().parent / "quart_oracle"
_spec = importlib.util.spec_from_file_location("quart_oracle_cases", ORACLE / "cases.py")
assert _spec is not None and _spec.loader is not None
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

SCENARIOS = [
    f"scenario {node.name.removeprefix('scenario_')}"
    for node in ast.parse((ORACLE / "scenarios.py").read_text()).body
    if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("scenario_")
]
#: The requests a real client can send (not those setting the scheme or root path) and the
#: websocket conversations and the clients leaving while their view waits, asked again
#: of each app served by hypercorn ("served"), and
#: of Erlen served by the serving plugin's hypercorn, ``kernel run``'s ("kernel-served",
#: compared with Quart's "served"), and over HTTP/2 ("kernel-h2-served"; not the answers
#: httpx's HTTP/2 client cannot read: ``cases.HTTP2_CLIENT_FAILS``).
SERVED = [
    *(
        f"served {case_id}"
        for case_id, (_method, _path, options) in cases.REQUESTS.items()
        if "scheme" not in options and "root_path" not in options
    ),
    *(f"served {case_id}" for case_id in cases.WEBSOCKETS),
    *(f"served {case_id}" for case_id in cases.DEPARTURES),
]
CASE_IDS = [
    *cases.REQUESTS,
    *cases.FLOWS,
    *cases.WEBSOCKETS,
    "websocket hooks",
    *SCENARIOS,
    *SERVED,
    *(f"kernel-{case_id}" for case_id in SERVED),
    *(
        f"kernel-h2-{case_id}"
        for case_id in SERVED
        if not case_id.startswith(("served websocket", "served depart"))
        and case_id.removeprefix("served ") not in cases.HTTP2_CLIENT_FAILS
    ),
]

STREAMED = (
    "the test client shows the headers the app sent: a streamed body has no"
    " Content-Length (Quart's client rebuilds the response, which adds one; porting.md,"
    " Testing)"
)
UNSATISFIABLE = "a 416 says the size, Content-Range: bytes */10 (RFC 9110)"
#: Where Erlen deliberately answers otherwise, and why.
KNOWN_DIFFERENCES = {
    "GET /tuple-status-line": "a status line ('201 CREATED') is a status, as in Flask;"
    " Quart answers 500 (int() of the line)",
    "GET /tuple-repeated-pairs": "header pairs repeating a name are all sent, as Flask's"
    " make_response passes them to the response class; Quart keeps the last",
    "GET /json-dates": "dates are ISO 8601 in JSON (msgspec; porting.md, JSON)",
    "GET /json-set": "a set is written as a JSON array (msgspec); Quart answers 500",
    "GET /redirect-non-ascii": "a Location that is not ASCII is percent-encoded, as"
    " browsers need; Quart sends the raw text",
    "GET /async-generator": STREAMED,
    "GET /sync-generator": STREAMED,
    "GET /generator-status": STREAMED,
    "GET /stream-with-context?a=q": STREAMED,
    "GET /async-generator-view": STREAMED,
    "GET /sync-generator-view": STREAMED,
    "HEAD /async-generator": STREAMED,
    "GET /stream-template": STREAMED,
    "GET /order-events?after=raises": "teardown functions get the exception that caused"
    " the 500, as in Flask; Quart passes None (porting.md, Requests and responses)",
    "GET /response-etag match": STREAMED + "; a 304 has no body, so no length",
    "GET /response-etag weak match": STREAMED + "; a 304 has no body, so no length",
    "GET /list-iterator": "an iterator is a streamed body, as in Flask; Quart answers 500",
    "GET /files/f.txt": "send_file is Flask's: Content-Disposition inline and"
    " Accept-Ranges (porting.md, Requests and responses)",
    "GET /files/p.html": "send_file is Flask's: Content-Disposition inline and Accept-Ranges",
    "GET /files range": "send_file is Flask's: Content-Disposition inline",
    "GET /files range past the end": UNSATISFIABLE,
    "GET /files two ranges": UNSATISFIABLE,
    "GET /files other unit": UNSATISFIABLE,
    "GET /files suffix range": "a suffix range (bytes=-3) is served (206); Quart answers 500",
    "GET /send-file-io": "an in-memory file is sent with Cache-Control: no-cache, as Flask's"
    " max_age=None (porting.md, From Flask)",
    "POST /form multipart cut": "a malformed multipart body is a 400; Quart gives an empty form",
    "POST /form no boundary": "a multipart body without boundary is a 400; Quart gives an"
    " empty form",
    "POST /json not utf-8": "JSON that is not UTF-8 is a 400; Quart answers 500",
    "session set then read": "Vary: Cookie when a view read the session, as Flask adds it",
    "permanent session, cleared": "Vary: Cookie when a view read the session",
    "websocket json": "send_json() writes compact JSON (porting.md, JSON), and the"
    " MultiDict websocket.args inside the message with its lists",
    "scenario websocket_json": "a MultiDict inside a dict (websocket.args in the message)"
    " is written with its lists (porting.md, JSON)",
    "served websocket json invalid": "a handler ending with an HTTP error after accepting"
    " closes with 1008 and the status as the reason; Quart closes with 1000 (porting.md,"
    " WebSockets)",
    "served websocket handler raises": "a handler raising after accepting closes with 1011;"
    " Quart closes with 1000 (porting.md, WebSockets)",
    "scenario signals_on_error": "request_tearing_down and appcontext_tearing_down carry the"
    " exception behind the 500, as in Flask; Quart sends None",
    "scenario cli_command_app_context": "app.cli commands run in the app context, as in"
    " Flask (porting.md, The app and its setup); Quart 0.22's fail on current_app",
    "websocket hooks": "a blueprint's teardown_websocket functions run when each connection"
    " ends, with its error; under Quart 0.22's test client they did not run at all",
    "websocket info": "the test client sends the subprotocols it is given; Quart's"
    " leaves them out of the scope",
}


#: The differences only the test clients make: served, both frameworks answer alike.
TEST_CLIENT_ONLY = {
    *(case_id for case_id, reason in KNOWN_DIFFERENCES.items() if reason.startswith(STREAMED)),
    "websocket info",
}


def known_difference(case_id: str) -> str | None:
    """Why ``case_id`` may differ from Quart, or None. A served case (under plain
    hypercorn, or as ``kernel run`` serves) differs as its test client case does, except
    for what only the test clients make different (a served streamed body has no
    ``Content-Length`` from either framework) and what only a real client sees (the close
    codes, which Quart's test client does not give)."""
    served = case_id.removeprefix("kernel-").removeprefix("h2-")
    if served in KNOWN_DIFFERENCES:
        return KNOWN_DIFFERENCES[served]
    if served.startswith("served "):
        asked = served.removeprefix("served ")
        return None if asked in TEST_CLIENT_ONLY else KNOWN_DIFFERENCES.get(asked)
    return None


def answers_of(framework: str) -> dict[str, Any]:
    """What ``answers.py`` printed for ``framework``."""
    done = subprocess.run(
        [sys.executable, str(ORACLE / "answers.py"), framework],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def answers() -> tuple[dict[str, Any], dict[str, Any]]:
    """Quart's answers and Erlen's."""
    return answers_of("quart"), answers_of("erlen")


def test_every_listed_difference_is_a_case() -> None:
    assert set(KNOWN_DIFFERENCES) <= set(CASE_IDS)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_erlen_answers_as_quart_does(
    case_id: str, answers: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    quart, erlen = answers
    # Quart's answer: served by plain hypercorn, over HTTP/1.1 (Erlen's "kernel-h2" ones
    # are over HTTP/2, which plain hypercorn serves unreliably: a connection sometimes
    # fails mid-request, whichever framework it serves).
    asked = case_id.removeprefix("kernel-").removeprefix("h2-")
    if known_difference(case_id) is not None:
        assert erlen[case_id] != quart[asked], (
            f"{case_id!r} now answers as Quart: remove it from KNOWN_DIFFERENCES"
        )
    else:
        assert erlen[case_id] == quart[asked]
