"""API parity: every public member of Quart's app class exists on ``Erlen`` and the ones
an app calls behave as in Quart (read through the public API and the test client)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from erlen import Blueprint, Config, Erlen, Request, Response, abort, current_app, request
from erlen.json import DefaultJSONProvider
from erlen.logging import default_handler
from werkzeug.exceptions import Aborter, Forbidden

# The public members of ``quart.Quart`` (Quart 0.22 on Flask 3.1's sansio layer).
QUART_APP_MEMBERS = """
aborter aborter_class add_background_task add_template_filter add_template_global
add_template_test add_url_rule add_websocket after_request after_request_funcs
after_serving after_serving_funcs after_websocket after_websocket_funcs app_context
app_ctx_globals_class asgi_app asgi_http_class asgi_lifespan_class asgi_websocket_class
auto_find_instance_path background_tasks before_request before_request_funcs
before_serving before_serving_funcs before_websocket before_websocket_funcs blueprints cli
config config_class context_processor create_global_jinja_loader create_jinja_environment
create_url_adapter debug default_config delete dispatch_request dispatch_websocket
do_teardown_appcontext do_teardown_request do_teardown_websocket endpoint ensure_async
error_handler_spec errorhandler event_class extensions finalize_request finalize_websocket
full_dispatch_request full_dispatch_websocket get get_send_file_max_age
handle_background_exception handle_exception handle_http_exception handle_request
handle_url_build_error handle_user_exception handle_websocket handle_websocket_exception
has_static_folder import_name inject_url_defaults instance_path iter_blueprints jinja_env
jinja_environment jinja_loader jinja_options json json_provider_class lock_class
log_exception logger make_aborter make_config make_default_options_response make_response
make_shell_context name open_instance_resource open_resource patch
permanent_session_lifetime post postprocess_websocket preprocess_request
preprocess_websocket process_response put raise_routing_exception redirect
register_blueprint register_error_handler request_class request_context response_class
root_path route run run_task secret_key select_jinja_autoescape send_static_file
session_interface shell_context_processor shell_context_processors should_ignore_error
shutdown startup static_folder static_url_path subdomain_matching sync_to_async
teardown_appcontext teardown_appcontext_funcs teardown_request teardown_request_funcs
teardown_websocket teardown_websocket_funcs template_context_processors template_filter
template_folder template_global template_test test_app test_app_class test_cli_runner
test_cli_runner_class test_client test_client_class test_request_context testing
trap_http_exception update_template_context url_build_error_handlers
url_default_functions url_defaults url_for url_map url_map_class url_rule_class
url_value_preprocessor url_value_preprocessors view_functions websocket websocket_class
websocket_context while_serving while_serving_gens
""".split()

# open_resource and open_instance_resource are not among them: they return an opener that
# Quart's spelling awaits and Flask's enters with ``with`` (test_open_resource_*).
QUART_ASYNC_METHODS = """
asgi_app dispatch_request dispatch_websocket finalize_request finalize_websocket
full_dispatch_request full_dispatch_websocket handle_background_exception handle_exception
handle_http_exception handle_request handle_user_exception handle_websocket
handle_websocket_exception make_default_options_response make_response
postprocess_websocket preprocess_request
preprocess_websocket process_response send_static_file shutdown startup
update_template_context do_teardown_request do_teardown_websocket do_teardown_appcontext
""".split()

# Signatures a Quart app passes arguments to by name: (parameter names, defaults).
QUART_SIGNATURES: dict[str, list[tuple[str, Any]]] = {
    "add_url_rule": [
        ("rule", inspect.Parameter.empty),
        ("endpoint", None),
        ("view_func", None),
        ("provide_automatic_options", None),
        ("options", inspect.Parameter.empty),
    ],
    "add_websocket": [
        ("rule", inspect.Parameter.empty),
        ("endpoint", None),
        ("view_func", None),
        ("options", inspect.Parameter.empty),
    ],
    "url_for": [
        ("endpoint", inspect.Parameter.empty),
        ("_anchor", None),
        ("_external", None),
        ("_method", None),
        ("_scheme", None),
        ("values", inspect.Parameter.empty),
    ],
    "redirect": [("location", inspect.Parameter.empty), ("code", 302)],
    "run_task": [
        ("host", "127.0.0.1"),
        ("port", 5000),
        ("debug", None),
        ("ca_certs", None),
        ("certfile", None),
        ("keyfile", None),
        ("shutdown_trigger", None),
    ],
    "test_client": [("use_cookies", True), ("kwargs", inspect.Parameter.empty)],
    "finalize_request": [
        ("result", inspect.Parameter.empty),
        ("request_context", None),
        ("from_error_handler", False),
    ],
    "finalize_websocket": [
        ("result", inspect.Parameter.empty),
        ("websocket_context", None),
        ("from_error_handler", False),
    ],
    "make_response": [("result", inspect.Parameter.empty)],
    "log_exception": [("exception_info", inspect.Parameter.empty)],
    "open_resource": [("path", inspect.Parameter.empty), ("mode", "rb")],
    "open_instance_resource": [("path", inspect.Parameter.empty), ("mode", "rb")],
    "add_background_task": [
        ("func", inspect.Parameter.empty),
        ("args", inspect.Parameter.empty),
        ("kwargs", inspect.Parameter.empty),
    ],
    "before_serving": [("func", inspect.Parameter.empty)],
    "while_serving": [("func", inspect.Parameter.empty)],
    "after_serving": [("func", inspect.Parameter.empty)],
    "before_websocket": [("func", inspect.Parameter.empty)],
    "after_websocket": [("func", inspect.Parameter.empty)],
    "teardown_websocket": [("func", inspect.Parameter.empty)],
}

TEST_REQUEST_CONTEXT_PARAMS = """
path method headers query_string scheme send_push_promise data form json root_path
http_version scope_base auth subdomain
""".split()


@pytest.fixture
def app() -> Erlen:
    # Quart's app members include the templating ones (jinja_env, ...).
    return Erlen(__name__, extra_plugins=["templating"])


@pytest.mark.parametrize("name", QUART_APP_MEMBERS)
def test_quart_app_member_exists(app: Erlen, name: str) -> None:
    assert hasattr(app, name), f"Erlen lacks Quart's app member {name!r}"


@pytest.mark.parametrize("name", QUART_ASYNC_METHODS)
def test_quart_async_methods_are_async(name: str) -> None:
    assert inspect.iscoroutinefunction(getattr(Erlen, name)), name


@pytest.mark.parametrize("name", sorted(QUART_SIGNATURES))
def test_signature_matches_quart(name: str) -> None:
    params = list(inspect.signature(getattr(Erlen, name)).parameters.values())[1:]
    # Quart's parameters, in order and with their defaults; a trailing ``**kwargs`` is an
    # Erlen extension (extra serving options) that leaves every Quart call valid.
    expected = QUART_SIGNATURES[name]
    if len(params) == len(expected) + 1 and params[-1].kind is inspect.Parameter.VAR_KEYWORD:
        params = params[:-1]
    assert [(p.name, p.default) for p in params] == expected


def test_test_request_context_and_run_parameters() -> None:
    params = inspect.signature(Erlen.test_request_context).parameters
    assert list(params)[1:] == TEST_REQUEST_CONTEXT_PARAMS
    run = inspect.signature(Erlen.run).parameters
    for name in ("host", "port", "debug", "use_reloader", "loop", "ca_certs", "certfile"):
        assert name in run


def test_constructor_parameters_match_quart() -> None:
    params = inspect.signature(Erlen.__init__).parameters
    expected = {
        "import_name": inspect.Parameter.empty,
        "static_url_path": None,
        "static_folder": "static",
        "static_host": None,
        "host_matching": False,
        "subdomain_matching": False,
        "template_folder": "templates",
        "instance_path": None,
        "instance_relative_config": False,
        "root_path": None,
    }
    assert {name: params[name].default for name in expected} == expected


# --- names, classes, config attributes ------------------------------------------------


def test_name_and_import_name(app: Erlen) -> None:
    assert app.import_name == __name__
    assert app.name == __name__
    assert repr(app) == f"<Erlen {__name__!r}>"


def test_swappable_classes_defaults(app: Erlen) -> None:
    assert app.config_class is Config
    assert isinstance(app.config, Config)
    assert app.request_class is Request
    assert app.response_class is Response
    assert app.aborter_class is Aborter
    assert app.event_class is asyncio.Event
    assert app.lock_class is asyncio.Lock
    assert isinstance(app.aborter, Aborter)
    assert isinstance(app.json, app.json_provider_class)


async def test_response_and_request_class_swap() -> None:
    class MyResponse(Response):
        default_mimetype = "text/plain"

    class MyRequest(Request):
        @property
        def shout(self) -> str:
            return self.path.upper()

    class MyApp(Erlen):
        response_class = MyResponse
        request_class = MyRequest

    app = MyApp(__name__)

    @app.route("/hi")
    async def hi() -> str:
        assert isinstance(request._get_current_object(), MyRequest)
        return request.shout  # type: ignore[attr-defined,no-any-return]

    response = await app.test_client().get("/hi")
    assert isinstance(response, MyResponse)
    assert await response.get_data(as_text=True) == "/HI"
    assert response.mimetype == "text/plain"


def test_config_class_swap() -> None:
    class MyConfig(Config):
        pass

    class MyApp(Erlen):
        config_class = MyConfig

    assert isinstance(MyApp(__name__).config, MyConfig)


async def test_json_provider_class_swap() -> None:
    class Shouting(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return super().dumps(obj, **kwargs).upper()

    class MyApp(Erlen):
        json_provider_class = Shouting

    app = MyApp(__name__)
    assert isinstance(app.json, Shouting)

    @app.route("/")
    async def index() -> dict[str, str]:
        return {"a": "b"}

    response = await app.test_client().get("/")
    assert await response.get_json() == {"A": "B"}


async def test_aborter_class_and_make_aborter() -> None:
    class Teapot(Forbidden):
        code = 418
        description = "short and stout"

    class MyAborter(Aborter):
        def __init__(self) -> None:
            super().__init__(extra={418: Teapot})

    class MyApp(Erlen):
        aborter_class = MyAborter

    app = MyApp(__name__)
    assert isinstance(app.make_aborter(), MyAborter)
    assert isinstance(app.aborter, MyAborter)

    @app.route("/tea")
    async def tea() -> str:
        abort(418)

    response = await app.test_client().get("/tea")
    assert response.status_code == 418
    assert "short and stout" in await response.get_data(as_text=True)


def test_config_attributes(app: Erlen) -> None:
    assert (app.testing, app.debug, app.secret_key) == (False, False, None)
    app.testing, app.debug, app.secret_key = True, True, "k"
    assert (app.config["TESTING"], app.config["DEBUG"], app.config["SECRET_KEY"]) == (
        True,
        True,
        "k",
    )
    assert app.permanent_session_lifetime == timedelta(days=31)
    app.permanent_session_lifetime = 30  # type: ignore[assignment]
    assert app.permanent_session_lifetime == timedelta(seconds=30)


def test_static_url_path_and_folder(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    app = Erlen(__name__, root_path=str(tmp_path), static_folder="assets")
    assert app.static_url_path == "/assets"
    assert app.static_folder == str(tmp_path / "assets")
    assert app.has_static_folder
    custom = Erlen(__name__, root_path=str(tmp_path), static_url_path="/s/")
    assert custom.static_url_path == "/s"
    assert [r.rule for r in custom.url_map.iter_rules("static")] == ["/s/<path:filename>"]


async def test_send_static_file(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("static!")
    app = Erlen(__name__, root_path=str(tmp_path))
    response = await app.test_client().get("/static/a.txt")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "static!"
    assert app.get_send_file_max_age("a.txt") == 12 * 3600


# --- instance folder and resources ------------------------------------------------------


def test_auto_find_instance_path_package_and_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "parity_pkg").mkdir()
    (tmp_path / "parity_pkg" / "__init__.py").write_text("")
    (tmp_path / "parity_mod.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    package_app = Erlen("parity_pkg")
    assert package_app.instance_path == str(tmp_path / "instance")
    assert package_app.auto_find_instance_path() == str(tmp_path / "instance")
    assert Erlen("parity_mod").instance_path == str(tmp_path / "instance")
    for name in ("parity_pkg", "parity_mod"):
        sys.modules.pop(name, None)


def test_instance_path_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="absolute"):
        Erlen(__name__, instance_path="relative/instance")


async def test_open_resource_and_instance_resource(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE t;")
    instance = tmp_path / "instance"
    instance.mkdir()
    app = Erlen(__name__, root_path=str(tmp_path), instance_path=str(instance))
    async with await app.open_resource("schema.sql") as f:
        assert await f.read() == b"CREATE TABLE t;"
    async with await app.open_resource("schema.sql", "r") as f:
        assert await f.read() == "CREATE TABLE t;"
    with pytest.raises(ValueError):
        await app.open_resource("schema.sql", "w")
    async with await app.open_instance_resource("state.txt", "w") as f:
        await f.write("saved")
    assert (instance / "state.txt").read_text() == "saved"
    async with await app.open_instance_resource("state.txt") as f:
        assert await f.read() == b"saved"


async def test_blueprint_open_resource(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("bp data")
    bp = Blueprint("bp", __name__, root_path=str(tmp_path))
    async with await bp.open_resource("data.txt") as f:
        assert await f.read() == b"bp data"
    with bp.open_resource("data.txt", "r") as plain:
        assert plain.read() == "bp data"


def test_open_resource_with_flasks_spelling(tmp_path: Path) -> None:
    """Flask's tutorial reads its schema with a plain ``with`` in a sync command: the
    same lines work, and the file is closed after the block."""
    (tmp_path / "schema.sql").write_text("CREATE TABLE t;")
    instance = tmp_path / "instance"
    instance.mkdir()
    app = Erlen(__name__, root_path=str(tmp_path), instance_path=str(instance))
    with app.open_resource("schema.sql") as f:
        assert f.read().decode("utf8") == "CREATE TABLE t;"
    assert f.closed
    with app.open_instance_resource("state.txt", "w") as out:
        out.write("saved")
    assert (instance / "state.txt").read_text() == "saved"
    with pytest.raises(ValueError, match="only be opened for reading"):
        app.open_resource("schema.sql", "w")


def test_flask_tutorial_init_db_command_reads_its_schema(tmp_path: Path) -> None:
    """Flask's tutorial's ``init-db``, a plain click command reading the schema with
    ``with current_app.open_resource(...)``, runs as written and prints its line."""
    (tmp_path / "schema.sql").write_text("CREATE TABLE post (id INTEGER);")
    app = Erlen(__name__, root_path=str(tmp_path))
    app.config["DATABASE"] = str(tmp_path / "app.sqlite")

    @click.command("init-db")
    def init_db_command() -> None:
        connection = sqlite3.connect(current_app.config["DATABASE"])
        with current_app.open_resource("schema.sql") as f:
            connection.executescript(f.read().decode("utf8"))
        connection.close()
        click.echo("Initialized the database.")

    app.cli.add_command(init_db_command)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.output == "Initialized the database.\n"
    assert result.exit_code == 0
    connection = sqlite3.connect(app.config["DATABASE"])
    assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("post",)]
    connection.close()


async def test_open_resource_async_with_without_await(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("data")
    app = Erlen(__name__, root_path=str(tmp_path))
    async with app.open_resource("data.txt") as f:
        assert await f.read() == b"data"
    assert f.closed


def test_jinja_loader(tmp_path: Path) -> None:
    app = Erlen(__name__, root_path=str(tmp_path))
    assert app.jinja_loader is not None
    assert app.jinja_loader.searchpath == [str(tmp_path / "templates")]
    assert Erlen(__name__, template_folder=None).jinja_loader is None


# --- logger ---------------------------------------------------------------------------


def test_logger_name_level_and_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    name = "parity_logger_app"
    app = Erlen(name)
    logger = logging.getLogger(name)
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    assert app.logger is logger
    assert logger.handlers == [default_handler]  # nothing else would show its records
    debug_name = "parity_logger_debug_app"
    debug_logger = logging.getLogger(debug_name)
    monkeypatch.setattr(debug_logger, "handlers", [])
    monkeypatch.setattr(debug_logger, "level", logging.NOTSET)
    debug_app = Erlen(debug_name)
    debug_app.debug = True
    assert debug_app.logger.level == logging.DEBUG  # debug as it is at the first access


def test_logger_default_handler_stays_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flask's documented way to drop the default handler: it is not added back by a
    later ``app.logger`` (the logger is configured once, at its first access)."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    name = "parity_logger_removed"
    logger = logging.getLogger(name)
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    app = Erlen(name)
    app.logger.removeHandler(default_handler)
    app.logger.addHandler(logging.NullHandler())
    assert [type(handler) for handler in app.logger.handlers] == [logging.NullHandler]
    app.debug = True
    assert app.logger.level == logging.NOTSET  # configured at the first access only


def test_logger_keeps_configured_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = logging.getLogger("parity_parent")
    handler = logging.NullHandler()
    monkeypatch.setattr(parent, "handlers", [handler])
    child = logging.getLogger("parity_parent.app")
    monkeypatch.setattr(child, "handlers", [])
    app = Erlen("parity_parent.app")
    assert app.logger is child
    assert child.handlers == []  # the parent's handler shows the records already
