"""Which frameworks are benchmarked and how their apps are loaded."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from benchlib import APPS_DIR

#: Column order of every table: the floor first, then the framework under test.
FRAMEWORKS: tuple[str, ...] = ("raw", "erlen", "starlette", "quart")

APP_FILES: dict[str, Path] = {
    "raw": APPS_DIR / "raw.py",
    "erlen": APPS_DIR / "erlen_app.py",
    "starlette": APPS_DIR / "starlette_app.py",
    "quart": APPS_DIR / "quart_app.py",
}

#: Tiny hello-world apps, used for import time and idle memory.
HELLO_SOURCES: dict[str, str] = {
    "raw": (
        "async def app(scope, receive, send):\n"
        "    if scope['type'] == 'http':\n"
        "        await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "        await send({'type': 'http.response.body', 'body': b'Hello, World!'})\n"
    ),
    "erlen": (
        "from erlen import Erlen\n"
        "app = Erlen(__name__)\n"
        "@app.route('/')\n"
        "async def index():\n"
        "    return 'Hello, World!'\n"
    ),
    "starlette": (
        "from starlette.applications import Starlette\n"
        "from starlette.responses import PlainTextResponse\n"
        "from starlette.routing import Route\n"
        "async def index(request):\n"
        "    return PlainTextResponse('Hello, World!')\n"
        "app = Starlette(routes=[Route('/', index)])\n"
    ),
    "quart": (
        "from quart import Quart\n"
        "app = Quart(__name__)\n"
        "@app.route('/')\n"
        "async def index():\n"
        "    return 'Hello, World!'\n"
    ),
}

ASGIApp = Callable[..., Any]


def parse_frameworks(text: str) -> list[str]:
    """Turn ``"raw,erlen"`` into a validated list, keeping the canonical order."""
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    unknown = wanted - set(FRAMEWORKS)
    if unknown:
        raise ValueError(f"unknown framework(s): {', '.join(sorted(unknown))}")
    return [name for name in FRAMEWORKS if name in wanted]


def load_app(framework: str) -> ASGIApp:
    """Import the benchmark app of ``framework`` from its file and return ``app``."""
    path = APP_FILES[framework]
    spec = importlib.util.spec_from_file_location(f"bench_app_{framework}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import would: ``Quart(__name__)`` finds its root
    # path (and so ``templates/``) through ``sys.modules``.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    if framework == "erlen":
        refuse_third_party_plugins(module.app)
    return module.app


def refuse_third_party_plugins(app: Any) -> None:
    """Raise if the Erlen app loaded a plugin from outside ``erlen.plugins``: the benchmark
    measures Erlen with its first-party plugins only, whatever else is installed."""
    plugins = getattr(app, "plugins", {})
    modules = plugins.values() if isinstance(plugins, Mapping) else ()
    foreign = sorted(
        name
        for name, plugin in zip(plugins, modules, strict=False)
        if not getattr(plugin, "__name__", "erlen.plugins.").startswith("erlen.plugins.")
    )
    if foreign:
        raise RuntimeError(
            f"Erlen(__name__) loaded third-party plugin(s) {', '.join(foreign)}; the benchmark"
            " measures first-party plugins only (uninstall them, or select plugins explicitly)"
        )


def twin_mismatch() -> str | None:
    """Return a message if ``erlen_app.py`` is not ``quart_app.py`` with names swapped."""
    quart = APP_FILES["quart"].read_text(encoding="utf-8")
    expected = quart.replace("quart", "erlen").replace("Quart", "Erlen")
    actual = APP_FILES["erlen"].read_text(encoding="utf-8")
    if actual == expected:
        return None
    return (
        "bench/apps/erlen_app.py is not bench/apps/quart_app.py with quart->erlen, "
        "Quart->Erlen; regenerate it with: sed -e 's/quart/erlen/g; s/Quart/Erlen/g' "
        "bench/apps/quart_app.py > bench/apps/erlen_app.py"
    )
