"""The headers of the responses the kernel builds on its fast path, and their encoding.

``response.headers[name] = value`` is the usual way an ``after_request`` function adds a
header. werkzeug's ``Headers`` runs it through three Python calls (``__setitem__``,
``set``, the value check); for a new header with a ``str`` name and value this class
does the same in one. :data:`encoded_pair` turns a header into ASGI bytes.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import Headers


class _EncodedPairs(dict):  # type: ignore[type-arg]
    """("Content-Type", "text/html; charset=utf-8") -> (b"content-type", b"text/html; ...").

    Most responses repeat a few header pairs. A miss encodes the pair (and keeps it, bounded:
    emptied when full); a hit is dict's own ``__getitem__``, so encoding a response's
    headers runs no Python code per header.
    """

    def __missing__(self, item: tuple[str, str]) -> tuple[bytes, bytes]:
        name, value = item
        pair = (name.lower().encode("latin-1"), value.encode("latin-1"))
        if len(value) <= _MAX_CACHED_VALUE:
            if len(self) >= _MAX_ENCODED_PAIRS:
                self.clear()
            self[item] = pair
        return pair


class _LengthItems(dict):  # type: ignore[type-arg]
    """1234 -> ("Content-Length", "1234"), one tuple per body size seen (bounded).

    A response built with it makes and hashes no string for the size, and the encoding of
    a size seen before is found by identity in :data:`encoded_pair`'s cache.
    """

    def __missing__(self, size: int) -> tuple[str, str]:
        item = ("Content-Length", str(size))
        if len(self) < _MAX_LENGTH_ITEMS:
            self[size] = item
        return item


_MAX_LENGTH_ITEMS = 1024  # ~150 KB when full; sizes past it get a new tuple
#: ``content_length_item(20)`` -> ``("Content-Length", "20")``, the header item of a body
#: of that many bytes.
content_length_item = _LengthItems().__getitem__


_ENCODED_PAIRS = _EncodedPairs()
#: ``encoded_pair(("Content-Type", "text/plain"))`` -> ``(b"content-type", b"text/plain")``
#: (names lowercased, latin-1), remembered for the pairs responses repeat.
encoded_pair = _ENCODED_PAIRS.__getitem__
_MAX_ENCODED_PAIRS = 1024
_MAX_CACHED_VALUE = 128


class ResponseHeaders(Headers):
    """werkzeug ``Headers`` with a one-call ``headers[name] = "value"`` for a new header.

    Same results as ``Headers`` for every input: a header already present, a value with a
    newline (refused with werkzeug's ``ValueError``) or any other non-printable character,
    a non-ASCII name and anything but a ``str`` name and value take werkzeug's path; it
    compares equal to a ``Headers`` with the same items.
    """

    __slots__ = ("_list",)  # in a slot: no instance dict per response

    def __setitem__(self, key: Any, value: Any) -> None:
        # The common case, a header not yet there: append it. isprintable() excludes CR
        # and LF (werkzeug refuses them); an ASCII name can only lower() to the same
        # lowercase as a name of its own length. Anything else takes werkzeug's path.
        # (A plain loop: for the few headers of a response it beats any C-level search.)
        if key.__class__ is value.__class__ is str and key.isascii() and value.isprintable():
            items = self._list
            size = len(key)
            for name, _value in items:
                if len(name) == size and name.lower() == key.lower():
                    break  # already there: werkzeug replaces the first, drops the others
            else:
                items.append((key, value))
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
