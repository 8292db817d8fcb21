"""``kernel run --workers 2`` with Redis: clients held on two different worker processes
talk both ways, in order, losing nothing; the example chat the same way; and the chat
through a Redis that is killed (-9) and restarted mid-chat."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
TIMEOUT = 15.0
MAX_CONNECTIONS = 200
CLEAN_EXIT_BANNED = ("Task was destroyed", "Unclosed", "unclosed", "Traceback")


def receive(conn: ClientConnection, timeout: float = TIMEOUT) -> Any:
    return json.loads(conn.recv(timeout=timeout))


def receive_until(conn: ClientConnection, accept: Callable[[Any], bool], limit: int = 1000) -> Any:
    """The first message ``accept`` takes, skipping others (at most ``limit``)."""
    for _ in range(limit):
        data = receive(conn)
        if accept(data):
            return data
    raise AssertionError(f"nothing acceptable in {limit} messages")


@contextmanager
def clients_on_two_workers(url: str, pid_of: Callable[[Any], int]) -> Iterator[list[Any]]:
    """Connect one by one until two clients are held by different worker processes
    (the workers share one accept socket, so a few tries do it); close the others."""
    with ExitStack() as stack:
        held: dict[int, ClientConnection] = {}
        seen: Counter[int] = Counter()
        for _ in range(MAX_CONNECTIONS):
            conn = stack.enter_context(connect(url, open_timeout=TIMEOUT, close_timeout=TIMEOUT))
            pid = pid_of(receive(conn))
            seen[pid] += 1
            if pid in held:
                conn.close()
                continue
            held[pid] = conn
            if len(held) == 2:
                yield list(held.values())
                return
        raise AssertionError(f"one worker took every connection: {dict(seen)}")


def served_app(serve: Any, redis_url: str, workers: int = 2) -> Any:
    process = serve(
        ["--app", "served_app:app", "run", "--host", "127.0.0.1", "--port", "0"]
        + ["--workers", str(workers)],
        HERE,
        {
            "BROADCAST_URL": redis_url,
            "SERVED_BROADCAST_PREFIX": f"workers-{uuid.uuid4().hex[:8]}:",
            "PYTHONUNBUFFERED": "1",
        },
    )
    return process


@contextmanager
def shown_on_failure(process: Any) -> Iterator[None]:
    """Print the server's output if the block fails (pytest shows it)."""
    try:
        yield
    except BaseException:
        print(process.text)
        raise


def assert_clean_stop(process: Any) -> None:
    assert process.stop() == 0, process.text
    for banned in CLEAN_EXIT_BANNED:
        assert banned not in process.text, process.text


def test_two_workers_exchange_400_messages_in_order(serve: Any, redis_url: str) -> None:
    process = served_app(serve, redis_url)
    url = process.url().replace("http://", "ws://") + "/ws"
    with clients_on_two_workers(url, lambda hello: hello["pid"]) as (ann, bob):
        with (
            clients_on_two_workers(url, lambda hello: hello["pid"]) as (watch_1, watch_2),
        ):
            for n in range(200):
                ann.send(f"ann {n}")
                bob.send(f"bob {n}")
            # exclude=conn holds across workers: each sender gets only the other's.
            assert [ann.recv(timeout=TIMEOUT) for _ in range(200)] == [
                f"bob {n}" for n in range(200)
            ]
            assert [bob.recv(timeout=TIMEOUT) for _ in range(200)] == [
                f"ann {n}" for n in range(200)
            ]
            # Watchers on both workers see all 400, in one and the same order.
            seen_1 = [watch_1.recv(timeout=TIMEOUT) for _ in range(400)]
            seen_2 = [watch_2.recv(timeout=TIMEOUT) for _ in range(400)]
            assert seen_1 == seen_2
            assert [m for m in seen_1 if m.startswith("ann")] == [f"ann {n}" for n in range(200)]
            assert [m for m in seen_1 if m.startswith("bob")] == [f"bob {n}" for n in range(200)]
    assert_clean_stop(process)


def chat_process(serve: Any, redis_url: str) -> Any:
    return serve(
        ["--app", "examples.chat:app", "run", "--host", "127.0.0.1", "--port", "0"]
        + ["--workers", "2"],
        ROOT,
        {"BROADCAST_URL": redis_url, "CHAT_SHOW_WORKER": "1", "PYTHONUNBUFFERED": "1"},
    )


def is_message(data: Any) -> bool:
    return data.get("type") == "message"


def chat_messages(conn: ClientConnection, count: int) -> list[str]:
    return [receive_until(conn, is_message)["message"] for _ in range(count)]


def test_example_chat_across_two_workers(serve: Any, redis_url: str) -> None:
    process = chat_process(serve, redis_url)
    url = process.url().replace("http://", "ws://") + "/ws"
    with clients_on_two_workers(url, lambda greeting: greeting["worker"]) as (ann, bob):
        for n in range(200):
            ann.send(json.dumps({"user": "ann", "message": f"a{n}"}))
            bob.send(json.dumps({"user": "bob", "message": f"b{n}"}))
        assert chat_messages(bob, 200) == [f"a{n}" for n in range(200)]
        assert chat_messages(ann, 200) == [f"b{n}" for n in range(200)]
    assert_clean_stop(process)


def test_chat_survives_redis_killed_and_restarted(serve: Any, redis_factory: Any) -> None:
    server = redis_factory()
    process = chat_process(serve, server.url)
    url = process.url().replace("http://", "ws://") + "/ws"
    with (
        shown_on_failure(process),
        clients_on_two_workers(url, lambda greeting: greeting["worker"]) as (ann, bob),
    ):
        ann.send(json.dumps({"user": "ann", "message": "before"}))
        assert chat_messages(bob, 1) == ["before"]

        server.kill()
        ann.send(json.dumps({"user": "ann", "message": "while down"}))
        error = receive_until(ann, lambda data: data.get("type") == "error")
        assert error["message"] == "Not delivered: the chat is reconnecting"

        redis_factory(port=server.port)  # the same address, empty: nothing survived
        for conn in (ann, bob):
            gap = receive_until(conn, lambda data: data.get("type") == "gap")
            assert (gap["channel"], gap["reason"], gap["missed"]) == ("chat", "reconnect", None)
            assert "some messages may be missing" in gap["message"]

        ann.send(json.dumps({"user": "ann", "message": "after"}))
        bob.send(json.dumps({"user": "bob", "message": "back too"}))
        assert chat_messages(bob, 1) == ["after"]
        assert chat_messages(ann, 1) == ["back too"]
    assert_clean_stop(process)
    assert "Lost the connection to the broadcast broker" in process.text
    assert "Reconnected to the broadcast broker" in process.text
