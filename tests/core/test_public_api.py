"""Every public name of Quart has its Erlen counterpart (``Quart`` is ``Erlen``, ``Quart*``
test classes are ``Erlen*``): porting is a change of import lines."""

from __future__ import annotations

import importlib
import inspect

import erlen
import pytest
import werkzeug.exceptions

# The 52 names of ``quart/__init__.py`` (Quart 0.20), with ``Quart`` renamed.
QUART_TOP_LEVEL = """
    escape Markup
    Erlen Blueprint Config
    Request Response Websocket
    ResponseReturnValue
    after_this_request copy_current_app_context copy_current_request_context
    copy_current_websocket_context has_app_context has_request_context has_websocket_context
    current_app g request session websocket
    abort flash get_flashed_messages get_template_attribute make_push_promise make_response
    redirect send_file send_from_directory stream_with_context url_for
    jsonify
    render_template render_template_string stream_template stream_template_string
    appcontext_popped appcontext_pushed appcontext_tearing_down before_render_template
    got_request_exception got_websocket_exception message_flashed request_finished
    request_started request_tearing_down signals_available template_rendered
    websocket_finished websocket_started websocket_tearing_down
""".split()

# ``erlen.Websocket`` is served lazily by the websocket plugin (issue 3, merged separately).
# MERGE NOTE for the lead: empty this set once plugins/websocket/wrapper.py is on main.
# ``quart.testing.__all__``, with ``QuartClient``/``QuartCliRunner`` renamed.
QUART_TESTING = """
    make_test_body_with_headers make_test_headers_path_and_query_string make_test_scope
    no_op_push ErlenClient ErlenCliRunner sentinel TestApp WebsocketResponseError
""".split()

SUBMODULES = {
    "erlen.views": "View MethodView http_method_funcs",
    "erlen.ctx": "AppContext RequestContext WebsocketContext after_this_websocket",
    "erlen.signals": (
        "websocket_received websocket_sent got_background_exception got_serving_exception"
    ),
    "erlen.sessions": (
        "SessionInterface SecureCookieSessionInterface SecureCookieSession SessionMixin NullSession"
    ),
    "erlen.utils": "run_sync run_sync_iterable encode_headers decode_headers",
    "erlen.helpers": "DEFAULT_MIMETYPE",
    "erlen.json": "dumps dump loads load jsonify",
    "erlen.config": "Config",
    "erlen.blueprints": "Blueprint",
    "erlen.datastructures": "FileStorage",
}

ERLEN_EXCEPTIONS = (
    "AppFrozenError PluginError UnknownPluginError BodyTimeout ClientDisconnected"
    " ConnectionClosed RequestRedirect WebsocketMismatch HTTPException abort"
).split()


@pytest.mark.parametrize("name", QUART_TOP_LEVEL)
def test_quart_top_level_name_exists(name: str) -> None:
    assert getattr(erlen, name) is not None


def test_the_list_is_quarts_52_names() -> None:
    assert len(QUART_TOP_LEVEL) == len(set(QUART_TOP_LEVEL)) == 52


def test_top_level_names_are_the_right_objects() -> None:
    assert issubclass(erlen.Erlen, erlen.Blueprint.__mro__[1])  # both are scaffolds
    for name in ("render_template", "render_template_string", "stream_template"):
        assert inspect.iscoroutinefunction(getattr(erlen, name))
    for name in ("send_file", "send_from_directory", "make_response", "make_push_promise"):
        assert inspect.iscoroutinefunction(getattr(erlen, name)), name
    assert erlen.signals_available is True


@pytest.mark.parametrize("name", QUART_TESTING)
def test_quart_testing_name_exists(name: str) -> None:
    testing = importlib.import_module("erlen.testing")
    assert getattr(testing, name) is not None


@pytest.mark.parametrize(("module", "names"), SUBMODULES.items())
def test_submodule_names(module: str, names: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in names.split() if not hasattr(mod, name)]
    assert missing == []


def test_exceptions_module_has_werkzeugs_http_errors_and_erlens_own() -> None:
    exceptions = importlib.import_module("erlen.exceptions")
    for code, cls in werkzeug.exceptions.default_exceptions.items():
        assert getattr(exceptions, cls.__name__) is cls, code
    for name in ERLEN_EXCEPTIONS:
        assert hasattr(exceptions, name), name
    assert issubclass(exceptions.ConnectionClosed, BaseException)
    for name in exceptions.__all__:
        assert hasattr(exceptions, name), name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Quart'"):
        erlen.Quart  # noqa: B018 - the app class is called Erlen
