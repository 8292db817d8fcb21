"""Broadcast benchmarks: the ``broadcast`` plugin against its anchors, in one run.

    python bench/broadcast.py                   # all three, ~1 minute on 2 cores
    python bench/broadcast.py --only fanout     # fanout | latency | throughput
    python bench/broadcast.py --redis-url redis://127.0.0.1:6379/0   # else a private server

- fanout: 1,000 subscribers in one process, each in an ``async for`` loop; 2,048 messages
  published in bursts of 64, the publisher waiting after each burst until every subscriber
  has it. Erlen's ``memory://`` hub against Litestar's ``MemoryChannelsBackend``
  (``wait_published``/``iter_events``). Deliveries per second, best of ``--rounds``
  interleaved rounds.
- latency: a publisher process stamps ``time.monotonic_ns()`` into each ~120-byte JSON
  message and publishes 1,000 per second through Redis; a subscriber process computes the
  one-way latency. Erlen hub to Erlen hub against raw redis-py (``PUBLISH`` and
  ``get_message(timeout=None)``), runs interleaved; p50 and p99 in µs.
- throughput: 1,000 concurrent publisher tasks in one process publish 50 messages each
  through Redis. Erlen's hub (one pipelining writer) against 1,000 concurrent
  ``client.publish()`` through redis-py's own pool; messages per second and errors.

Needs the ``bench`` extra (redis, litestar) and a ``redis-server`` binary (unless
``--redis-url``). Seconds on a shared machine are noisy: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import msgspec

FANOUT_SUBSCRIBERS = 1000
FANOUT_MESSAGES = 2048
FANOUT_BURST = 64
LATENCY_MESSAGES = 3000
LATENCY_WARMUP = 200
LATENCY_RATE = 1000  # messages per second
PUBLISHERS = 1000
PER_PUBLISHER = 50
PAYLOAD = {"type": "message", "user": "someone", "message": "x" * 60, "t": 0}


# --- fan-out ---------------------------------------------------------------------------


async def fanout_erlen() -> float:
    from erlen.plugins.broadcast import Broadcast

    hub = Broadcast("memory://")
    await hub.start()
    counter = _Counter()
    ready = asyncio.Event()
    entered = 0

    async def subscriber() -> None:
        nonlocal entered
        async with hub.subscribe("room") as sub:
            entered += 1
            if entered == FANOUT_SUBSCRIBERS:
                ready.set()
            async for _event in sub:
                counter.hit()

    tasks = [asyncio.ensure_future(subscriber()) for _ in range(FANOUT_SUBSCRIBERS)]
    await ready.wait()

    async def publish(data: Any) -> None:
        await hub.publish("room", data)

    elapsed = await _drive(publish, counter)
    await hub.close()
    await asyncio.gather(*tasks)
    return elapsed


async def fanout_litestar() -> float:
    from litestar.channels import ChannelsPlugin
    from litestar.channels.backends.memory import MemoryChannelsBackend

    plugin = ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True)
    counter = _Counter()
    async with plugin:
        subscribers = [await plugin.subscribe("room") for _ in range(FANOUT_SUBSCRIBERS)]

        async def consume(sub: Any) -> None:
            async for _event in sub.iter_events():
                counter.hit()

        tasks = [asyncio.ensure_future(consume(sub)) for sub in subscribers]

        async def publish(data: Any) -> None:
            await plugin.wait_published(data, "room")

        elapsed = await _drive(publish, counter)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sub in subscribers:
            await plugin.unsubscribe(sub)
    return elapsed


class _Counter:
    __slots__ = ("count", "event", "target")

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.event = asyncio.Event()

    def hit(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.event.set()


async def _drive(publish: Any, counter: _Counter) -> float:
    started = time.perf_counter()
    for burst in range(FANOUT_MESSAGES // FANOUT_BURST):
        counter.event.clear()
        counter.target = (burst + 1) * FANOUT_BURST * FANOUT_SUBSCRIBERS
        for n in range(FANOUT_BURST):
            await publish({"n": n, "text": "hello"})
        await asyncio.wait_for(counter.event.wait(), 60)
    return time.perf_counter() - started


def bench_fanout(rounds: int) -> None:
    runs: dict[str, list[float]] = {"erlen memory://": [], "litestar MemoryChannelsBackend": []}
    for _ in range(rounds):
        runs["erlen memory://"].append(asyncio.run(fanout_erlen()))
        runs["litestar MemoryChannelsBackend"].append(asyncio.run(fanout_litestar()))
    deliveries = FANOUT_MESSAGES * FANOUT_SUBSCRIBERS
    print(f"\nfan-out: {FANOUT_SUBSCRIBERS} subscribers, {FANOUT_MESSAGES} messages in bursts of")
    print(f"{FANOUT_BURST}, best of {rounds} interleaved rounds")
    print("| implementation | msg/s | deliveries/s | µs per delivery |")
    print("|---|---|---|---|")
    best = {name: min(times) for name, times in runs.items()}
    for name, seconds in best.items():
        print(
            f"| {name} | {FANOUT_MESSAGES / seconds:,.0f} | {deliveries / seconds / 1e6:.2f} M"
            f" | {seconds / deliveries * 1e6:.3f} |"
        )
    ratio = best["litestar MemoryChannelsBackend"] / best["erlen memory://"]
    print(f"Erlen / Litestar: {ratio:.2f}x (target >= 2.5x)")


# --- latency ---------------------------------------------------------------------------


def _latency_subscriber(mode: str, url: str, channel: str, conn: Any) -> None:
    asyncio.run(_latency_subscribe(mode, url, channel, conn))


async def _latency_subscribe(mode: str, url: str, channel: str, conn: Any) -> None:
    total = LATENCY_WARMUP + LATENCY_MESSAGES
    latencies: list[int] = []
    decode = msgspec.json.Decoder().decode
    if mode == "raw":
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(url, protocol=2)
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        while (await pubsub.get_message(timeout=5)) is None:  # the confirmation
            pass
        conn.send("ready")
        while len(latencies) < total:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is None:
                continue
            now = time.monotonic_ns()
            latencies.append(now - decode(message["data"])["t"])
        await pubsub.aclose()
        await client.aclose()
    else:
        from erlen.plugins.broadcast import Broadcast, Message

        async with Broadcast(url) as hub, hub.subscribe(channel) as sub:
            conn.send("ready")
            async for event in sub:
                if isinstance(event, Message):
                    now = time.monotonic_ns()
                    latencies.append(now - event.data["t"])
                    if len(latencies) == total:
                        break
    conn.send(latencies[LATENCY_WARMUP:])


async def _latency_publish(mode: str, url: str, channel: str) -> None:
    encode = msgspec.json.Encoder().encode
    interval = 1 / LATENCY_RATE
    if mode == "raw":
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(url, protocol=2)

        async def publish(data: dict[str, Any]) -> None:
            await client.publish(channel, encode(data))

    else:
        from erlen.plugins.broadcast import Broadcast

        hub = Broadcast(url)
        await hub.start()

        async def publish(data: dict[str, Any]) -> None:
            await hub.publish(channel, data)

    loop = asyncio.get_running_loop()
    start = loop.time()
    for n in range(LATENCY_WARMUP + LATENCY_MESSAGES):
        delay = start + n * interval - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await publish({**PAYLOAD, "t": time.monotonic_ns()})
    if mode == "raw":
        await client.aclose()
    else:
        await hub.close()


def latency_run(mode: str, url: str) -> list[int]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    # The hub prefixes channel names ("erlen:"); raw redis-py uses the name as it is.
    channel = "latency"
    process = ctx.Process(target=_latency_subscriber, args=(mode, url, channel, child))
    process.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("the subscriber did not start")
        assert parent.recv() == "ready"
        asyncio.run(_latency_publish(mode, url, channel))
        if not parent.poll(60):
            raise RuntimeError("the subscriber did not finish (messages lost?)")
        return parent.recv()  # type: ignore[no-any-return]
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()


def _quantile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def bench_latency(url: str, rounds: int) -> None:
    results: dict[str, list[tuple[float, float]]] = {"raw redis-py": [], "erlen hub": []}
    for _ in range(rounds):
        for name, mode in (("raw redis-py", "raw"), ("erlen hub", "erlen")):
            latencies = latency_run(mode, url)
            results[name].append((_quantile(latencies, 0.5), _quantile(latencies, 0.99)))
    print(f"\ncross-process latency through Redis: {LATENCY_MESSAGES} messages at")
    print(f"{LATENCY_RATE}/s, ~120-byte JSON, {rounds} interleaved runs each (µs)")
    print("| subscriber | p50 per run | p99 per run | median p50 | median p99 |")
    print("|---|---|---|---|---|")
    medians = {}
    for name, runs in results.items():
        p50 = statistics.median(r[0] for r in runs)
        p99 = statistics.median(r[1] for r in runs)
        medians[name] = (p50, p99)
        print(
            f"| {name} | {', '.join(f'{r[0]:.0f}' for r in runs)}"
            f" | {', '.join(f'{r[1]:.0f}' for r in runs)} | {p50:.0f} | {p99:.0f} |"
        )
    raw, erlen = medians["raw redis-py"], medians["erlen hub"]
    print(
        f"Erlen - raw p50: {erlen[0] - raw[0]:+.0f} µs (target <= +50);"
        f" Erlen / raw p99: {erlen[1] / raw[1]:.2f}x (target <= 1.5x)"
    )


# --- publish throughput ----------------------------------------------------------------


async def throughput_erlen(url: str) -> tuple[float, int]:
    from erlen.plugins.broadcast import Broadcast

    async with Broadcast(url) as hub:
        return await _publishers(lambda data: hub.publish("throughput", data))


async def throughput_raw(url: str) -> tuple[float, int]:
    import redis.asyncio as aioredis

    encode = msgspec.json.Encoder().encode
    client = aioredis.Redis.from_url(url, protocol=2)
    try:
        return await _publishers(lambda data: client.publish("throughput", encode(data)))
    finally:
        await client.aclose()


async def _publishers(publish: Any) -> tuple[float, int]:
    errors = 0

    async def publisher() -> None:
        nonlocal errors
        for _ in range(PER_PUBLISHER):
            try:
                await publish(PAYLOAD)
            except Exception:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(publisher() for _ in range(PUBLISHERS)))
    return time.perf_counter() - started, errors


def bench_throughput(url: str, rounds: int) -> None:
    total = PUBLISHERS * PER_PUBLISHER
    results: dict[str, list[tuple[float, int]]] = {"erlen hub": [], "raw redis-py pool": []}
    for _ in range(rounds):
        results["erlen hub"].append(asyncio.run(throughput_erlen(url)))
        results["raw redis-py pool"].append(asyncio.run(throughput_raw(url)))
    print(f"\npublish throughput: {PUBLISHERS} concurrent publishers x {PER_PUBLISHER} messages,")
    print(f"one process, best of {rounds} interleaved rounds")
    print("| publisher | msg/s (best) | errors (all rounds) |")
    print("|---|---|---|")
    for name, runs in results.items():
        best = min(seconds for seconds, _ in runs)
        print(f"| {name} | {total / best:,.0f} | {sum(e for _, e in runs)} |")
    print("target: >= 40,000 msg/s with no errors")


# --- a private redis-server ------------------------------------------------------------


class PrivateRedis:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server not found: apt-get install redis-server, or --redis-url")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="erlen-bench-redis-")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise SystemExit("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["fanout", "latency", "throughput"])
    parser.add_argument("--rounds", type=int, default=5, help="fan-out/throughput rounds")
    parser.add_argument("--latency-runs", type=int, default=3)
    parser.add_argument("--redis-url")
    args = parser.parse_args(argv)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {when}")
    if args.only in (None, "fanout"):
        bench_fanout(args.rounds)
    if args.only == "fanout":
        return 0
    server = None if args.redis_url else PrivateRedis()
    url = args.redis_url or server.url  # type: ignore[union-attr]
    try:
        if args.only in (None, "latency"):
            bench_latency(url, args.latency_runs)
        if args.only in (None, "throughput"):
            bench_throughput(url, args.rounds)
    finally:
        if server is not None:
            server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
