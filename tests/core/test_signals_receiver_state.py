"""``receiver_state``: the request path tests one flag while no signal has a receiver.

Connecting a receiver to any signal, at any time (even after the app served requests),
must make it fire, and a disconnected one must not. Whether the flag is down depends on
every app in the process (the examples connect receivers), so these tests assert what a
receiver sees.
"""

from __future__ import annotations

import gc
from typing import Any

from erlen import Erlen, request_finished, request_started
from erlen.signals import receiver_state


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "ok"

    return app


async def test_receiver_connected_after_first_request_fires_and_flag_drops_after() -> None:
    app = make_app()
    client = app.test_client()
    await client.get("/")
    seen: list[str] = []

    def started(sender: Any, **extra: Any) -> None:
        seen.append("started")

    request_started.connect(started, app, weak=False)
    assert receiver_state.connected
    await client.get("/")
    request_started.disconnect(started, app)  # blinker keeps it listed, for no sender
    await client.get("/")
    assert seen == ["started"]
    request_started.disconnect(started)  # from every sender: gone
    assert started not in request_started.receivers.values()


async def test_connected_to_context_manager_scopes_the_receiver() -> None:
    app = make_app()
    client = app.test_client()
    statuses: list[int] = []

    def finished(sender: Any, response: Any, **extra: Any) -> None:
        statuses.append(response.status_code)

    with request_finished.connected_to(finished, app):
        assert (await client.get("/")).status_code == 200
    await client.get("/")
    assert statuses == [200]


async def test_weak_receiver_collected_is_forgotten() -> None:
    def make_receiver() -> Any:
        def receiver(sender: Any, **extra: Any) -> None:
            pass

        return receiver

    before = len(request_started.receivers)
    request_started.connect(make_receiver())  # weak reference: gone at once
    gc.collect()
    assert len(request_started.receivers) == before
    response = await make_app().test_client().get("/")
    assert await response.get_data(as_text=True) == "ok"
