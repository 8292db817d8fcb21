"""``kernel run`` serves through ``app.run()`` with Quart's arguments: an app class that
overrides ``run`` sees what the command line asked for (the real serving path is tested
in test_cli_run.py)."""

from __future__ import annotations

from typing import Any

import pytest
from erlen import Erlen
from erlen.cli import ScriptInfo, make_cli

from tests.cli_helpers import stderr_apart_runner


class RecordingApp(Erlen):
    """A user's app class whose ``run`` records its arguments instead of serving."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.run_calls: list[dict[str, Any]] = []

    def run(self, **kwargs: Any) -> None:  # type: ignore[override]
        self.run_calls.append(kwargs)


_KERNEL_NAMES = ("RUN_PORT", "RUN_HOST", "RUN_CERTFILE", "RUN_KEYFILE", "RUN_RELOAD")


def run(app: Erlen, *args: str, env: dict[str, str | None] | None = None) -> Any:
    # The kernel group marks the process as a CLI run; keep that out of later tests.
    # CliRunner restores the variables named here: also those a legacy FLASK_RUN_* sets.
    kernel = dict.fromkeys(f"KERNEL_{name}" for name in _KERNEL_NAMES)
    env = {"KERNEL_RUN_FROM_CLI": None, "KERNEL_DEBUG": None, **kernel, **(env or {})}
    return stderr_apart_runner().invoke(
        make_cli(), ["run", *args], obj=ScriptInfo(create_app=lambda: app), env=env
    )


QUART_DEFAULTS = {
    "debug": False,
    "host": "127.0.0.1",
    "port": 5000,
    "certfile": None,
    "keyfile": None,
    "use_reloader": False,
}


def test_defaults_are_quarts() -> None:
    app = RecordingApp(__name__)
    result = run(app)
    assert result.exit_code == 0, result.output
    assert app.run_calls == [QUART_DEFAULTS]


def test_debug_set_in_code_is_not_debug_mode_for_kernel_run() -> None:
    # As `flask run` and `quart run`: debug mode comes from --debug or KERNEL_DEBUG.
    app = RecordingApp(__name__)
    app.debug = True
    result = run(app)
    assert result.exit_code == 0, result.output
    assert app.run_calls == [QUART_DEFAULTS]


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--debug"], {}), ([], {"KERNEL_DEBUG": "1"})],
    ids=["option", "environment"],
)
def test_debug_mode_turns_the_reloader_on(args: list[str], env: dict[str, str]) -> None:
    app = RecordingApp(__name__)
    result = run(app, *args, env=env)
    assert result.exit_code == 0, result.output
    assert app.run_calls == [{**QUART_DEFAULTS, "debug": True, "use_reloader": True}]


def test_no_reload_wins_over_debug() -> None:
    app = RecordingApp(__name__)
    result = run(app, "--debug", "--no-reload")
    assert result.exit_code == 0, result.output
    assert app.run_calls == [{**QUART_DEFAULTS, "debug": True}]


def test_options_beyond_quarts_are_passed_only_when_given(tmp_path: Any) -> None:
    app = RecordingApp(__name__)
    result = run(
        app,
        "--host",
        "0.0.0.0",
        "--port",
        "8123",
        "--workers",
        "2",
        "--root-path",
        "/app",
        "--no-access-log",
        "--graceful-timeout",
        "1.5",
    )
    assert result.exit_code == 0, result.output
    assert app.run_calls == [
        {
            **QUART_DEFAULTS,
            "host": "0.0.0.0",
            "port": 8123,
            "workers": 2,
            "root_path": "/app",
            "access_log": False,
            "graceful_timeout": 1.5,
        }
    ]


def test_a_config_file_keeps_its_bind_unless_host_or_port_is_given(tmp_path: Any) -> None:
    config = tmp_path / "hypercorn.toml"
    config.write_text('bind = ["127.0.0.1:8765"]\n')
    app = RecordingApp(__name__)
    result = run(app, "--config", str(config))
    assert result.exit_code == 0, result.output
    assert app.run_calls == [
        {**QUART_DEFAULTS, "host": None, "port": None, "config_file": str(config)}
    ]


def test_run_help_is_plain_text() -> None:
    # click prints the command's docstring: it showed ``app.run()`` and ``--debug``.
    result = run(RecordingApp(__name__), "--help")
    assert result.exit_code == 0, result.output
    assert "Serves through app.run(), as Quart's run command does" in result.output
    assert "``" not in result.output


def test_flask_and_quart_run_variables_are_read_with_a_hint(tmp_path: Any) -> None:
    # A ported project's environment (or .env/.quartenv): FLASK_RUN_PORT was ignored
    # without a word, and the server came up on 5000.
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    env = {
        "FLASK_RUN_PORT": "8123",
        "QUART_RUN_HOST": "0.0.0.0",
        "FLASK_RUN_CERT": str(cert),
        "FLASK_RUN_KEY": str(key),
        "FLASK_DEBUG": "1",
        "FLASK_RUN_RELOAD": "0",
    }
    app = RecordingApp(__name__)
    result = run(app, env=env)
    assert result.exit_code == 0, result.output
    assert app.run_calls == [
        {
            **QUART_DEFAULTS,
            "debug": True,
            "host": "0.0.0.0",
            "port": 8123,
            "certfile": str(cert),
            "keyfile": str(key),
        }
    ]
    assert sorted(result.stderr.strip().splitlines()) == sorted(
        f"Warning: {name} is deprecated for the kernel command; set {target} instead."
        for name, target in [
            ("FLASK_RUN_PORT", "KERNEL_RUN_PORT"),
            ("QUART_RUN_HOST", "KERNEL_RUN_HOST"),
            ("FLASK_RUN_CERT", "KERNEL_RUN_CERTFILE"),
            ("FLASK_RUN_KEY", "KERNEL_RUN_KEYFILE"),
            ("FLASK_DEBUG", "KERNEL_DEBUG"),
            ("FLASK_RUN_RELOAD", "KERNEL_RUN_RELOAD"),
        ]
    )


def test_kernel_variables_and_options_beat_flasks() -> None:
    app = RecordingApp(__name__)
    env = {"FLASK_RUN_PORT": "8123", "KERNEL_RUN_PORT": "8124", "QUART_RUN_HOST": "0.0.0.0"}
    result = run(app, "--host", "127.0.0.2", env=env)
    assert result.exit_code == 0, result.output
    assert app.run_calls == [{**QUART_DEFAULTS, "host": "127.0.0.2", "port": 8124}]
