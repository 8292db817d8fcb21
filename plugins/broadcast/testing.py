"""``BackendConformance``: the behaviour every broadcast backend must show.

Subclass it in a test module and provide the ``broadcast_url`` fixture::

    class TestMyBackend(BackendConformance):
        @pytest.fixture
        def broadcast_url(self) -> str:
            return "postgres://localhost/test"

pytest collects the subclass like any test class. Every test makes its own hubs with a
fresh ``BROADCAST_PREFIX``, so tests sharing one broker do not see each other. Waits are
bounded (``TIMEOUT`` seconds); nothing asserts on time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from .events import BroadcastClosed, Gap, Message, MessageTooLarge, SubscriberTooSlow
from .hub import Broadcast, Subscription

#: Longest wait for one event, in seconds (a failing test fails; a passing one is fast).
TIMEOUT = 10.0


async def next_event(sub: Subscription, timeout: float = TIMEOUT) -> Message | Gap:
    """The next event of ``sub``, or AssertionError after ``timeout`` seconds."""
    try:
        return await asyncio.wait_for(sub.__anext__(), timeout)
    except TimeoutError:
        raise AssertionError(f"no event on {sub.channel!r} within {timeout} s") from None


async def next_message(sub: Subscription, timeout: float = TIMEOUT) -> Message:
    """The next event of ``sub``, which must be a message."""
    event = await next_event(sub, timeout)
    assert isinstance(event, Message), event
    return event


@dataclasses.dataclass
class Point:
    x: int
    at: datetime.datetime


class BackendConformance:
    """Behaviour tests for a broadcast backend, run through :class:`Broadcast`."""

    @pytest.fixture
    def broadcast_url(self) -> str:
        raise NotImplementedError("define a broadcast_url fixture returning the URL")

    @pytest.fixture
    async def make_hub(self, broadcast_url: str) -> AsyncIterator[Any]:
        prefix = f"test-{uuid.uuid4().hex[:12]}:"
        hubs: list[Broadcast] = []

        async def make(**config: Any) -> Broadcast:
            hub = Broadcast(broadcast_url, config={"BROADCAST_PREFIX": prefix, **config})
            await hub.start()
            hubs.append(hub)
            return hub

        yield make
        for hub in hubs:
            await hub.close()

    async def test_publish_reaches_a_subscriber_in_each_kind(self, make_hub: Any) -> None:
        hub = await make_hub()
        async with hub.subscribe("room") as sub:
            await hub.publish("room", {"user": "ann", "text": "hi ✓"})
            await hub.publish("room", "plain ✓")
            await hub.publish("room", b"\x00\xffbin")
            first, second, third = [await next_message(sub) for _ in range(3)]
        assert (first.data, first.kind, first.text) == (
            {"user": "ann", "text": "hi ✓"},
            "j",
            '{"user":"ann","text":"hi ✓"}',
        )
        assert (second.data, second.kind, second.text) == ("plain ✓", "t", "plain ✓")
        assert (third.data, third.kind, third.raw) == (b"\x00\xffbin", "b", b"\x00\xffbin")
        assert first.channel == "room" and first.sender is None

    async def test_hubs_reach_each_other(self, make_hub: Any) -> None:
        """Two hubs on one URL stand for two processes. A process-local backend
        (``shared = False``, like memory://) must keep them apart instead."""
        one = await make_hub()
        two = await make_hub()
        async with one.subscribe("room") as sub_one, two.subscribe("room") as sub_two:
            await two.publish("room", {"n": 1})
            await one.publish("room", {"n": 2})
            if one.backend.shared:
                assert [(await next_message(sub_one)).data["n"] for _ in range(2)] == [1, 2]
                assert [(await next_message(sub_two)).data["n"] for _ in range(2)] == [1, 2]
            else:
                assert (await next_message(sub_one)).data["n"] == 2
                assert (await next_message(sub_two)).data["n"] == 1

    async def test_order_of_one_publisher_is_kept(self, make_hub: Any) -> None:
        hub = await make_hub()
        async with hub.subscribe("room") as sub:
            for n in range(200):
                await hub.publish("room", {"n": n})
            got = [(await next_message(sub)).data["n"] for _ in range(200)]
        assert got == list(range(200))

    async def test_concurrent_publishes_all_arrive_in_call_order(self, make_hub: Any) -> None:
        hub = await make_hub()
        async with hub.subscribe("room") as sub:
            await asyncio.gather(*(hub.publish("room", n) for n in range(200)))
            got = [(await next_message(sub)).data for _ in range(200)]
        assert got == list(range(200))

    async def test_channels_are_separate_and_case_sensitive(self, make_hub: Any) -> None:
        hub = await make_hub()
        async with hub.subscribe("room") as lower, hub.subscribe("Room") as upper:
            await hub.publish("Room", "upper")
            await hub.publish("other", "nobody")
            await hub.publish("room", "lower")
            assert (await next_message(lower)).data == "lower"
            assert (await next_message(upper)).data == "upper"

    async def test_every_subscriber_gets_every_message(self, make_hub: Any) -> None:
        hub = await make_hub()
        async with hub.subscribe("room") as a, hub.subscribe("room") as b:
            await hub.publish("room", [1, 2])
            got_a, got_b = await next_message(a), await next_message(b)
        assert got_a.data == got_b.data == [1, 2]
        assert got_a is got_b  # one decoded message per process, shared

    async def test_exclude_skips_one_subscription(self, make_hub: Any) -> None:
        hub = await make_hub()
        async with hub.subscribe("room") as me, hub.subscribe("room") as other:
            await hub.publish("room", "not for me", exclude=me)
            await hub.publish("room", "for all")
            assert (await next_message(other)).data == "not for me"
            assert (await next_message(other)).data == "for all"
            assert (await next_message(me)).data == "for all"

    async def test_json_goes_through_the_provider(self, make_hub: Any) -> None:
        hub = await make_hub()
        when = datetime.datetime(2026, 12, 6, 18, 0, tzinfo=datetime.UTC)
        async with hub.subscribe("room") as sub:
            await hub.publish("room", Point(3, when))
            message = await next_message(sub)
        assert message.data == {"x": 3, "at": "2026-12-06T18:00:00Z"}

    async def test_too_large_a_message_is_refused(self, make_hub: Any) -> None:
        hub = await make_hub(BROADCAST_MAX_MESSAGE_SIZE=100)
        with pytest.raises(MessageTooLarge, match="BROADCAST_MAX_MESSAGE_SIZE"):
            await hub.publish("room", "x" * 101)
        with pytest.raises(ValueError):  # MessageTooLarge is a ValueError too
            await hub.publish("room", b"x" * 101)
        async with hub.subscribe("room") as sub:
            await hub.publish("room", "x" * 100)
            assert (await next_message(sub)).data == "x" * 100

    async def test_bad_channel_names_are_refused(self, make_hub: Any) -> None:
        hub = await make_hub()
        for bad in ("", "x" * 201, "a\nb", 42):
            with pytest.raises(ValueError, match="channel"):
                await hub.publish(bad, "x")
            with pytest.raises(ValueError, match="channel"):
                hub.subscribe(bad)

    async def test_overflow_drops_the_oldest_and_counts_them_in_a_gap(self, make_hub: Any) -> None:
        hub = await make_hub(BROADCAST_QUEUE_SIZE=4)
        async with hub.subscribe("room") as slow, hub.subscribe("done") as done:
            for n in range(10):
                await hub.publish("room", n)
            await hub.publish("done", "end")  # arrives after the ten: same connection
            assert (await next_message(done)).data == "end"
            first = await next_event(slow)
            rest = [(await next_message(slow)).data for _ in range(4)]
        assert first == Gap("room", "overflow", 6)
        assert rest == [6, 7, 8, 9]
        assert hub.stats()["dropped"] == 6

    async def test_overflow_disconnect_ends_the_subscription(self, make_hub: Any) -> None:
        hub = await make_hub(BROADCAST_QUEUE_SIZE=2, BROADCAST_OVERFLOW="disconnect")
        async with hub.subscribe("room") as slow, hub.subscribe("done") as done:
            for n in range(3):
                await hub.publish("room", n)
            await hub.publish("done", "end")
            await next_message(done)
            with pytest.raises(SubscriberTooSlow):
                await next_event(slow)

    async def test_close_ends_iteration_then_publish_raises(self, make_hub: Any) -> None:
        hub = await make_hub()
        async with hub.subscribe("room") as sub:
            got: list[Any] = []
            arrived = asyncio.Event()

            async def read() -> None:
                async for event in sub:
                    got.append(event)
                    arrived.set()

            reader = asyncio.ensure_future(read())
            await hub.publish("room", "last")
            # A broker delivers after publish() returns: close once the message is in.
            await asyncio.wait_for(arrived.wait(), TIMEOUT)
            await hub.close()
            await asyncio.wait_for(reader, TIMEOUT)
        assert [event.data for event in got] == ["last"]
        with pytest.raises(BroadcastClosed):
            await hub.publish("room", "late")
        with pytest.raises(BroadcastClosed):
            async with hub.subscribe("room"):
                pass

    async def test_subscribe_leave_cycles_leave_nothing_behind(self, make_hub: Any) -> None:
        hub = await make_hub()
        for n in range(300):
            async with hub.subscribe(f"room-{n % 7}"):
                pass
        async with hub.subscribe("room") as sub:
            await hub.publish("room", "still works")
            assert (await next_message(sub)).data == "still works"
        stats = hub.stats()
        assert (stats["channels"], stats["subscriptions"]) == (0, 0)

    async def test_churn_does_not_disturb_steady_subscribers(self, make_hub: Any) -> None:
        """channels#1683: others joining and leaving make no steady subscriber miss one."""
        hub = await make_hub()
        stop = asyncio.Event()

        async def churn() -> None:
            while not stop.is_set():
                async with hub.subscribe("room"):
                    await asyncio.sleep(0)

        async with (
            hub.subscribe("room") as a,
            hub.subscribe("room") as b,
            hub.subscribe("room") as c,
        ):
            churners = [asyncio.ensure_future(churn()) for _ in range(4)]
            try:
                for n in range(150):
                    await hub.publish("room", n)
                    if n % 10 == 0:
                        await asyncio.sleep(0)
                for sub in (a, b, c):
                    assert [(await next_message(sub)).data for _ in range(150)] == list(range(150))
            finally:
                stop.set()
                await asyncio.gather(*churners)
