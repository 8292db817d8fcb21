"""The headers of the responses the kernel builds on its fast path.

``response.headers[name] = value`` is the usual way an ``after_request`` function adds a
header. werkzeug's ``Headers`` runs it through three Python calls (``__setitem__``,
``set``, the value check); for a new header with a ``str`` name and value this class
does the same in one.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from werkzeug.datastructures import Headers

_MAX_LOWER_NAMES = 512


class _LowerNames(dict):  # type: ignore[type-arg]
    """Header name -> its lowercase: a response repeats a few names, so a name is lowered
    once and then found by dict's own ``__getitem__`` (no Python call per name)."""

    def __missing__(self, name: str) -> str:
        lower = name.lower()
        if len(self) >= _MAX_LOWER_NAMES:
            self.clear()
        self[name] = lower
        return lower


#: ``lower_name("Content-Type") == "content-type"``, remembered (names must be ``str``).
lower_name = _LowerNames().__getitem__
#: The name of a ``(name, value)`` header item.
name_of = itemgetter(0)
_name_of = name_of


def has_header(items: list[tuple[str, str]], lower: str) -> bool:
    """Whether the header list ``items`` (a ``Headers._list``) has a header whose name is
    ``lower`` in any case; the names are searched without a Python call per name."""
    return lower in map(lower_name, map(name_of, items))


class ResponseHeaders(Headers):
    """werkzeug ``Headers`` with a one-call ``headers[name] = "value"`` for a new header.

    Same results as ``Headers`` for every input: a header already present, a value with a
    newline (refused with werkzeug's ``ValueError``) or any other non-printable character
    and anything but a ``str`` name and value take werkzeug's path; it compares equal to a
    ``Headers`` with the same items.
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        # The common case, a header not yet there: append it. isprintable() excludes CR
        # and LF (werkzeug refuses them); werkzeug compares names by lower(). Anything
        # else (a header already there, other types) takes werkzeug's path.
        if (
            type(key) is str
            and type(value) is str
            and value.isprintable()
            and lower_name(key) not in map(lower_name, map(_name_of, self._list))
        ):
            self._list.append((key, value))
            return
        super().__setitem__(key, value)

    def __eq__(self, other: object) -> bool:
        # werkzeug compares only headers of the very same class: keep `==` with a plain
        # Headers (e.g. `response.headers == Headers([...])`) as it was.
        if not isinstance(other, Headers):
            return NotImplemented

        def lowered(item: tuple[str, ...]) -> tuple[str, ...]:
            return item[0].lower(), *item[1:]

        return set(map(lowered, other._list)) == set(map(lowered, self._list))

    __hash__ = None  # type: ignore[assignment]
