"""The supervisor's restart back-off: doubling within a minute, capped, then reset."""

from __future__ import annotations

from erlen.plugins.serving.supervisor import Backoff


def test_restarts_back_off_and_recover() -> None:
    backoff = Backoff(first=0.5, longest=30.0, window=60.0)
    delays = [backoff.next_delay(now=float(i)) for i in range(9)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    # A minute without restarts: a crash is treated as a first one again.
    assert backoff.next_delay(now=8.0 + 61.0) == 0.5
