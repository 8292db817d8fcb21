"""What each config key does, for the generated table in docs/configuration.md.

The keys and their defaults are read from a real app at build time
(``erlen_docs.config_keys_by_source``); this file only says what they mean. A key the code
has and this file lacks (or the reverse) fails the docs build. Markdown.
"""

DESCRIPTIONS: dict[str, str] = {
    # The kernel (erlen.config.DEFAULT_CONFIG)
    "APPLICATION_ROOT": "Path the app is mounted under; the session cookie's default path.",
    "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": (
        "Seconds `app.add_background_task` tasks get to finish at shutdown before they are"
        " cancelled."
    ),
    "BODY_TIMEOUT": (
        "Seconds a client may take to send a request body; then 408. `Request.body_timeout`"
        " overrides it per request."
    ),
    "DEBUG": "Debug mode (`kernel run --debug`, `KERNEL_DEBUG`): tracebacks, reloader.",
    "ENV": "Kept for Flask compatibility; Erlen reads `DEBUG`.",
    "EXPLAIN_TEMPLATE_LOADING": "Log every place a template was looked for.",
    "MAX_CONTENT_LENGTH": "Largest request body in bytes; a bigger one is answered 413.",
    "MAX_COOKIE_SIZE": "A `Set-Cookie` header longer than this logs a warning.",
    "MAX_FORM_MEMORY_SIZE": "Largest non-file form field in bytes; more is 413.",
    "MAX_FORM_PARTS": "Most parts a multipart form may have; more is 413.",
    "MAX_FORM_PART_HEADERS_SIZE": (
        "Largest size in bytes of the header blocks of a multipart form's parts together;"
        " more is 413."
    ),
    "MAX_FORM_TOTAL_MEMORY_SIZE": (
        "Largest size in bytes of a form's non-file fields together (never less than"
        " `MAX_FORM_MEMORY_SIZE`); more is 413."
    ),
    "PERMANENT_SESSION_LIFETIME": "Lifetime of a permanent session's cookie.",
    "PREFERRED_URL_SCHEME": "Scheme of external URLs built outside a request.",
    "PREFER_SECURE_URLS": "`url_for(..., _external=True)` builds `https`/`wss` URLs.",
    "PRESERVE_CONTEXT_ON_EXCEPTION": "Kept for Flask compatibility.",
    "PROPAGATE_EXCEPTIONS": (
        "Re-raise unhandled exceptions instead of a 500 (on by default when testing or debugging)."
    ),
    "PROVIDE_AUTOMATIC_OPTIONS": "Answer `OPTIONS` for every route automatically.",
    "RESPONSE_TIMEOUT": (
        "Seconds a response may take to be sent (a streamed one included);"
        " `Response.timeout` overrides it."
    ),
    "SECRET_KEY": "Signs the session cookie and flashed messages. Required for sessions.",
    "SECRET_KEY_FALLBACKS": "Older keys still accepted to read sessions (key rotation).",
    "SEND_FILE_MAX_AGE_DEFAULT": "`Cache-Control: max-age` of `send_file` and static files.",
    "SERVER_NAME": (
        "Host (and port) the app serves: its subdomains route subdomain rules,"
        " other hosts get a 404 and a warning."
    ),
    "SESSION_COOKIE_DOMAIN": "`Domain` of the session cookie.",
    "SESSION_COOKIE_HTTPONLY": "`HttpOnly` on the session cookie.",
    "SESSION_COOKIE_NAME": "Name of the session cookie.",
    "SESSION_COOKIE_PARTITIONED": "`Partitioned` on the session cookie (CHIPS).",
    "SESSION_COOKIE_PATH": "`Path` of the session cookie (default: `APPLICATION_ROOT`).",
    "SESSION_COOKIE_SAMESITE": "`SameSite` of the session cookie (`'Lax'`, `'Strict'`).",
    "SESSION_COOKIE_SECURE": "`Secure` on the session cookie (set it behind HTTPS).",
    "SESSION_REFRESH_EACH_REQUEST": "Resend a permanent session's cookie on every request.",
    "TEMPLATES_AUTO_RELOAD": "Reload changed templates (default: follows `DEBUG`).",
    "TESTING": "Test mode: exceptions propagate to the test client.",
    "TRAP_BAD_REQUEST_ERRORS": "Raise `BadRequest` key errors instead of answering 400.",
    "TRAP_HTTP_EXCEPTIONS": "Raise HTTP exceptions instead of answering them.",
    "TRUSTED_HOSTS": "Allowed `Host` values; any other is answered 400.",
    "USE_X_SENDFILE": "Let the front server send files (`X-Sendfile`).",
    # The templating plugin
    "TEMPLATE_STRING_CACHE_SIZE": (
        "Compiled `render_template_string` sources kept (`0` disables the cache)."
    ),
    # The websocket plugin
    "WEBSOCKET_MAX_MESSAGE_SIZE": (
        "Largest incoming message in bytes; a bigger one closes with 1009. `None`: no limit."
    ),
    "WEBSOCKET_SEND_QUEUE_SIZE": (
        "`send()` calls that may wait on one slow client; one more closes it with 1008."
    ),
    "WEBSOCKET_SEND_TIMEOUT": (
        "Seconds a `send()` may wait on a client that does not read; then close 1008."
    ),
    "WEBSOCKET_DISCONNECT_TIMEOUT": (
        "Seconds a handler may keep running after its connection ended (it is cancelled"
        " when the client leaves); then a warning naming the route is logged and it is"
        " cancelled again. `None`: no limit."
    ),
    "BROADCAST_URL": (
        "The broker: `memory://` (one process), `redis://`, `rediss://`, `unix://`,"
        " `valkey://`; default from the `BROADCAST_URL` environment variable."
    ),
    "BROADCAST_PREFIX": "Prefix of the Redis channel names (one per app sharing a database).",
    "BROADCAST_QUEUE_SIZE": "Events buffered per subscription before the overflow policy acts.",
    "BROADCAST_OVERFLOW": (
        "`drop-oldest` (the subscriber reads a counted `Gap`) or `disconnect` (close 1008)."
    ),
    "BROADCAST_MAX_MESSAGE_SIZE": "Bytes; a bigger message raises `MessageTooLarge`.",
    "BROADCAST_PUBLISH_TIMEOUT": (
        "Seconds `publish` waits for the broker before raising `BroadcastUnavailable`."
    ),
    "BROADCAST_CONNECT_TIMEOUT": "Seconds startup tries to reach the broker.",
    "BROADCAST_RECONNECT_MAX": "Longest back-off, in seconds, between reconnect attempts.",
    "BROADCAST_HEALTH_INTERVAL": (
        "Seconds between PINGs on an idle subscriber connection; no PONG in one interval"
        " is a lost connection."
    ),
    "BROADCAST_REDIS_OPTIONS": (
        "Extra keyword arguments for `redis.asyncio.Redis.from_url` (TLS files, keep-alive)."
    ),
    "WEBSOCKET_COMPRESSION": (
        "Negotiate permessage-deflate; off by default (memory per connection, bombs); when"
        " on, inflating stops at `WEBSOCKET_MAX_MESSAGE_SIZE` with close 1009."
    ),
    "HTTP2_CLEARTEXT": (
        "Accept HTTP/2 without TLS (prior knowledge, `Upgrade: h2c`); turn it off on a"
        " public cleartext port."
    ),
    "WEBSOCKET_PING_INTERVAL": (
        "Seconds a websocket client may send nothing before the server pings it (a client"
        " that talks is never pinged). `None`: no ping."
    ),
    "WEBSOCKET_PING_TIMEOUT": (
        "Seconds a pinged websocket client may go on sending nothing (not even the pong)"
        " before the connection is closed with 1011. `None`: no bound."
    ),
    "WEBSOCKET_MESSAGE_TIMEOUT": (
        "Seconds a websocket message may take from its first frame to its last; then"
        " close 1008. `None`: no bound."
    ),
    "SEND_TIMEOUT": (
        "Seconds a client may take none of the data the server has to send it before the"
        " connection is dropped (nginx's `send_timeout`); `None`: no bound."
    ),
}
