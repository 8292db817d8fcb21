"""The headers of the responses the kernel builds on its fast path, and their encoding.

``response.headers[name] = value`` is the usual way an ``after_request`` function adds a
header. werkzeug's ``Headers`` runs it through three Python calls (``__setitem__``,
``set``, the value check); for a new header with a ``str`` name and value this class
does the same in one. :data:`encoded_pair` turns a header into ASGI bytes; a header
HTTP cannot carry (not latin-1, a control character) raises a ``ValueError`` there
(:func:`erlen.headerfields.encode_header`), which the ``http`` pipeline answers through
the app's error handling.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import Headers

from ..headerfields import encode_header


class _EncodedPairs(dict):  # type: ignore[type-arg]
    """("Content-Type", "text/html; charset=utf-8") -> (b"content-type", b"text/html; ...").

    Most responses repeat a few header pairs. A miss encodes the pair (and keeps it, bounded:
    emptied when full); a hit is dict's own ``__getitem__``, so encoding a response's
    headers runs no Python code per header.
    """

    def __missing__(self, item: tuple[str, str]) -> tuple[bytes, bytes]:
        pair = encode_header(*item)  # raises for a header HTTP cannot carry: never kept
        if len(item[1]) <= _MAX_CACHED_VALUE:
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


class LookupHeaders(Headers):
    """werkzeug ``Headers`` whose ``get``, ``in`` and ``pop`` answer a missing header
    without an exception: the request's headers, and the base of :class:`ResponseHeaders`.

    werkzeug answers them through ``headers[name]``, which builds a ``BadRequestKeyError``
    (an ``HTTPException``, several Python calls) for each name that is not there:
    ``request.headers.get("Authorization")`` on an anonymous request, the
    ``If-None-Match``/``Range`` checks of every file response. Same results for every
    input: a name that is not a ``str`` takes werkzeug's path, ``headers[name]`` still
    raises ``BadRequestKeyError``; it compares equal to a ``Headers`` with the same items.
    """

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]
        """werkzeug's ``get``: the first value of header ``key`` (any case), ``default``
        if there is none; with ``type``, the value converted (``default`` on
        ``ValueError``)."""
        if key.__class__ is not str:
            return super().get(key, default, type)
        wanted = key.lower()
        for name, value in self._list:
            if name.lower() == wanted:
                if type is None:
                    return value
                try:
                    return type(value)
                except ValueError:
                    return default
        return default

    def __contains__(self, key: Any) -> bool:
        if key.__class__ is not str:
            return super().__contains__(key)
        wanted = key.lower()
        for name, _value in self._list:  # a plain loop: cheaper than any() over a generator
            if name.lower() == wanted:
                return True
        return False

    def pop(self, key: Any = None, default: Any = ...) -> Any:
        """werkzeug's ``pop``: for a ``str`` name, the first value of that header (any
        case) with every header of that name removed, ``default`` if there is none;
        ``KeyError`` (werkzeug's ``BadRequestKeyError``) without a default. An index
        or None pops that item (the last), as werkzeug does."""
        if key.__class__ is not str:
            return super().pop(key) if default is ... else super().pop(key, default)
        wanted = key.lower()
        items = self._list
        for index, (name, value) in enumerate(items):
            if name.lower() == wanted:
                rest = items[index + 1 :]
                items[index:] = [pair for pair in rest if pair[0].lower() != wanted]
                return value
        if default is ...:
            return super().pop(key)  # raises werkzeug's BadRequestKeyError
        return default

    def __eq__(self, other: object) -> bool:
        # werkzeug compares only headers of the very same class: keep `==` with a plain
        # Headers (e.g. `response.headers == Headers([...])`) as it was.
        if not isinstance(other, Headers):
            return NotImplemented

        def lowered(item: tuple[str, ...]) -> tuple[str, ...]:
            return item[0].lower(), *item[1:]

        return set(map(lowered, other._list)) == set(map(lowered, self._list))

    __hash__ = None  # type: ignore[assignment]


class ResponseHeaders(LookupHeaders):
    """werkzeug ``Headers`` with a one-call ``headers[name] = "value"`` for a new header.

    Same results as ``Headers`` for every input: a header already present, a value with a
    newline (refused with werkzeug's ``ValueError``) or any other non-printable character,
    a non-ASCII name and anything but a ``str`` name and value take werkzeug's path; it
    compares equal to a ``Headers`` with the same items. ``get`` and ``in`` are
    :class:`LookupHeaders`'.
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

    def update(self, arg: Any = None, /, **kwargs: Any) -> None:  # type: ignore[override]
        """werkzeug's ``update`` (each header set, replacing the ones of its name); a
        ``dict`` or list of pairs sets its ``str``-named headers through the one-call
        ``headers[name] = value`` above (``(body, 201, {...})`` on a built response)."""
        kind = arg.__class__
        if kwargs or not (kind is dict or kind is list or kind is tuple):
            super().update(arg, **kwargs)
            return
        for key, value in arg.items() if kind is dict else arg:
            if kind is dict and isinstance(value, (list, tuple, set)):
                self.setlist(key, value)
            elif key.__class__ is str:
                self[key] = value
            else:
                self.set(key, value)


def header_value(value: Any) -> str:
    """A header value as werkzeug's ``Headers`` stores it: ``str(value)`` for anything
    but a ``str``; a value with a CR or LF (a second header smuggled into this one) is
    refused with werkzeug's ``ValueError``."""
    if not isinstance(value, str):
        value = str(value)
    if "\n" in value or "\r" in value:
        raise ValueError("Header values must not contain newline characters.")
    return value


def header_items(headers: Any) -> list[tuple[Any, str]] | None:
    """The items ``Headers(headers)`` would hold, for a ``dict`` (a list, tuple or set
    value gives one item per element) or a ``list``/``tuple`` of pairs; ``None`` for
    any other kind of argument, which is left to ``Headers`` itself.

    Same items and same errors as werkzeug, which checks values only (names are the
    app's own, not the client's). A printable ``str`` value needs no check: it has no
    CR or LF.
    """
    kind = headers.__class__
    items: list[tuple[Any, str]] = []
    if kind is dict:
        for name, value in headers.items():
            if value.__class__ is str and value.isprintable():
                items.append((name, value))
            elif isinstance(value, (list, tuple, set)):
                items.extend([(name, header_value(one)) for one in value])
            else:
                items.append((name, header_value(value)))
    elif kind is list or kind is tuple:
        for name, value in headers:
            if value.__class__ is not str or not value.isprintable():
                value = header_value(value)
            items.append((name, value))
    else:
        return None
    return items


def set_item(items: list[tuple[Any, str]], name: str, item: tuple[str, str]) -> None:
    """werkzeug's ``Headers.set`` on a header list: ``item`` replaces the first header
    called ``name`` (given lowercase) and the others are dropped, or it is appended."""
    for index, (key, _value) in enumerate(items):
        if key.lower() == name:
            items[index] = item
            items[index + 1 :] = [pair for pair in items[index + 1 :] if pair[0].lower() != name]
            return
    items.append(item)
