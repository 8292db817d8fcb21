"""``app.test_cli_runner()``: a click test runner with the app loaded (Quart's
``QuartCliRunner``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from click.testing import CliRunner
from erlen.cli import ScriptInfo

if TYPE_CHECKING:
    from erlen import Erlen


class ErlenCliRunner(CliRunner):
    """A click test runner that invokes ``app.cli`` (or another group) with the app loaded."""

    def __init__(self, app: Erlen, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """Invoke ``cli`` (default ``app.cli``) with a ScriptInfo for the app."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)
