"""Response header fields as ASGI sends them: one pair encoded, and checked.

Every header the kernel hands a server goes through :func:`encode_header` (the HTTP
send step through its cache, ``erlen.wrappers.headers.encoded_pair``; a websocket
handshake and Quart's ASGI classes through :func:`erlen.utils.encode_headers`). A header
HTTP cannot carry raises here, inside the app, where its error handling answers it; a
server would refuse it after the app is done with it (h11 raises, hypercorn answers a
bare 500 and logs "Error in ASGI Framework").
"""

from __future__ import annotations

import re


class InvalidHeaderError(ValueError):
    """A response header HTTP cannot carry: a name that is not a token, or a value with a
    control character (RFC 9110 section 5). werkzeug refuses only CR and LF, when set."""


#: RFC 9110 section 5.6.2's token, lowercase (names are lowered before the check).
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-z]+").fullmatch
#: Control characters but horizontal tab (RFC 9110 section 5.5: field-vchar, SP, HTAB).
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]").search


def encode_header(name: str, value: str) -> tuple[bytes, bytes]:
    """``("Content-Type", "text/plain")`` -> ``(b"content-type", b"text/plain")``: the name
    lowercased, both latin-1, the value without leading or trailing spaces and tabs (not
    part of a field value, RFC 9110 section 5.5; servers strip them when reading).

    ``UnicodeEncodeError`` for text outside latin-1 (the message says what to send
    instead), :class:`InvalidHeaderError` for a name that is not a token or a value with a
    control character (NUL, vertical tab, form feed, ... : CR and LF werkzeug refuses when
    the header is set)."""
    try:
        raw_name = name.lower().encode("latin-1")
        raw_value = value.encode("latin-1")
    except UnicodeEncodeError as error:
        raise unencodable_header(name, error) from None
    if _TOKEN(raw_name) is None:
        raise InvalidHeaderError(
            f"Response header name {name!r} is not an HTTP token (RFC 9110 section 5.6.2:"
            " letters, digits and !#$%&'*+-.^_`|~)"
        )
    if _CONTROL(raw_value) is not None:
        raise InvalidHeaderError(
            f"Response header {name!r} has a control character in its value {value!r}"
            " (RFC 9110 section 5.5); escape or drop it, e.g. when it comes from the request"
        )
    return raw_name, raw_value.strip(b" \t")


def unencodable_header(name: str, error: UnicodeEncodeError) -> UnicodeEncodeError:
    """The error of a response header whose name or value is not latin-1: the codec's
    error, naming the header and what to send instead."""
    return UnicodeEncodeError(
        error.encoding,
        error.object,
        error.start,
        error.end,
        f"{error.reason} (response header {name!r}: HTTP header values are latin-1, "
        "RFC 9110 section 5.5; send non-ASCII text percent-encoded, e.g. RFC 8187's "
        "filename*=UTF-8''...)",
    )
