"""``erlen.cli.run_command``, Quart's ``quart.cli.run_command``: the serving plugin's ``run``
command, for code that imports it by that name (quart-flask-patch re-exports it) or adds
it to a group of its own."""

from __future__ import annotations

from click.testing import CliRunner
from erlen.cli import ErlenGroup, run_command


def test_run_command_added_to_a_group_of_ones_own_serves_its_options() -> None:
    group = ErlenGroup(name="manage", add_default_commands=False)
    group.add_command(run_command)
    result = CliRunner().invoke(group, ["run", "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: manage run [OPTIONS]" in result.output
    assert "--port" in result.output and "--reload" in result.output


def test_it_is_the_command_kernel_run_runs() -> None:
    result = CliRunner().invoke(ErlenGroup(name="kernel"), ["run", "--help"])
    assert result.exit_code == 0, result.output
    own = CliRunner().invoke(run_command, ["--help"], prog_name="kernel run")
    assert own.output == result.output
