"""The headers of the responses the kernel builds on its fast path.

``response.headers[name] = value`` is the usual way an ``after_request`` function adds a
header. werkzeug's ``Headers`` runs it through three Python calls (``__setitem__``,
``set``, the value check); for a new header with a ``str`` name and value this class
does the same in one.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import Headers


class ResponseHeaders(Headers):
    """werkzeug ``Headers`` with a one-call ``headers[name] = "value"`` for a new header.

    Same results as ``Headers`` for every input: a header already present, a value with a
    newline (refused with werkzeug's ``ValueError``) or any other non-printable character,
    a non-ASCII name and anything but a ``str`` name and value take werkzeug's path; it
    compares equal to a ``Headers`` with the same items.
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        # The common case, a header not yet there: append it. isprintable() excludes CR
        # and LF (werkzeug refuses them); an ASCII name can only lower() to the same
        # lowercase as a name of its own length. Anything else takes werkzeug's path.
        # (A plain loop: for the few headers of a response it beats any C-level search.)
        if type(key) is str and type(value) is str and key.isascii() and value.isprintable():
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
