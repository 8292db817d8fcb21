"""``kernel run`` mistakes (TLS files, hypercorn config) get one ``Error:`` line and a
non-zero exit code."""

from __future__ import annotations

from pathlib import Path

from tests import cli_helpers
from tests.cli_helpers import module_with, one_error_line

project = cli_helpers.project  # the fixture, shared with the other CLI error tests


def test_bad_certificate_path(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n")
    line = one_error_line(
        "--app", module, "run", "--port", "0", "--certfile", "nope.pem", "--keyfile", "nope.key"
    )
    assert line == "Error: TLS certificate file 'nope.pem' does not exist."


def test_certificate_without_key(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n")
    (project / "cert.pem").write_text("x")
    line = one_error_line("--app", module, "run", "--port", "0", "--certfile", "cert.pem")
    assert line == "Error: TLS needs both a certificate and a key: --certfile without --keyfile."


def test_unreadable_certificate(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n")
    (project / "cert.pem").write_text("not a certificate")
    (project / "key.pem").write_text("not a key")
    line = one_error_line(
        "--app", module, "run", "--port", "0", "--certfile", "cert.pem", "--keyfile", "key.pem"
    )
    assert line.startswith("Error: Could not load the TLS certificate 'cert.pem'")


def test_missing_hypercorn_config(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n")
    line = one_error_line("--app", module, "run", "--config", "nope.toml")
    assert line == "Error: Hypercorn config file 'nope.toml' does not exist."
