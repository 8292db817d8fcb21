"""What HTTP requests and websocket connections share: URL, headers, routing info.

Built straight from the ASGI scope. Headers, args, cookies and the rest are parsed the
first time they are read, so a handler that never looks at them does not pay for them.
"""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_from_bytes, urlsplit

from werkzeug.datastructures import (
    Accept,
    Authorization,
    CharsetAccept,
    Headers,
    ImmutableMultiDict,
    LanguageAccept,
    MIMEAccept,
)
from werkzeug.http import parse_accept_header, parse_options_header
from werkzeug.sansio.http import parse_cookie
from werkzeug.sansio.request import Request as _SansIORequest
from werkzeug.sansio.utils import get_content_length, get_current_url, get_host
from werkzeug.utils import cached_property

from .. import json as json_module
from .headers import LookupHeaders

if TYPE_CHECKING:
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import Rule

    from ..typing import Scope


#: Parsed ``Cookie`` headers by raw value, bounded in entries and in memory (oldest entry
#: dropped first). ``_COOKIE_WEIGHTS`` holds each entry's estimated size: the raw header
#: twice (the key, the parsed strings) and 256 bytes per cookie (werkzeug's
#: ``ImmutableMultiDict`` keeps a list per name); measured with tracemalloc, 1,000 empty
#: cookies in 6.7 KB take 176 KB. By count alone, 1,024 distinct such headers held
#: 180 MB of a server for good (tests/core/test_request_cookies.py).
_PARSED_COOKIES: dict[bytes, ImmutableMultiDict[str, str]] = {}
_COOKIE_WEIGHTS: dict[bytes, int] = {}
_MAX_PARSED_COOKIES = 1024
_MAX_CACHED_COOKIE_HEADER = 8192
_COOKIE_CACHE_BUDGET = 4 * 1024 * 1024
_cookie_cache_weight = 0

#: Parsed ``Content-Type`` values: (mimetype, params), bounded; params copied per request.
_PARSED_CONTENT_TYPES: dict[str, tuple[str, dict[str, str]]] = {}
_MAX_PARSED_CONTENT_TYPES = 256

#: Parsed ``Accept*`` headers by ``(value, Accept class)``, bounded (oldest entry dropped
#: first). Shared between requests: werkzeug's ``Accept`` classes are immutable lists
#: (tests/core/test_request_accept.py checks that a view cannot change one).
_PARSED_ACCEPT: dict[tuple[str | None, type[Accept]], Accept] = {}
_MAX_PARSED_ACCEPT = 256
_MAX_CACHED_ACCEPT_HEADER = 1024

#: ``get_host(scheme, header)`` by ``(scheme, header)``, for hosts not checked against a
#: trusted list (bounded; emptied when full).
_HOSTS: dict[tuple[str, str], str] = {}
_MAX_HOSTS = 256

#: The start of a URL that werkzeug's ``get_current_url`` returns exactly as its parts
#: join: a scheme, a lowercase host of letters, digits, dots and dashes (``urlsplit``
#: lowercases hosts; Python's IDNA codec returns an ASCII host without ``xn--`` as it
#: is), a port without a leading zero below 60000 (``urlsplit``'s ``port`` is an int),
#: then root path and path made only of characters its ``quote`` keeps (no ``%``, no
#: ``?`` or ``#``, nothing outside ASCII); ``_PLAIN_QUERY``: such a query string.
#: ``uri_to_iri`` then unquotes nothing and rebuilds the same string.
#: tests/core/test_request_url.py compares both, over URLs outside these patterns too.
_PLAIN_URL_PATH = re.compile(
    r"[a-z][a-z0-9+.\-]*://[a-z0-9.\-]+(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}))?"
    r"/[A-Za-z0-9\-._~!$&'()*+,/:;=@]*"
)
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,/:;=?@]*")


def current_url(
    scheme: str,
    host: str,
    root_path: str | None = None,
    path: str | None = None,
    query_string: bytes | None = None,
) -> str:
    """werkzeug's ``get_current_url``: the request's URL as an IRI, up to the first part
    not given (what ``request.url``, ``base_url``, ``root_url`` and ``host_url`` are).

    The parts of an ordinary URL are joined as they are instead of being quoted, split,
    unquoted and joined again (``_PLAIN_URL_PATH`` says when that gives the same
    string)."""
    url = f"{scheme}://{host}/"
    if root_path is not None:
        url = f"{scheme}://{host}{root_path.rstrip('/')}/"
        if path is not None:
            url += path.lstrip("/")
    if "xn--" not in url and _PLAIN_URL_PATH.fullmatch(url) is not None:
        if not query_string or path is None or root_path is None:
            return url
        query = query_string.decode("latin-1")
        if _PLAIN_QUERY.fullmatch(query) is not None:
            return f"{url}?{query}"
    return get_current_url(scheme, host, root_path, path, query_string)


#: Every ASCII character: only bytes >= 0x80 get percent-encoded.
_ASCII = "".join(map(chr, range(128)))


def parse_accept(value: str | None, cls: type[Accept]) -> Accept:
    """werkzeug's ``parse_accept_header(value, cls)``, parsed once per distinct value: a
    client sends the same ``Accept`` string with every request."""
    key = (value, cls)
    parsed = _PARSED_ACCEPT.get(key)
    if parsed is None:
        parsed = parse_accept_header(value, cls)
        if value is None or len(value) <= _MAX_CACHED_ACCEPT_HEADER:
            if len(_PARSED_ACCEPT) >= _MAX_PARSED_ACCEPT:
                del _PARSED_ACCEPT[next(iter(_PARSED_ACCEPT))]
            _PARSED_ACCEPT[key] = parsed
    return parsed


class _HeaderNames(dict):  # type: ignore[type-arg]
    """b"x-request-id" -> "X-Request-Id": a header name as ``request.headers`` spells it.

    Servers send names lowercased (HTTP/2 and ASGI require it); Quart title-cases them, as
    werkzeug's WSGI headers do, so ``dict(request.headers)`` and iteration show
    ``Content-Type``, not ``content-type``. A miss decodes and title-cases the name and
    keeps it (bounded: emptied when full); a hit is dict's own ``__getitem__``.
    """

    def __missing__(self, name: bytes) -> str:
        title = name.decode("latin-1").title()
        if len(self) >= _MAX_HEADER_NAMES:
            self.clear()
        if len(name) <= _MAX_CACHED_HEADER_NAME:
            self[name] = title
        return title


_MAX_HEADER_NAMES = 512
_MAX_CACHED_HEADER_NAME = 64
_header_name = _HeaderNames().__getitem__


def headers_from_scope(scope: Scope) -> Headers:
    """The scope's ASGI ``[(name, value)]`` byte pairs as werkzeug ``Headers`` (their
    :class:`~erlen.wrappers.headers.LookupHeaders` subclass), as Quart builds them: names
    title-cased (``x-api-key`` -> ``X-Api-Key``), after a first ``Remote-Addr`` with the
    client's host (``<local>`` without one), so that it wins over a ``Remote-Addr`` the
    client sent."""
    client = scope.get("client")
    name_of = _header_name
    items = [("Remote-Addr", client[0] if client else "<local>")]
    items += [(name_of(name), value.decode("latin-1")) for name, value in scope.get("headers", ())]
    headers = LookupHeaders()
    for _name, value in items:
        if "\n" in value or "\r" in value:
            # werkzeug refuses these (ValueError): let Headers.add say so, as before
            add = headers.add
            for name, value in items:
                add(name, value)
            return headers
    # The values are checked above, and decoding made them str: everything
    # Headers.add would verify, one pair at a time.
    headers._list = items
    return headers


#: The class default of ``_cookies`` in a class whose ``cookies`` is not the stock one
#: (see ``BaseRequestWebsocket.__init_subclass__``): never None, so code reading the
#: ``Cookie`` header itself knows it must go through ``request.cookies``.
CUSTOM_COOKIES: Any = object()


class _RequestCookies:
    """``request.cookies``: parsed on the first read and kept in ``_cookies``.

    Like werkzeug's ``cached_property`` (assigning sets the value, ``del`` parses again).
    ``_cookies`` is None while the cookies were neither read nor set, so the session
    fast path may look the session cookie up from the raw header instead.
    """

    __name__ = "cookies"

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        parsed = obj._cookies
        if parsed is None or parsed is CUSTOM_COOKIES:
            parsed = obj._cookies = _parse_cookies(obj)
        return parsed

    def __set__(self, obj: Any, value: Any) -> None:
        obj._cookies = value

    def __delete__(self, obj: Any) -> None:
        obj._cookies = type(obj)._cookies  # read again on the next access


def cookie_header(scope: Scope) -> bytes | None:
    """The scope's ``Cookie`` headers joined with ``;`` as werkzeug joins them (None if
    there is none)."""
    headers = scope.get("headers", ())
    raw = None
    for name, value in headers:  # a loop, not a list: one header is the common case
        if name == b"cookie":  # ASGI header names are lowercase
            raw = value if raw is None else raw + b";" + value
    if raw is None:  # none, or a scope breaking that rule: its cookies are still read
        raw = b";".join([value for name, value in headers if name.lower() == b"cookie"])
        if not raw:
            return None
    return raw


def scope_header(scope: Scope, name: bytes) -> str | None:
    """The first header called ``name`` (lowercase) in the scope, decoded as werkzeug's
    ``Headers`` decode it: what ``headers.get(name)`` gives, without decoding the others
    (None if there is none)."""
    for key, value in scope.get("headers", ()):
        if key == name or (len(key) == len(name) and key.lower() == name):
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def connection_cookie_header(connection: Any) -> bytes | None:
    """The ``Cookie`` headers of a request or websocket joined with ``;`` (None if there
    is none): from ``connection.headers`` once they were read or given (so a change made
    to them is seen, as in Quart), else straight from the scope without decoding the
    other headers."""
    if not connection._headers_used:
        return cookie_header(connection.scope)
    values = connection.headers.getlist("Cookie")
    return ";".join(values).encode("latin-1") if values else None


def _parse_cookies(obj: Any) -> Any:
    if obj._headers_used:  # read or set: they may have changed (A15)
        raw = connection_cookie_header(obj) or b""
    else:  # connection_cookie_header's other branch, without its call
        raw = cookie_header(obj.scope) or b""
    cls: Any = obj.dict_storage_class
    if cls is not ImmutableMultiDict:
        return parse_cookie(raw.decode("latin-1"), cls=cls)
    # A browser sends the same Cookie header with every request: parse each distinct
    # header once. The parsed mapping is immutable: requests share it.
    parsed: Any = _PARSED_COOKIES.get(raw)
    if parsed is None:
        parsed = parse_cookie(raw.decode("latin-1"), cls=cls)  # type: ignore[arg-type]
        if len(raw) <= _MAX_CACHED_COOKIE_HEADER:
            _remember_cookies(raw, parsed)
    return parsed


def _remember_cookies(raw: bytes, parsed: Any) -> None:
    """Keep ``parsed`` for ``raw`` in :data:`_PARSED_COOKIES`, dropping the oldest entries
    while there are too many or their estimated size passes the budget."""
    global _cookie_cache_weight
    weight = 2 * len(raw) + 256 * (raw.count(b";") + 1)
    while _PARSED_COOKIES and (
        len(_PARSED_COOKIES) >= _MAX_PARSED_COOKIES
        or _cookie_cache_weight + weight > _COOKIE_CACHE_BUDGET
    ):
        oldest = next(iter(_PARSED_COOKIES))
        _PARSED_COOKIES.pop(oldest, None)  # pop: a sync view's thread may have taken it
        _cookie_cache_weight -= _COOKIE_WEIGHTS.pop(oldest, 0)
    if not _PARSED_COOKIES:
        _cookie_cache_weight = 0
    _PARSED_COOKIES[raw] = parsed
    _COOKIE_WEIGHTS[raw] = weight
    _cookie_cache_weight += weight


def _ascii_query_string(scope: Scope) -> bytes:
    query_string = scope.get("query_string", b"")
    if not query_string.isascii():
        # Some servers pass raw non-ASCII bytes; werkzeug decodes the query strictly.
        query_string = quote_from_bytes(query_string, _ASCII).encode()
    return query_string  # type: ignore[no-any-return]


#: The path of a connection outside the app's root: no rule can match it (a 404), as
#: in Quart.
OUTSIDE_ROOT = " "


def split_root_path(root_path: str, path: str) -> tuple[str, str]:
    """``(root_path, path)`` with the root's trailing slash dropped and the root taken
    off the front of ``path``: ASGI gives the full path (``root_path`` included). A path
    outside the root, or the root itself without its slash, is :data:`OUTSIDE_ROOT`
    (Quart's rule: ``/app`` and ``/`` under the root ``/app`` are 404s, ``/app/`` is
    ``/``). tests/core/test_root_path.py pins it."""
    root_path = root_path.rstrip("/")
    if root_path:
        if path.startswith(root_path) and path[len(root_path) : len(root_path) + 1] == "/":
            path = path[len(root_path) :]
        else:
            path = OUTSIDE_ROOT
    return root_path, path


def origin_form(path: str) -> str:
    """``scope["path"]`` that does not start with ``/`` as a path: the path of an
    absolute-form target (``http://host/path`` -> ``/path``, as Quart reads it), else
    the path with a leading slash."""
    if "://" in path:
        return urlsplit(path).path or "/"
    return "/" + path


def _default_scheme(scope: Scope) -> str:
    """The scheme of a scope without one (the key is optional in ASGI; daphne leaves it
    out of a websocket's): ASGI's default, ``ws`` for a websocket, else ``http``."""
    return "ws" if scope.get("type") == "websocket" else "http"


def _http_version(scope: Scope) -> str:
    """``scope["http_version"]``, with granian's ``"1"`` for HTTP/1.0 read as ASGI's
    ``"1.0"``."""
    version: str = scope.get("http_version", "1.1")
    return "1.0" if version == "1" else version


class _FromScope:
    """A request field derived from ``request.scope`` on its first read, then a plain
    instance attribute (a non-data descriptor: assigning it sets the attribute, later
    reads take no call). For the fields most requests never read, so a request built by
    the server skips them."""

    __slots__ = ("name", "derive")

    def __init__(self, name: str, derive: Any) -> None:
        self.name = name
        self.derive = derive

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = self.derive(obj.scope)
        setattr(obj, self.name, value)
        return value


class _HeadersProperty(cached_property):  # type: ignore[type-arg]
    """werkzeug's ``cached_property`` that marks the connection when it is assigned."""

    def __set__(self, obj: Any, value: Any) -> None:
        super().__set__(obj, value)
        obj._headers_used = True


class BaseRequestWebsocket(_SansIORequest):
    """URL, headers and routing data of an HTTP request or websocket connection."""

    # Derived on first read by the requests ``Request.from_scope`` builds without the
    # constructor (the constructor sets them): most requests never read them.
    scheme = _FromScope("scheme", lambda scope: scope.get("scheme") or _default_scheme(scope))
    http_version = _FromScope("http_version", _http_version)
    query_string = _FromScope("query_string", _ascii_query_string)
    #: The ASGI ``root_path`` without its trailing slash ("" for an app at the root).
    root_path = ""

    #: The rule that matched, set by routing.
    url_rule: Rule | None = None
    #: The arguments the rule captured.
    view_args: dict[str, Any] | None = None
    #: The routing error (404, 405, redirect, websocket mismatch) if matching failed.
    routing_exception: HTTPException | None = None
    #: The JSON module of ``get_json``/``receive_json`` (``erlen.json``: the current
    #: app's provider, as Quart sets ``app.json`` per request). Set it to swap.
    json_module: Any = json_module

    def __init__(
        self,
        method: str,
        scheme: str,
        path: str,
        query_string: bytes,
        headers: Headers,
        root_path: str,
        http_version: str,
        scope: Scope,
    ) -> None:
        """Quart's constructor: every field given (``path`` without ``root_path``).

        The server builds its connections from the ASGI scope instead (``from_scope``),
        deriving each field from the scope when it is first read.
        """
        # werkzeug's __init__ is skipped: it sets these same fields, and the rest
        # (server, remote address, ...) are derived from the scope on first read.
        self.scope = scope
        self.method = method.upper()
        self.scheme = scheme
        self.root_path = root_path.rstrip("/")
        self.path = path if path[:1] == "/" else "/" + path
        self.query_string = query_string
        self.headers = headers  # (marks _headers_used)
        self.http_version = http_version

    def set_scope(self, scope: Scope) -> None:
        """Take this connection's fields from the ASGI ``scope``: the method, root path
        and path now; the scheme, HTTP version, query string and headers when first read
        (what a connection built by the server gets instead of the constructor)."""
        self.scope = scope
        self.method = scope.get("method", "GET")
        path = scope["path"]
        root_path = scope.get("root_path")
        if root_path:
            self.root_path, path = split_root_path(root_path, path)
        self.path = path if path[:1] == "/" else origin_form(path)

    def scope_fields(self) -> tuple[str, str, str, bytes, Headers, str, str]:
        """``(method, scheme, path, query_string, headers, root_path, http_version)``: the
        constructor's arguments for a connection like this one (for a subclass whose own
        constructor the server must call)."""
        return (
            self.method,
            self.scheme,
            self.path,
            self.query_string,
            self.headers,
            self.root_path,
            self.http_version,
        )

    @cached_property
    def server(self) -> tuple[str, int | None] | None:  # type: ignore[override]
        """``(host, port)`` of the server, from the scope."""
        server = self.scope.get("server")
        if not server:
            return None
        host, port = server
        # granian gives the port as a string; ASGI says an int (None for a unix socket).
        return host, int(port) if isinstance(port, str) else port

    @_HeadersProperty
    def headers(self) -> Headers:  # type: ignore[override]
        """The request headers (an HTTP/1.0 request without ``Host`` was given one by the
        app's HTTP handler: :func:`erlen.pipeline.http.add_missing_host`)."""
        self._headers_used = True
        return headers_from_scope(self.scope)

    #: Whether ``headers`` were read or set (then cookies and single-header reads follow
    #: them). A flag, not a look into ``__dict__``: reading an instance's ``__dict__``
    #: turns its attributes into a real dict, which makes every later attribute access
    #: of the request slower.
    _headers_used = False

    def _header(self, name: bytes) -> str | None:
        """``headers.get(name)`` for a lowercase ``name``: read from the scope while
        :attr:`headers` is the scope's and was neither read nor set (nothing can have
        changed it then), so a request reading a few headers does not decode them all."""
        if self._headers_from_scope and not self._headers_used:
            return scope_header(self.scope, name)
        return self.headers.get(name.decode("latin-1"))  # type: ignore[no-any-return]

    @cached_property
    def authorization(self) -> Authorization | None:
        """werkzeug's ``authorization``: the ``Authorization`` header parsed, None if
        absent or malformed. A ``Basic`` credential with non-ASCII characters is
        malformed too: werkzeug 3.1 lets base64's ``ValueError`` for it escape (a 500
        for any client sending one)."""
        try:
            return Authorization.from_header(self._header(b"authorization"))
        except ValueError:
            return None

    @cached_property
    def content_length(self) -> int | None:  # type: ignore[override]
        """werkzeug's ``content_length``: ``Content-Length`` as an int (0 if invalid),
        None if absent or with a chunked ``Transfer-Encoding``."""
        return get_content_length(
            self._header(b"content-length"), self._header(b"transfer-encoding")
        )

    @cached_property
    def host(self) -> str:  # type: ignore[override]
        """werkzeug's ``host``: the ``Host`` header (else the server's address) with the
        scheme's default port dropped, checked against :attr:`trusted_hosts` (``""`` for
        an invalid one). A valid header is checked once per ``(scheme, header)`` while
        no trusted list applies (``get_host`` depends on nothing else then)."""
        header = self._header(b"host")
        if header is None or self.trusted_hosts is not None:
            return get_host(self.scheme, header, self.server, self.trusted_hosts)
        key = (self.scheme, header)
        host = _HOSTS.get(key)
        if host is None:
            host = get_host(key[0], header)
            if len(header) <= 256:
                if len(_HOSTS) >= _MAX_HOSTS:
                    _HOSTS.clear()
                _HOSTS[key] = host
        return host

    cookies = _RequestCookies()
    cookies.__doc__ = """The request cookies, from its ``Cookie`` headers (all of them, joined
    as werkzeug does): read straight from the scope, without decoding every other header,
    unless ``headers`` were read or set before (then from them, as in Quart)."""
    _cookies: Any = None  # what request.cookies gives, once read or set

    #: Whether the class keeps :attr:`headers` as the scope's headers (then ``host`` may
    #: read the scope; set per class in ``__init_subclass__``).
    _headers_from_scope = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(inspect.getattr_static(cls, "cookies"), _RequestCookies):
            cls._cookies = CUSTOM_COOKIES  # see CUSTOM_COOKIES
        cls._headers_from_scope = (
            inspect.getattr_static(cls, "headers") is vars(BaseRequestWebsocket)["headers"]
        )

    def _parse_content_type(self) -> None:
        # werkzeug's own, with the parse of each distinct Content-Type value kept: a
        # JSON API sees the same one or two values on every request. The params dict
        # (``mimetype_params``) is copied, so a request changing it changes only its own.
        if "_parsed_content_type" not in self.__dict__:
            value = self._header(b"content-type") or ""
            parsed = _PARSED_CONTENT_TYPES.get(value)
            if parsed is None:
                parsed = parse_options_header(value)
                if len(value) <= 256:
                    if len(_PARSED_CONTENT_TYPES) >= _MAX_PARSED_CONTENT_TYPES:
                        del _PARSED_CONTENT_TYPES[next(iter(_PARSED_CONTENT_TYPES))]
                    _PARSED_CONTENT_TYPES[value] = parsed
            self._parsed_content_type = (parsed[0], dict(parsed[1]))

    @cached_property
    def accept_mimetypes(self) -> MIMEAccept:  # type: ignore[override]
        """The ``Accept`` header as werkzeug's :class:`~werkzeug.datastructures.MIMEAccept`
        (immutable; one parse per distinct value, see :func:`parse_accept`)."""
        return parse_accept(self._header(b"accept"), MIMEAccept)  # type: ignore[return-value]

    @cached_property
    def accept_charsets(self) -> CharsetAccept:  # type: ignore[override]
        """The ``Accept-Charset`` header as werkzeug's ``CharsetAccept``."""
        accept = parse_accept(self._header(b"accept-charset"), CharsetAccept)
        return accept  # type: ignore[return-value]

    @cached_property
    def accept_encodings(self) -> Accept:  # type: ignore[override]
        """The ``Accept-Encoding`` header as werkzeug's ``Accept``."""
        return parse_accept(self._header(b"accept-encoding"), Accept)

    @cached_property
    def accept_languages(self) -> LanguageAccept:  # type: ignore[override]
        """The ``Accept-Language`` header as werkzeug's ``LanguageAccept``."""
        accept = parse_accept(self._header(b"accept-language"), LanguageAccept)
        return accept  # type: ignore[return-value]

    @cached_property
    def url(self) -> str:  # type: ignore[override]
        """The full URL: scheme, host, root path, path and query string."""
        return current_url(self.scheme, self.host, self.root_path, self.path, self.query_string)

    @cached_property
    def base_url(self) -> str:  # type: ignore[override]
        """Like :attr:`url` without the query string."""
        return current_url(self.scheme, self.host, self.root_path, self.path)

    @cached_property
    def root_url(self) -> str:  # type: ignore[override]
        """The scheme, host and root path: where the application is mounted."""
        return current_url(self.scheme, self.host, self.root_path)

    @cached_property
    def host_url(self) -> str:  # type: ignore[override]
        """The scheme and host only."""
        return current_url(self.scheme, self.host)

    @cached_property
    def remote_addr(self) -> str | None:  # type: ignore[override]
        """The client address: the ASGI ``client`` host, ``"<local>"`` for a scope without
        one (a UNIX socket), as Quart gives and as the ``Remote-Addr`` header says."""
        client = self.scope.get("client")
        return client[0] if client else "<local>"

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule."""
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The name of the (innermost) blueprint the endpoint belongs to."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """Names of the blueprints of the endpoint, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]

    @property
    def script_root(self) -> str:
        """Alias of ``root_path``."""
        return self.root_path

    @property
    def url_root(self) -> str:
        """Alias of ``root_url``."""
        return self.root_url
