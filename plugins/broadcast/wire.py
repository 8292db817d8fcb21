"""The bytes a backend carries: one ASCII header line, then the payload as published.

``E1`` (format version 1), the payload kind (``j``/``t``/``b``), a space, the sender
subscription id (empty when the publish excluded nobody), ``\\n``, then the payload.
A receiver drops a message whose header it does not know (logged once per process), so
a rolling upgrade that changes the format loses messages visibly, never garbles them.
"""

from __future__ import annotations

import logging

from .events import KIND_BYTES, KIND_JSON, KIND_TEXT

logger = logging.getLogger("erlen.broadcast")

VERSION = b"E1"
_KINDS = {KIND_JSON, KIND_TEXT, KIND_BYTES}
_warned = False


def encode(kind: str, sender: str | None, payload: bytes) -> bytes:
    """The wire bytes of one message."""
    head = VERSION + kind.encode("ascii") + b" " + (sender.encode("ascii") if sender else b"")
    return head + b"\n" + payload


def decode(raw: bytes) -> tuple[str, str | None, bytes] | None:
    """``(kind, sender, payload)``, or None for a header this version does not know."""
    end = raw.find(b"\n", 0, 80)
    if end < 4 or raw[:2] != VERSION or raw[3:4] != b" ":
        _unknown(raw)
        return None
    kind = chr(raw[2])
    if kind not in _KINDS:
        _unknown(raw)
        return None
    sender = raw[4:end].decode("ascii", "replace") or None
    return kind, sender, raw[end + 1 :]


def _unknown(raw: bytes) -> None:
    global _warned
    if not _warned:
        _warned = True
        logger.warning(
            "Dropped a broadcast message in an unknown format (header %r): is another"
            " version of Erlen, or another program, publishing with the same"
            " BROADCAST_PREFIX? Further such messages are dropped silently.",
            raw[:20],
        )
