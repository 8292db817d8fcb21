"""Config: Quart's default keys and the Flask loaders."""

from __future__ import annotations

import json
import sys
import types
from datetime import timedelta
from pathlib import Path

import pytest
from erlen import Config, Erlen

QUART_DEFAULTS = {
    "APPLICATION_ROOT": "/",
    "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5,
    "BODY_TIMEOUT": 60,
    "DEBUG": None,
    "ENV": None,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_COOKIE_SIZE": 4093,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "MAX_FORM_PART_HEADERS_SIZE": 250_000,
    "MAX_FORM_TOTAL_MEMORY_SIZE": 2_500_000,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "PREFERRED_URL_SCHEME": "http",
    "PREFER_SECURE_URLS": False,
    "PRESERVE_CONTEXT_ON_EXCEPTION": None,
    "PROPAGATE_EXCEPTIONS": None,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
    "RESPONSE_TIMEOUT": 60,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "SEND_FILE_MAX_AGE_DEFAULT": timedelta(hours=12),
    "SERVER_NAME": None,
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_SAMESITE": None,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_REFRESH_EACH_REQUEST": True,
    "TEMPLATES_AUTO_RELOAD": None,
    "TESTING": False,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "TRUSTED_HOSTS": None,
    "USE_X_SENDFILE": False,
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("KERNEL_DEBUG", raising=False)
    monkeypatch.delenv("ERLEN_DEBUG", raising=False)
    return monkeypatch


def test_quart_default_keys_and_values(clean_env: pytest.MonkeyPatch) -> None:
    app = Erlen(__name__)
    assert dict(Erlen.default_config) == QUART_DEFAULTS
    for key, value in QUART_DEFAULTS.items():
        if key == "DEBUG":
            # As in Quart: default_config holds None, the instance the env flag's bool.
            assert app.config[key] is False
        else:
            assert app.config[key] == value, key
    assert app.debug is False
    assert app.testing is False
    assert app.secret_key is None
    assert app.permanent_session_lifetime == timedelta(days=31)


def test_config_attributes_write_through() -> None:
    app = Erlen(__name__)
    app.testing = True
    app.secret_key = "s3cret"
    app.debug = True
    assert app.config["TESTING"] is True
    assert app.config["SECRET_KEY"] == "s3cret"
    assert app.config["DEBUG"] is True
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    assert app.permanent_session_lifetime == timedelta(seconds=60)


def test_debug_from_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("KERNEL_DEBUG", "1")
    assert Erlen(__name__).debug is True
    clean_env.setenv("KERNEL_DEBUG", "false")
    assert Erlen(__name__).debug is False


class Settings:
    SECRET_KEY = "from-object"
    MAX_CONTENT_LENGTH = 10
    lowercase = "ignored"


def test_from_object() -> None:
    config = Config(".")
    config.from_object(Settings)
    assert config["SECRET_KEY"] == "from-object"
    assert config["MAX_CONTENT_LENGTH"] == 10
    assert "lowercase" not in config


def test_from_object_import_string(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("erlen_test_settings")
    module.DEBUG = True  # type: ignore[attr-defined]
    module.other = 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "erlen_test_settings", module)
    config = Config(".")
    config.from_object("erlen_test_settings")
    assert config["DEBUG"] is True
    assert "other" not in config


def test_from_mapping() -> None:
    config = Config(".")
    assert config.from_mapping({"A": 1, "b": 2}, C=3) is True
    assert config == {"A": 1, "C": 3}


def test_from_pyfile(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text("SECRET_KEY = 'py'\nTIMEOUT = 2 * 3\nhelper = 1\n")
    config = Config(tmp_path)
    assert config.from_pyfile("settings.py") is True
    assert config == {"SECRET_KEY": "py", "TIMEOUT": 6}
    assert config.from_pyfile("missing.py", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_pyfile("missing.py")


def test_from_file(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"NAME": "json", "low": 1}))
    config = Config(tmp_path)
    assert config.from_file("settings.json", load=json.load) is True
    assert config == {"NAME": "json"}
    assert config.from_file("nope.json", load=json.load, silent=True) is False
    with pytest.raises(OSError):
        config.from_file("nope.json", load=json.load)


def test_from_file_binary_mode(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_bytes(b'{"SECRET_KEY": "binary", "PORT": 8000}')
    seen: list[type] = []

    def load(f: object) -> object:
        seen.append(type(f.read(0)))  # type: ignore[attr-defined]
        return json.load(f)  # type: ignore[arg-type]

    config = Config(tmp_path)
    config.from_file("settings.json", load=load, text=False)
    assert config == {"SECRET_KEY": "binary", "PORT": 8000}
    assert seen == [bytes]


def test_from_envvar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "s.py").write_text("X = 1\n")
    monkeypatch.setenv("ERLEN_TEST_SETTINGS", str(tmp_path / "s.py"))
    config = Config(tmp_path)
    assert config.from_envvar("ERLEN_TEST_SETTINGS") is True
    assert config["X"] == 1
    monkeypatch.delenv("ERLEN_TEST_SETTINGS")
    assert config.from_envvar("ERLEN_TEST_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError, match="is not set"):
        config.from_envvar("ERLEN_TEST_SETTINGS")


def test_from_prefixed_env_default_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNEL_SECRET_KEY", "env-secret")
    monkeypatch.setenv("KERNEL_MAX_CONTENT_LENGTH", "1024")
    monkeypatch.setenv("KERNEL_FEATURE_ON", "true")
    monkeypatch.setenv("KERNEL_DB__HOST", "db.local")
    monkeypatch.setenv("KERNEL_DB__PORT", "5432")
    monkeypatch.setenv("OTHER_KEY", "ignored")
    config = Config(".")
    assert config.from_prefixed_env() is True
    assert config["SECRET_KEY"] == "env-secret"
    assert config["MAX_CONTENT_LENGTH"] == 1024
    assert config["FEATURE_ON"] is True
    assert config["DB"] == {"HOST": "db.local", "PORT": 5432}
    assert "KEY" not in config


def test_from_prefixed_env_names_the_flask_settings_it_leaves_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A Flask app's deployment sets FLASK_SECRET_KEY for app.config.from_prefixed_env()
    # (Flask's default prefix); Erlen's is KERNEL, and the key was dropped without a word.
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-flask")
    monkeypatch.setenv("FLASK_APP", "flaskr")  # the command line's own: not named
    monkeypatch.setenv("FLASK_RUN_PORT", "8000")
    monkeypatch.setenv("QUART_TIMEOUT", "5")
    monkeypatch.setenv("KERNEL_TIMEOUT", "6")  # renamed already: not named
    config = Config(".")
    with pytest.warns(UserWarning) as caught:
        config.from_prefixed_env()
    assert [str(w.message) for w in caught] == [
        "app.config.from_prefixed_env() reads KERNEL_* variables in Erlen, so"
        " FLASK_SECRET_KEY is not read: rename it KERNEL_SECRET_KEY, or call"
        " from_prefixed_env('FLASK')."
    ]
    assert caught[0].filename == __file__  # the line that called it
    assert "SECRET_KEY" not in config or config["SECRET_KEY"] is None
    assert config["TIMEOUT"] == 6
    config.from_prefixed_env("FLASK")  # what the warning proposes: no warning then
    assert config["SECRET_KEY"] == "from-flask"


def test_from_prefixed_env_custom_prefix_and_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYAPP_NUMBER", "42")
    config = Config(".")
    config.from_prefixed_env("MYAPP", loads=str)
    assert config["NUMBER"] == "42"


def test_get_namespace() -> None:
    config = Config(".", {"IMAGE_STORE_TYPE": "fs", "IMAGE_STORE_PATH": "/x", "OTHER": 1})
    assert config.get_namespace("IMAGE_STORE_") == {"type": "fs", "path": "/x"}
    assert config.get_namespace("IMAGE_STORE_", lowercase=False, trim_namespace=False) == {
        "IMAGE_STORE_TYPE": "fs",
        "IMAGE_STORE_PATH": "/x",
    }


def test_instance_relative_config(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "cfg.py").write_text("FROM_INSTANCE = True\n")
    app = Erlen(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_pyfile("cfg.py")
    assert app.config["FROM_INSTANCE"] is True


async def test_config_is_read_by_the_app() -> None:
    app = Erlen(__name__)
    app.config.from_mapping(MAX_CONTENT_LENGTH=5)

    @app.route("/", methods=["POST"])
    async def view() -> str:
        from erlen import request

        return str(len(await request.get_data()))

    response = await app.test_client().post("/", data=b"123456")
    assert response.status_code == 413


def test_kernel_config_keys_are_exactly_quarts(clean_env: pytest.MonkeyPatch) -> None:
    # Plugins may add their own keys; the kernel alone has Quart's 35, no more, no less.
    app = Erlen(__name__, plugins=[])
    assert set(app.config) == set(QUART_DEFAULTS)
    assert dict(app.config) == {**QUART_DEFAULTS, "DEBUG": False}
