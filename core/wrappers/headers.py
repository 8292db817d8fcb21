"""The headers of the responses the kernel builds on its fast path.

``response.headers[name] = value`` is the usual way an ``after_request`` function adds a
header. werkzeug's ``Headers`` runs it through three Python calls (``__setitem__``,
``set``, the value check); for a ``str`` name and value this class does the same in one.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import Headers


class ResponseHeaders(Headers):
    """werkzeug ``Headers`` with a one-call ``headers[name] = "value"``.

    Same results as ``Headers`` for every input: a value with a newline is refused with
    werkzeug's ``ValueError``, anything but a ``str`` name and value takes werkzeug's
    path, and it compares equal to a ``Headers`` with the same items.
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        if (
            type(key) is str
            and type(value) is str
            and "\n" not in value
            and "\r" not in value
            and key.isascii()  # then only a name of the same length can lower() to it
        ):
            # Headers.set: replace the first header of that name, drop the others, or
            # append when there is none.
            items = self._list
            lowered = key.lower()
            size = len(key)
            index = 0
            for name, _value in items:
                if len(name) == size and name.lower() == lowered:  # len: no lower() call
                    items[index] = (key, value)
                    rest = items[index + 1 :]
                    if rest:
                        items[index + 1 :] = [item for item in rest if item[0].lower() != lowered]
                    return
                index += 1
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
