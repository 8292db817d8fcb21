"""Serve :mod:`views` with Quart or Erlen and print, as JSON, what it answered to every
case of :mod:`cases` and what each scenario of :mod:`scenarios` saw: through the test
client, then over a socket under hypercorn (for Erlen also as ``kernel run`` serves it,
over HTTP/1.1 and HTTP/2): ``python answers.py quart|erlen``.

Run in a process of its own per framework, so the real ``quart`` never shares a process
with Erlen. Values that differ from run to run are replaced by a marker: signed cookie
values, dates, ETags of files.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import logging
import re
import shutil
import socket
import sys
import warnings
from pathlib import Path
from typing import Any

import httpx
import hypercorn.asyncio
import hypercorn.config
import websockets
import websockets.exceptions

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cases import CLOSE, DEPARTURES, FLOWS, HTTP2_CLIENT_FAILS, REQUESTS, WEBSOCKETS  # noqa: E402

#: Headers whose value depends on the clock, the file system or the HTTP version.
VOLATILE = {"date", "expires", "last-modified", "etag", "server"}
#: HTTP/1.1's framing, which HTTP/2 does not send: left out.
FRAMING = {"transfer-encoding"}
SIGNED = re.compile(r"(session=)[^;]+")
EXPIRES = re.compile(r"(Expires=)(?!Thu, 01 Jan 1970)[^;]+")


def framework_names(framework: str) -> dict[str, Any]:
    """``framework``'s public names, ``App`` (``Quart`` or ``Erlen``), and its ``views``
    classes as ``MethodViewBase`` and ``ViewBase``."""
    module = importlib.import_module(framework)
    names = {n: getattr(module, n) for n in dir(module) if not n.startswith("_")}
    views = importlib.import_module(f"{framework}.views")
    names.update(
        App=getattr(module, "Quart" if framework == "quart" else "Erlen"),
        MethodViewBase=views.MethodView,
        ViewBase=views.View,
        __name__=f"oracle_{framework}",
    )
    return names


def build_views(framework: str) -> dict[str, Any]:
    """The namespace of ``views`` executed with :func:`framework_names` as its globals
    (its ``app``, and the folders it made: ``STATIC``, ``TEMPLATES``)."""
    names = framework_names(framework)
    source = (HERE / "views.py").read_text()
    exec(compile(source, str(HERE / "views.py"), "exec"), names)
    return names


def headers_of(response: Any) -> list[list[str]]:
    """The response's headers, lowercase names, sorted, volatile values masked."""
    found = []
    for name, value in response.headers.items():
        name = name.lower()
        if name in FRAMING:
            continue
        if name in VOLATILE:
            value = "<varies>"
        elif name == "allow":  # werkzeug lists the methods of a set: in no set order
            value = ", ".join(sorted(value.split(", ")))
        elif name == "set-cookie":
            value = EXPIRES.sub(r"\1<varies>", value)
            value = SIGNED.sub(r"\1<signed>", value) if "session=;" not in value else value
        found.append([name, value])
    return sorted(found)


async def answer(client: Any, method: str, path: str, options: dict[str, Any]) -> Any:
    try:
        response = await client.open(path, method=method, **options)
        body = await response.get_data()
    except Exception as error:  # what the test client raised is the answer
        return {"raised": type(error).__name__}
    return described(response.status_code, headers_of(response), body)


def described(status: int, headers: list[list[str]], body: bytes) -> dict[str, Any]:
    """An answer as compared. A JSON body is compared by its value, written one way
    (sorted keys, ASCII escapes, compact), and its ``Content-Length`` left out: Erlen's
    JSON is UTF-8 where Flask's and Quart's escape, a documented difference of bytes that
    would hide every other in the answers of JSON views."""
    if any(name == "content-type" and value == "application/json" for name, value in headers):
        headers = [pair for pair in headers if pair[0] != "content-length"]
        if body:  # a HEAD answer has none
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    return {"status": status, "headers": headers, "body": base64.b64encode(body).decode()}


async def websocket_answer(client: Any, path: str, steps: list[Any]) -> list[Any]:
    """What a conversation received: its messages, then the error that ended it (its
    class name, and the status of a refusal)."""
    got: list[Any] = []
    headers = {"X-Token": "t"}
    try:
        async with client.websocket(path, subprotocols=["one", "two"], headers=headers) as ws:
            for step in steps:
                if step is None:
                    message = await ws.receive()
                    got.append(message if isinstance(message, str) else repr(message))
                elif step is CLOSE:
                    await ws.close(1000)
                else:
                    await ws.send(step)
    except Exception as error:  # Quart's disconnect error carries no close code
        got.append(type(error).__name__)
        status = getattr(getattr(error, "response", None), "status_code", None)
        if status is not None:
            got.append(status)
    return got


async def scenario_answers(framework: str, app: Any) -> dict[str, Any]:
    """What each ``scenario_*`` of :mod:`scenarios` returned (or the class of what it
    raised), keyed ``"scenario NAME"``."""
    names = framework_names(framework)
    names["signals_module"] = importlib.import_module(f"{framework}.signals")
    source = (HERE / "scenarios.py").read_text()
    exec(compile(source, str(HERE / "scenarios.py"), "exec"), names)
    found: dict[str, Any] = {}
    for name, function in names.items():
        if name.startswith("scenario_"):
            try:
                # A task of its own: a scenario starts from a copy of this (empty)
                # context, whatever an earlier one left in its own. (wait_for awaits a
                # coroutine in the calling task from Python 3.12 on, where Quart's
                # preserved request context then leaked from one scenario to the next.)
                task = asyncio.ensure_future(function(app))
                found[f"scenario {name[9:]}"] = await asyncio.wait_for(task, 10)
            except Exception as error:
                found[f"scenario {name[9:]}"] = {"raised": type(error).__name__}
    return found


def http_options(options: dict[str, Any]) -> dict[str, Any] | None:
    """httpx's keywords for a case's test-client ``options`` (None: a case only a test
    client can send, one setting the scheme or root path)."""
    if "scheme" in options or "root_path" in options:
        return None
    sent: dict[str, Any] = {"headers": options.get("headers")}
    if "json" in options:
        sent["json"] = options["json"]
    elif "form" in options:
        sent["data"] = options["form"]
    elif "data" in options:
        sent["content"] = options["data"]
    if "query_string" in options:
        sent["params"] = options["query_string"]
    return sent


async def served_answers(base_url: str, prefix: str, http2: bool = False) -> dict[str, Any]:
    """The answers to :data:`REQUESTS` from the app served at ``base_url``, over one
    HTTP/1.1 connection (httpx; with ``http2``, one HTTP/2 connection by prior
    knowledge), keyed ``"{prefix} CASE"``: what a real client gets, without a test client
    between."""
    here = base_url.removeprefix("http://")
    found: dict[str, Any] = {}
    client = httpx.AsyncClient(base_url=base_url, timeout=10, http1=not http2, http2=http2)
    async with client:
        for case_id, (method, path, options) in REQUESTS.items():
            sent = http_options(options)
            if sent is None or (http2 and case_id in HTTP2_CLIENT_FAILS):
                continue
            try:
                response = await client.request(method, path, **sent)
            except httpx.HTTPError as error:  # h2 refuses a 304 with a Content-Length
                found[f"{prefix} {case_id}"] = {"raised": type(error).__name__}
                continue
            client.cookies.clear()
            answered = described(
                response.status_code,
                headers_of(response),
                response.content.replace(here.encode(), b"<port>"),
            )
            # The port is each run's own: the two runs' answers compare without it.
            found[f"{prefix} {case_id}"] = json.loads(json.dumps(answered).replace(here, "<port>"))
    return found


async def served_conversations(base_url: str, prefix: str) -> dict[str, Any]:
    """The :data:`WEBSOCKETS` conversations with the app served at ``base_url``, by the
    ``websockets`` client, keyed ``"{prefix} CASE"``: the messages received, then how
    the connection ended (close code and reason), or the status of a refused handshake."""
    found: dict[str, Any] = {}
    for case_id, (path, steps) in WEBSOCKETS.items():
        got: list[Any] = []
        url = "ws" + base_url.removeprefix("http") + path
        try:
            async with websockets.connect(
                url, subprotocols=["one", "two"], additional_headers={"X-Token": "t"}
            ) as ws:
                got.append(["subprotocol", ws.subprotocol])
                for step in steps:
                    if step is None:
                        message = await asyncio.wait_for(ws.recv(), 10)
                        got.append(message if isinstance(message, str) else repr(message))
                    elif step is CLOSE:
                        await ws.close()
                    else:
                        await ws.send(step)
                await asyncio.wait_for(ws.wait_closed(), 10)
                got.append(["closed", ws.close_code, ws.close_reason])
        except websockets.exceptions.ConnectionClosed as closed:
            received = closed.rcvd
            got.append(
                [
                    "closed",
                    received.code if received else None,
                    received.reason if received else None,
                ]
            )
        except websockets.exceptions.InvalidStatus as refused:
            got.append(["refused", refused.response.status_code])
        except TimeoutError:
            got.append("timed out")
        found[f"{prefix} {case_id}"] = got
    return found


async def served_departures(base_url: str, prefix: str) -> dict[str, Any]:
    """For each of :data:`DEPARTURES`, what the view saw once its client left (read from
    ``/depart/events``): whether it was cancelled, what its teardown got, how a streamed
    body ended."""
    port = int(base_url.rsplit(":", 1)[1])
    found: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        for case_id, (method, path, rest, last) in DEPARTURES.items():
            await client.get("/depart/events", params={"clear": "1"})
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n".encode() + rest)
            events: list[str] = []
            for _ in range(100):  # until the view waits (at most 5 s)
                events = (await client.get("/depart/events")).json()["events"]
                if "waiting" in events:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.6)
            writer.close()
            for _ in range(60):  # until its teardown ran, or 3 s
                events = (await client.get("/depart/events")).json()["events"]
                if any(event.startswith(last) for event in events):
                    break
                await asyncio.sleep(0.05)
            found[f"{prefix} {case_id}"] = events
    return found


async def served_by_hypercorn(app: Any) -> dict[str, Any]:
    """:func:`served_answers` of ``app`` served by plain hypercorn (``"served CASE"``)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    config = hypercorn.config.Config()
    config.bind = [f"fd://{listener.detach()}"]  # hypercorn's to close
    config.accesslog = config.errorlog = None
    stop = asyncio.Event()
    server = asyncio.ensure_future(hypercorn.asyncio.serve(app, config, shutdown_trigger=stop.wait))
    try:
        base_url = f"http://127.0.0.1:{port}"
        found = await served_answers(base_url, "served")
        found.update(await served_conversations(base_url, "served"))
        found.update(await served_departures(base_url, "served"))
        return found
    finally:
        stop.set()
        await server


async def main(framework: str) -> dict[str, Any]:
    views = build_views(framework)
    app = views["app"]
    results: dict[str, Any] = {}
    for case_id, (method, path, options) in REQUESTS.items():
        # A client per request: no cookie (a signed session, which changes every
        # second) is carried from one case to the next.
        results[case_id] = await answer(app.test_client(), method, path, options)
    for case_id, paths in FLOWS.items():
        flow_client = app.test_client()
        results[case_id] = [await answer(flow_client, "GET", path, {}) for path in paths]
    for case_id, (path, sends) in WEBSOCKETS.items():
        conversation = websocket_answer(app.test_client(), path, sends)
        results[case_id] = await asyncio.wait_for(asyncio.ensure_future(conversation), 10)
    # What the websocket hooks saw, after every conversation.
    results["websocket hooks"] = await answer(app.test_client(), "GET", "/live/events", {})
    results.update(await scenario_answers(framework, app))
    results.update(await served_by_hypercorn(app))
    if framework == "erlen":
        # Under the serving plugin's hypercorn (``kernel run``'s connection classes),
        # read like the framework, by name: Quart's process never imports Erlen.
        serve_app = importlib.import_module("erlen.plugins.testing").serve_app
        async with serve_app(app) as base_url:
            results.update(await served_answers(base_url, "kernel-served"))
            results.update(await served_conversations(base_url, "kernel-served"))
            results.update(await served_departures(base_url, "kernel-served"))
            results.update(await served_answers(base_url, "kernel-h2-served", http2=True))
    for folder in (views["STATIC"], views["TEMPLATES"]):
        shutil.rmtree(folder, ignore_errors=True)
    return results


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)  # the 500s' tracebacks: the answers are the point
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
