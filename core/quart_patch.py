"""Make ``import quart`` resolve to Erlen, so Quart extensions run unchanged.

Import this module before anything imports ``quart`` (in a test run, load it as a pytest
plugin: ``pytest -p erlen.quart_patch``, which pytest imports before any conftest)::

    import erlen.quart_patch  # noqa: F401  (first)
    import quart_cors          # its ``from quart import ...`` now gets Erlen's objects

From then on ``quart`` is the module ``erlen`` and every ``quart.X`` submodule is
``erlen.X`` (the same module object, so a monkeypatch on one is seen through the
other), whether or not the real Quart is installed: pip installs it as the extensions'
dependency, and none of its code runs. A ``quart.X`` that Erlen has no ``erlen.X`` for
raises ``ModuleNotFoundError``; the real Quart's module is never used in its place.

Each aliased module, and each of its submodules imported by then (an attribute of it,
as ``quart.app`` is after ``import quart``), also answers Quart's class names: ``quart.Quart`` is
:class:`erlen.Erlen`, ``quart.testing.QuartClient`` is ``erlen.testing.ErlenClient``,
and so on for every ``Erlen*`` name (also added to the module's ``__all__``, so
``from quart import *`` has ``Quart``). Quart's public API spells no other name
differently. ``quart.flask_patch`` is refused with an ``ImportError`` that says why:
Flask extensions are not supported this way. ``importlib.metadata`` is left alone:
``version("quart")`` reports the installed Quart distribution, if any.

The patch is process-wide and cannot be undone: it is meant for an app's entry point or
a test run, the way ``quart.flask_patch`` serves Flask extensions. Importing it after
the real ``quart`` was imported raises :class:`RuntimeError`, because objects made from
the real Quart would be mixed with Erlen's.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["QuartAliasFinder", "install", "quart_name_for"]

#: The import name this patch takes over.
QUART = "quart"
#: The import name it resolves to.
ERLEN = "erlen"


def quart_name_for(erlen_name: str) -> str | None:
    """Return the Quart spelling of an ``Erlen*`` attribute name, or None if it has none.

    >>> quart_name_for("ErlenClient")
    'QuartClient'
    """
    if erlen_name.startswith("Erlen"):
        return "Quart" + erlen_name[len("Erlen") :]
    return None


def _erlen_names(module: ModuleType) -> list[str]:
    """The ``Erlen*`` names a module offers: its ``__all__`` and its namespace."""
    names = set(getattr(module, "__all__", ()))
    names.update(vars(module))
    return sorted(name for name in names if name.startswith("Erlen"))


def add_quart_names(module: ModuleType) -> None:
    """Give ``module`` a ``Quart*`` alias for each of its ``Erlen*`` names (and add it to
    ``__all__`` where the Erlen name is there, so ``from quart import *`` has ``Quart``)."""
    exported = getattr(module, "__all__", None)
    for name in _erlen_names(module):
        quart_name = quart_name_for(name)
        if quart_name is None:
            continue
        if quart_name not in vars(module):
            setattr(module, quart_name, getattr(module, name))
        if isinstance(exported, list) and name in exported and quart_name not in exported:
            exported.append(quart_name)


#: The submodules ``import quart`` leaves reachable as attributes (``quart.testing``) that
#: ``import erlen`` imports only on use; the patch imports them with ``quart``, so code
#: that reaches them without an import of its own finds them, as on Quart.
REACHABLE_AFTER_IMPORT = ("asgi", "cli", "testing", "wrappers.websocket")


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system an already imported Erlen module under a ``quart`` name."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.erlen_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        if self.target == ERLEN:
            for name in REACHABLE_AFTER_IMPORT:
                importlib.import_module(f"{ERLEN}.{name}")
        # Not only this module: its imported submodules are already attributes of it,
        # reached without an import statement (``import quart`` then ``quart.app.Quart``).
        for name, loaded in list(sys.modules.items()):
            if name == self.target or name.startswith(self.target + "."):
                add_quart_names(loaded)
        self.erlen_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The module was executed when Erlen imported it; nothing is run twice. The
        # import system has just set ``__spec__`` to the ``quart`` spec: give the module
        # back its own, so that ``__package__`` and ``__spec__.parent`` still agree.
        module.__spec__ = self.erlen_spec


#: Quart modules Erlen deliberately has no counterpart for, with the reason given when
#: one is imported (instead of a bare "No module named ...").
UNSUPPORTED = {
    "quart.flask_patch": (
        "Erlen has no quart.flask_patch: Flask extensions are not supported through"
        " erlen.quart_patch (port the extension's Flask calls to Quart's API; see"
        " docs/porting.md, 'Quart extensions')"
    ),
}


class _RefusingLoader(importlib.abc.Loader):
    """Raises ImportError, with the reason, for a module listed in :data:`UNSUPPORTED`."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        raise ImportError(self.reason, name=spec.name)

    def exec_module(self, module: ModuleType) -> None:  # pragma: no cover - never reached
        raise ImportError(self.reason, name=module.__name__)


class QuartAliasFinder(importlib.abc.MetaPathFinder):
    """A meta path finder that resolves ``quart`` and ``quart.*`` to ``erlen`` modules."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """Return a spec that loads ``erlen.X`` for ``quart.X``; None for other names.

        A ``quart.X`` Erlen has no ``erlen.X`` for gets no spec here, and none from the
        real Quart either (its parent ``quart`` is ``erlen``, whose ``__path__`` is
        searched): ``ModuleNotFoundError``, never a mix of the two frameworks."""
        if fullname != QUART and not fullname.startswith(QUART + "."):
            return None
        if fullname in UNSUPPORTED:
            return importlib.machinery.ModuleSpec(fullname, _RefusingLoader(UNSUPPORTED[fullname]))
        erlen_name = ERLEN + fullname[len(QUART) :]
        if importlib.util.find_spec(erlen_name) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(erlen_name))


def install() -> None:
    """Install the alias finder (idempotent); called when this module is imported."""
    if any(isinstance(finder, QuartAliasFinder) for finder in sys.meta_path):
        return
    already = sorted(
        name
        for name, module in sys.modules.items()
        if (name == QUART or name.startswith(QUART + "."))
        and not getattr(module, "__name__", "").startswith(ERLEN)
    )
    if already:
        raise RuntimeError(
            "erlen.quart_patch must be imported before quart; already imported: "
            + ", ".join(already)
        )
    sys.meta_path.insert(0, QuartAliasFinder())


install()
