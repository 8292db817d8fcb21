"""Check that the built API reference documents every public name.

    python docs/check_reference.py [docs/_build/html/objects.inv]

Reads the inventory Sphinx wrote (``objects.inv``) and compares it with what the code
exports: every name of ``erlen`` (Quart's names), of Quart's public submodules, of
``erlen.testing`` and ``erlen.exceptions``, and the ``__all__`` of each first-party
plugin. A name counts as documented when it, or the same object under another public
path (``erlen.plugins.testing.TestClient`` is ``erlen.testing.TestClient``), is in the
inventory. Exit status 1 lists what is missing. ``.ci/run`` runs it after building the
site; tests/docs/test_api_reference.py tests it without building.
"""

from __future__ import annotations
import __future__

import importlib
import re
import sys
import types
import zlib
from collections.abc import Iterable
from pathlib import Path

DEFAULT_INVENTORY = Path(__file__).with_name("_build") / "html" / "objects.inv"

#: Quart's public submodules, and the names of each that Erlen documents.
SUBMODULES = {
    "erlen.views": ["View", "MethodView", "http_method_funcs"],
    "erlen.ctx": ["AppContext", "RequestContext", "WebsocketContext"],
    "erlen.signals": [
        "websocket_received",
        "websocket_sent",
        "got_background_exception",
        "got_serving_exception",
    ],
    "erlen.sessions": [
        "SessionInterface",
        "SecureCookieSessionInterface",
        "SecureCookieSession",
        "SessionMixin",
        "NullSession",
    ],
    "erlen.utils": ["run_sync", "run_sync_iterable", "encode_headers", "decode_headers"],
    "erlen.helpers": [
        "DEFAULT_MIMETYPE",
        "get_debug_flag",
        "get_load_dotenv",
        "find_package",
        "get_root_path",
        "safe_join",
        "locked_cached_property",
    ],
    "erlen.globals": ["app_ctx", "request_ctx", "websocket_ctx"],
    "erlen.logging": ["LocalQueueHandler"],
    "erlen.json.tag": [
        "JSONTag",
        "TaggedJSONSerializer",
        "TagDict",
        "PassDict",
        "TagTuple",
        "PassList",
        "TagBytes",
        "TagMarkup",
        "TagUUID",
        "TagDateTime",
    ],
    "erlen.cli": [
        "ErlenGroup",
        "ScriptInfo",
        "AppGroup",
        "with_appcontext",
        "load_dotenv",
        "find_best_app",
        "find_app_by_string",
        "versions_report",
    ],
    "erlen.json": [
        "dumps",
        "dump",
        "loads",
        "load",
        "JSONProvider",
        "DefaultJSONProvider",
        "JSONDecodeError",
    ],
    "erlen.datastructures": ["FileStorage"],
    # Erlen's own public modules (not in Quart).
    "erlen.sse": ["ServerSentEvent", "event_stream", "KEEP_ALIVE_COMMENT"],
}

#: Values whose identity says nothing (two paths holding ``32`` are not aliases).
VALUES = (int, float, str, bytes, bool, type(None), tuple, frozenset)

ENTRY = re.compile(r"(?x)(.+?)\s+(\S+)\s+(-?\d+)\s+?(\S*)\s+(.*)")


def read_inventory(path: Path) -> set[str]:
    """The ``py:`` object names of a Sphinx inventory (version 2)."""
    with path.open("rb") as f:
        header = [f.readline() for _ in range(4)]
        if not header[0].startswith(b"# Sphinx inventory version 2"):
            raise ValueError(f"{path}: not a Sphinx inventory version 2")
        text = zlib.decompress(f.read()).decode("utf-8")
    names = set()
    for line in text.splitlines():
        match = ENTRY.match(line.rstrip())
        if match and match.group(2).startswith("py:"):
            names.add(match.group(1))
    return names


def top_level_exports(module: types.ModuleType) -> list[str]:
    """The public names of ``erlen``: what its ``__init__`` re-exports (plus the lazy
    ``Websocket``), not the helpers it imports for itself."""
    names = []
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType | __future__._Feature):
            continue
        if getattr(value, "__module__", None) == "typing":
            continue
        names.append(name)
    return sorted({*names, "Websocket"})


def first_party_plugins() -> list[str]:
    from erlen.pluginmanager import available_plugins

    return sorted(
        ep.value for ep in available_plugins().values() if ep.value.startswith("erlen.plugins.")
    )


def public_paths() -> tuple[list[str], list[str]]:
    """``(every public dotted path, problems)``: problems are plugins without ``__all__``."""
    import erlen

    paths = [f"erlen.{name}" for name in top_level_exports(erlen)]
    problems = []
    modules: dict[str, Iterable[str]] = dict(SUBMODULES)
    for name in ("erlen.testing", "erlen.exceptions", *first_party_plugins()):
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            problems.append(f"{name} has no __all__: say what it exports")
            continue
        modules[name] = exported
    for module_name, names in modules.items():
        paths += [f"{module_name}.{name}" for name in names]
    return paths, problems


def resolve(path: str) -> object:
    module_name, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def missing(paths: list[str], documented: set[str]) -> list[str]:
    """The paths not documented, under their own name or another public path of the same
    object (values such as numbers and strings only under their own)."""
    by_object: dict[int, list[str]] = {}
    for path in paths:
        value = resolve(path)
        if not isinstance(value, VALUES):
            by_object.setdefault(id(value), []).append(path)
    result = []
    for path in paths:
        if path in documented:
            continue
        aliases = by_object.get(id(resolve(path)), [])
        if not any(alias in documented for alias in aliases):
            result.append(path)
    return result


def main(argv: list[str]) -> int:
    inventory = Path(argv[1]) if len(argv) > 1 else DEFAULT_INVENTORY
    documented = read_inventory(inventory)
    paths, problems = public_paths()
    problems += [
        f"{path} is not in the API reference (docs/api/)" for path in missing(paths, documented)
    ]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"API reference complete: {len(paths)} public names, all in {inventory}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
