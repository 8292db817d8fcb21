"""The measuring subprocess: one framework, one scenario, one interpreter.

Protocol (JSON lines on a private copy of stdout; commands on stdin):

* on start it loads the app, drives ``lifespan.startup`` and verifies the
  scenario's response, then prints ``{"ready": true}`` (or
  ``{"error": ..., "detail": ...}`` and exits);
* ``round`` -> ``{"us": [per-iteration µs of each batch], "count": N}``; the
  first round warms up and sizes the batches (N iterations each) beforehand;
* ``quit`` -> verifies once more, drives ``lifespan.shutdown``, prints
  ``{"done": true}`` (or an error) and exits.

``--smoke`` uses :func:`verify_all` instead: one process per framework checks every
scenario (verify, a few requests, verify again) and prints one JSON line per scenario.

Anything the app prints goes to stderr, so it cannot corrupt the protocol.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import traceback
from dataclasses import dataclass
from typing import IO, Any

from benchlib.asgi import (
    ASGIApp,
    DriverError,
    Lifespan,
    WebSocketClient,
    http_scope,
    request_once,
    time_broadcasts,
    time_connections,
    time_requests,
)
from benchlib.frameworks import load_app
from benchlib.scenarios import BY_NAME, Scenario, ws_echo_matches, ws_expected, ws_message


@dataclass(frozen=True)
class Settings:
    """How long to warm up and how big each timed batch is."""

    warmup_s: float = 0.3
    batch_s: float = 0.05
    batches: int = 5
    fixed_count: int = 0  # > 0: skip warm-up and calibration (``--smoke``)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """Parse the settings the parent passed on the command line."""
        return cls(**json.loads(text))


class VerificationError(Exception):
    """The app answered, but not with the expected response."""


class Target:
    """A loaded app plus the request of one scenario, ready to verify and time."""

    def __init__(self, app: ASGIApp, scenario: Scenario, lifespan: Lifespan | None = None) -> None:
        self.app = app
        self.scenario = scenario
        self.started = lifespan is not None
        self.lifespan = lifespan or Lifespan(app)
        self.scope = http_scope(scenario.method, scenario.path, scenario.headers, scenario.query)

    async def start(self) -> None:
        """Run lifespan startup (unless shared and started) and, if needed, log in to get
        a session cookie."""
        if not self.started:
            await self.lifespan.startup()
            self.started = True
        self.scope["state"] = self.lifespan.state
        if self.scenario.login:
            await self._login()
        if self.scenario.revalidate:
            await self._fetch_etag()

    async def _login(self) -> None:
        """GET the scenario's ``login`` path and reuse its ``Set-Cookie`` values as the
        request's cookie (a 200 or a redirect)."""
        path = self.scenario.login
        login = http_scope("GET", path)
        login["state"] = self.lifespan.state
        response = await request_once(self.app, login)
        cookies = [value.split(";", 1)[0] for value in response.header_values("set-cookie")]
        if response.status not in (200, 302) or not cookies:
            raise VerificationError(f"GET {path}: status {response.status}, set-cookie {cookies!r}")
        self.scope["headers"] = [*self.scope["headers"], (b"cookie", "; ".join(cookies).encode())]

    async def _fetch_etag(self) -> None:
        """GET the scenario's path once and send its ``ETag`` back as ``If-None-Match``."""
        fetch = http_scope("GET", self.scenario.path)
        fetch["state"] = self.lifespan.state
        response = await request_once(self.app, fetch)
        etag = response.header("etag")
        if response.status != 200 or not etag:
            path = self.scenario.path
            raise VerificationError(f"GET {path}: status {response.status}, etag {etag!r}")
        self.scope["headers"] = [*self.scope["headers"], (b"if-none-match", etag.encode())]

    async def verify(self) -> None:
        """Check the scenario's response; raise ``VerificationError`` if wrong."""
        if self.scenario.kind == "ws" and self.scenario.ws_clients > 1:
            problems = await self._verify_broadcast()
        elif self.scenario.kind == "ws":
            problems = await self._verify_websocket()
        elif self.scenario.kind == "ws_connect":
            problems = []
            for index in range(3):
                problems.extend(await self._verify_connection(index))
        else:
            response = await request_once(self.app, self.scope, self.scenario.body)
            problems = self.scenario.check(response)
        if problems:
            raise VerificationError(f"{self.scenario.description}: " + "; ".join(problems))

    def _client(self) -> WebSocketClient:
        """A client for the scenario's path, with its subprotocols, headers and query."""
        scenario = self.scenario
        return WebSocketClient(
            self.app,
            scenario.path,
            self.lifespan.state,
            scenario.ws_subprotocols,
            scenario.headers,
            scenario.query,
        )

    async def _verify_websocket(self) -> list[str]:
        """Handshake, echo three distinct messages, disconnect cleanly."""
        scenario = self.scenario
        client = self._client()
        problems: list[str] = []
        try:
            accept = await client.connect()
            if scenario.ws_subprotocols and accept.get("subprotocol") != scenario.ws_subprotocol:
                problems.append(
                    f"accepted subprotocol {accept.get('subprotocol')!r}, "
                    f"expected {scenario.ws_subprotocol!r}"
                )
            for index in range(3):
                sent = ws_message(self.scenario, index)
                for position, expected in enumerate(ws_expected(self.scenario, sent)):
                    reply = await client.echo_reply(None if position else sent)
                    if not ws_echo_matches(self.scenario, expected, reply):
                        problems.append(
                            f"sent {sent!r}, expected {expected!r}, got {dict(reply)!r}"
                        )
        finally:
            error = await client.close()
        if error is not None and not problems:
            problems.append(f"the app failed after disconnect: {error!r}")
        return problems

    async def _open_room(self) -> list[WebSocketClient]:
        """``ws_clients`` connections to the scenario's path, each accepted."""
        clients: list[WebSocketClient] = []
        for _ in range(self.scenario.ws_clients):
            client = WebSocketClient(
                self.app, self.scenario.path, self.lifespan.state, headers=self.scenario.headers
            )
            clients.append(client)
            await client.connect()
        return clients

    async def _close_room(self, clients: list[WebSocketClient]) -> BaseException | None:
        """Disconnect every client; return the first error an app task ended with."""
        errors = [await client.close() for client in clients]
        return next((error for error in errors if error is not None), None)

    async def _verify_broadcast(self) -> list[str]:
        """Three messages from the first connection: every connection gets each one."""
        problems: list[str] = []
        clients = await self._open_room()
        try:
            for index in range(3):
                sent = ws_message(self.scenario, index)
                for number, client in enumerate(clients):
                    reply = await client.echo_reply(None if number else sent)
                    if not ws_echo_matches(self.scenario, sent, reply):
                        problems.append(f"client {number}: expected {sent!r}, got {dict(reply)!r}")
        finally:
            error = await self._close_room(clients)
        if error is not None and not problems:
            problems.append(f"the app failed after disconnect: {error!r}")
        return problems

    async def _verify_connection(self, index: int) -> list[str]:
        """One whole connection: the accept (its headers and subprotocol), the app's
        greeting if any, one message, the app's reply, then the app's own close (its code
        and reason); the app must end cleanly."""
        scenario = self.scenario
        client = self._client()
        problems: list[str] = []
        try:
            accept = await client.connect()
            problems.extend(_accept_problems(scenario, accept))
            if scenario.ws_greeting:
                greeting = await client.echo_reply(None)
                if not ws_echo_matches(scenario, scenario.ws_greeting, greeting):
                    problems.append(f"expected {scenario.ws_greeting!r}, got {dict(greeting)!r}")
            sent = ws_message(scenario, index)
            reply = await client.echo_reply(sent)
            expected = scenario.ws_reply_prefix + str(sent)
            if not ws_echo_matches(scenario, expected, reply):
                problems.append(f"sent {sent!r}, expected {expected!r}, got {dict(reply)!r}")
            close = await client.echo_reply(None)
            code, reason = scenario.ws_close
            if (
                close.get("type") != "websocket.close"
                or close.get("code", 1000) != code
                or (close.get("reason") or "") != reason
            ):
                problems.append(
                    f"expected the app's websocket.close {code} {reason!r}, got {dict(close)!r}"
                )
        finally:
            error = await client.close()
        if error is not None and not problems:
            problems.append(f"the app failed after its close: {error!r}")
        return problems

    async def run(self, count: int) -> int:
        """Time ``count`` iterations; return elapsed nanoseconds."""
        if self.scenario.kind == "ws" and self.scenario.ws_clients > 1:
            clients = await self._open_room()
            try:
                return await time_broadcasts(clients, ws_message(self.scenario), count)
            finally:
                await self._close_room(clients)
        if self.scenario.kind == "ws":
            client = self._client()
            await client.connect()
            try:
                message = ws_message(self.scenario)
                return await client.time_echoes(message, count, self.scenario.ws_replies)
            finally:
                await client.close()
        if self.scenario.kind == "ws_connect":
            message = ws_message(self.scenario)
            return await time_connections(
                self.app,
                self.scenario.path,
                self.lifespan.state,
                message,
                count,
                self.scenario.headers,
                self.scenario.ws_subprotocols,
                self.scenario.query,
                1 if self.scenario.ws_greeting else 0,
            )
        return await time_requests(self.app, self.scope, self.scenario.body, count)

    async def calibrate(self, settings: Settings) -> int:
        """Warm up for ``warmup_s`` and size a batch to last about ``batch_s``."""
        if settings.fixed_count > 0:
            await self.run(settings.fixed_count)
            return settings.fixed_count
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.warmup_s
        count, elapsed = 1, 0
        while loop.time() < deadline or elapsed < 20_000_000:
            elapsed = await self.run(count)
            if elapsed < 20_000_000:
                count *= 2
        per_iteration_ns = elapsed / count
        return max(1, int(settings.batch_s * 1e9 / per_iteration_ns))

    async def time_round(self, count: int, batches: int) -> list[float]:
        """Time ``batches`` batches of ``count``; return µs per iteration of each."""
        gc.collect()
        return [await self.run(count) / count / 1000 for _ in range(batches)]


def _accept_problems(scenario: Scenario, accept: Any) -> list[str]:
    """What is wrong with a connection's ``websocket.accept``: a header or the subprotocol
    the scenario expects missing."""
    problems: list[str] = []
    headers = {bytes(k).lower(): bytes(v) for k, v in accept.get("headers", [])}
    for name, value in scenario.ws_accept_headers:
        if headers.get(name.lower().encode()) != value.encode():
            problems.append(f"accept headers {headers!r} lack {name}: {value}")
    if scenario.ws_subprotocols and accept.get("subprotocol") != scenario.ws_subprotocol:
        problems.append(
            f"accepted subprotocol {accept.get('subprotocol')!r}, "
            f"expected {scenario.ws_subprotocol!r}"
        )
    return problems


def private_stdout() -> IO[str]:
    """Keep a private handle on stdout for the protocol and point fd 1 at stderr."""
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


def describe(error: BaseException) -> dict[str, Any]:
    """An error as a short message plus the traceback."""
    short = f"{type(error).__name__}: {error}"
    if isinstance(error, DriverError | VerificationError):  # our own checks: the message says it
        short = str(error)
    if isinstance(error, ModuleNotFoundError | ImportError):
        short = f"cannot import the app: {short}"
    return {"error": short, "detail": "".join(traceback.format_exception(error))}


def main(framework: str, scenario_name: str, settings_json: str) -> int:
    """Worker entry point; returns the process exit code."""
    out = private_stdout()
    settings = Settings.from_json(settings_json)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        target = Target(load_app(framework), BY_NAME[scenario_name])
        loop.run_until_complete(target.start())
        loop.run_until_complete(target.verify())
    except Exception as error:
        print(json.dumps(describe(error)), file=out)
        return 1
    print(json.dumps({"ready": True}), file=out)
    return answer_commands(target, loop, settings, out)


def verify_all(framework: str, names: str, count: int) -> int:
    """Smoke check: every scenario in ``names`` (comma-separated) on one app, in this one
    process: verify, serve ``count`` requests, verify again. One JSON line per scenario,
    ``{"scenario": name}`` plus ``"error"``/``"detail"`` if it failed; exit code 1 if the
    app could not even start."""
    out = private_stdout()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        app = load_app(framework)
        lifespan = Lifespan(app)
        loop.run_until_complete(lifespan.startup())
    except Exception as error:
        print(json.dumps(describe(error)), file=out)
        return 1
    for name in names.split(","):
        target = Target(app, BY_NAME[name], lifespan)
        reply: dict[str, Any] = {"scenario": name}
        try:
            loop.run_until_complete(target.start())
            loop.run_until_complete(target.verify())
            loop.run_until_complete(target.run(count))
            loop.run_until_complete(target.verify())
        except Exception as error:
            reply.update(describe(error))
        print(json.dumps(reply), file=out)
    try:
        loop.run_until_complete(lifespan.shutdown())
    except Exception as error:
        print(json.dumps(describe(error)), file=out)
        return 1
    return 0


def answer_commands(
    target: Target, loop: asyncio.AbstractEventLoop, settings: Settings, out: IO[str]
) -> int:
    """Answer ``round`` commands until ``quit`` (or EOF); return the exit code.

    The first round warms up and calibrates first, so that happens while no other
    worker is busy (workers start in parallel but rounds run one at a time).
    """
    count = 0
    for line in sys.stdin:
        try:
            if line.strip() == "round":
                if count == 0:
                    count = loop.run_until_complete(target.calibrate(settings))
                batch_us = loop.run_until_complete(target.time_round(count, settings.batches))
                print(json.dumps({"us": batch_us, "count": count}), file=out)
                continue
            loop.run_until_complete(target.verify())
            loop.run_until_complete(target.lifespan.shutdown())
        except Exception as error:
            print(json.dumps(describe(error)), file=out)
            return 1
        break
    print(json.dumps({"done": True}), file=out)
    return 0
