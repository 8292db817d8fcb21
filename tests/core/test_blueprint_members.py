"""API parity: every public member of Quart's ``Blueprint`` exists on Erlen's, and its
methods take Quart's parameter names and defaults (keyword callers port unchanged)."""

from __future__ import annotations

import inspect

import pytest
from erlen import Blueprint, Erlen, websocket

# The public members of ``quart.Blueprint`` (Quart 0.22 on Flask 3.1's sansio layer).
QUART_BLUEPRINT_MEMBERS = """
add_app_template_filter add_app_template_global add_app_template_test add_url_rule
add_websocket after_app_request after_app_serving after_app_websocket after_request
after_request_funcs after_websocket after_websocket_funcs app_context_processor
app_errorhandler app_template_filter app_template_global app_template_test
app_url_defaults app_url_value_preprocessor before_app_request before_app_serving
before_app_websocket before_request before_request_funcs before_websocket
before_websocket_funcs cli cli_group context_processor deferred_functions delete endpoint
error_handler_spec errorhandler get get_send_file_max_age has_static_folder import_name
jinja_loader make_setup_state name open_resource patch post put record record_once
register register_blueprint register_error_handler root_path route send_static_file
static_folder static_url_path subdomain teardown_app_request teardown_app_websocket
teardown_request teardown_request_funcs teardown_websocket teardown_websocket_funcs
template_context_processors template_folder url_default_functions url_defaults url_prefix
url_value_preprocessor url_value_preprocessors url_values_defaults view_functions
websocket while_app_serving
""".split()

EMPTY = inspect.Parameter.empty
F = [("f", EMPTY)]
FUNC = [("func", EMPTY)]
NAME = [("name", None)]
RULE = [("rule", EMPTY), ("options", EMPTY)]

# Quart's parameters (name, default) in order, ``self`` left out.
QUART_BLUEPRINT_SIGNATURES: dict[str, list[tuple[str, object]]] = {
    "add_app_template_filter": [("f", EMPTY), ("name", None)],
    "add_app_template_global": [("f", EMPTY), ("name", None)],
    "add_app_template_test": [("f", EMPTY), ("name", None)],
    "add_url_rule": [
        ("rule", EMPTY),
        ("endpoint", None),
        ("view_func", None),
        ("provide_automatic_options", None),
        ("options", EMPTY),
    ],
    "add_websocket": [("rule", EMPTY), ("endpoint", None), ("view_func", None), ("options", EMPTY)],
    "after_app_request": F,
    "after_app_serving": FUNC,
    "after_app_websocket": FUNC,
    "after_request": F,
    "after_websocket": FUNC,
    "app_context_processor": F,
    "app_errorhandler": [("code", EMPTY)],
    "app_template_filter": NAME,
    "app_template_global": NAME,
    "app_template_test": NAME,
    "app_url_defaults": F,
    "app_url_value_preprocessor": F,
    "before_app_request": F,
    "before_app_serving": FUNC,
    "before_app_websocket": FUNC,
    "before_request": F,
    "before_websocket": FUNC,
    "context_processor": F,
    "delete": RULE,
    "endpoint": [("endpoint", EMPTY)],
    "errorhandler": [("code_or_exception", EMPTY)],
    "get": RULE,
    "get_send_file_max_age": [("filename", EMPTY)],
    "make_setup_state": [("app", EMPTY), ("options", EMPTY), ("first_registration", False)],
    "open_resource": [("path", EMPTY), ("mode", "rb")],
    "patch": RULE,
    "post": RULE,
    "put": RULE,
    "record": FUNC,
    "record_once": FUNC,
    "register": [("app", EMPTY), ("options", EMPTY)],
    "register_blueprint": [("blueprint", EMPTY), ("options", EMPTY)],
    "register_error_handler": [("code_or_exception", EMPTY), ("f", EMPTY)],
    "route": RULE,
    "send_static_file": [("filename", EMPTY)],
    "teardown_app_request": F,
    "teardown_app_websocket": FUNC,
    "teardown_request": F,
    "teardown_websocket": FUNC,
    "url_defaults": F,
    "url_value_preprocessor": F,
    "websocket": RULE,
    "while_app_serving": FUNC,
}


@pytest.mark.parametrize("name", QUART_BLUEPRINT_MEMBERS)
def test_quart_blueprint_member_exists(name: str) -> None:
    blueprint = Blueprint("bp", __name__)
    assert hasattr(blueprint, name), f"Blueprint lacks Quart's member {name!r}"


@pytest.mark.parametrize("name", sorted(QUART_BLUEPRINT_SIGNATURES))
def test_blueprint_signature_matches_quart(name: str) -> None:
    params = list(inspect.signature(getattr(Blueprint, name)).parameters.values())[1:]
    assert [(p.name, p.default) for p in params] == QUART_BLUEPRINT_SIGNATURES[name]


def test_quart_async_blueprint_methods_are_async() -> None:
    # open_resource returns an opener that is awaited in Quart's spelling and entered
    # with ``with`` in Flask's (tests/core/test_app_members.py).
    assert inspect.iscoroutinefunction(Blueprint.send_static_file)


async def test_app_wide_decorators_accept_func_by_keyword() -> None:
    """Quart code calling the decorators with ``func=`` works: each one registers."""
    events: list[str] = []
    bp = Blueprint("bp", __name__)

    async def before_ws() -> None:
        events.append("before_app_websocket")

    async def after_ws(response: object) -> object:
        events.append("after_app_websocket")
        return response

    async def teardown_ws(exc: BaseException | None) -> None:
        events.append("teardown_app_websocket")

    async def before_serving() -> None:
        events.append("before_app_serving")

    async def while_serving():  # type: ignore[no-untyped-def]
        events.append("while_app_serving")
        yield

    async def after_serving() -> None:
        events.append("after_app_serving")

    bp.before_app_websocket(func=before_ws)
    bp.after_app_websocket(func=after_ws)
    bp.teardown_app_websocket(func=teardown_ws)
    bp.before_app_serving(func=before_serving)
    bp.while_app_serving(func=while_serving)
    bp.after_app_serving(func=after_serving)

    app = Erlen(__name__, extra_plugins=["websocket"])

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    app.register_blueprint(bp)
    async with app.test_app() as test_app:
        async with test_app.test_client().websocket("/ws") as ws:
            await ws.send("hi")
            assert await ws.receive() == "hi"
    assert events == [
        "before_app_serving",
        "while_app_serving",
        "before_app_websocket",
        "after_app_websocket",
        "teardown_app_websocket",
        "after_app_serving",
    ]
