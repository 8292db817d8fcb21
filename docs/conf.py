"""Sphinx configuration of Erlen's documentation site.

Build (CI does the same, in ``.ci/run``)::

    pip install -e '.[docs]'
    sphinx-build -W --keep-going -n -b html docs docs/_build/html

Every warning is an error (``-W``) and every cross-reference must resolve (``-n``).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import erlen

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
# The project's addresses, from one place: pyproject's [project.urls].
URLS = tomllib.loads((DOCS.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "urls"
]

project = "Erlen"
author = "The Erlen developers"
copyright = "Erlen developers"
release = erlen.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.graphviz",
    "sphinx.ext.viewcode",
    "erlen_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# _generated/: files written at build time and included by pages (not pages themselves).
exclude_patterns = ["_build", "_generated"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_css_files = ["erlen.css"]

html_theme = "furo"
html_title = f"Erlen {release}"
html_theme_options = {
    "source_repository": URLS["Source"].rstrip("/") + "/",
    "source_branch": "main",
    "source_directory": "docs/",
}

# Markdown: ```{directive} fences, ::: fences, definition lists, heading anchors that
# other pages link to (``page.md#heading``), and $-free text.
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 4
# Code fences without a language are plain text (ASCII diagrams, shell transcripts).
highlight_language = "none"

# Autodoc: the documented order is the source's, signatures keep the types the code
# declares, and type hints go into the description, where they read better than in a
# 200-character signature.
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_class_signature = "separated"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True}

graphviz_output_format = "svg"

# No intersphinx: CI's network reaches package registries only, so the inventories of
# Python, werkzeug, jinja2, click, pluggy... cannot be downloaded. References to their
# types stay unlinked plain text; ``-n`` would call each a broken reference, so they are
# listed here. Only names outside Erlen belong here: a missing Erlen name is a real
# error (the API reference is incomplete), and docs/check_reference.py (run by .ci/run
# after the build) checks the built inventory against the exports.
nitpick_ignore_regex = [
    # The standard library and typing constructs.
    (r"py:.*", r"(builtins\.)?(object|type|str|bytes|int|float|bool|dict|list|tuple|set)"),
    (r"py:.*", r"(typing|typing_extensions|collections\.abc|types|abc)\..*"),
    (
        r"py:.*",
        r"(asyncio|contextvars|datetime|os|pathlib|logging|io|ssl|socket|enum|"
        r"concurrent|multiprocessing|http|email|json|decimal|uuid|argparse|threading|"
        r"signal|inspect|functools|weakref|contextlib|subprocess|importlib|_frozen_importlib)(\..*)?",
    ),
    (
        r"py:.*",
        r"(Any|Callable|Awaitable|Coroutine|Iterable|Iterator|AsyncIterator|"
        r"AsyncGenerator|Generator|Mapping|MutableMapping|Sequence|Optional|Union|NoReturn|"
        r"TypeVar|ParamSpec|Self|Literal|ClassVar|Protocol|IO|AnyStr|Never|TypeAlias)",
    ),
    (r"py:.*", r"(None|Ellipsis|NotImplemented|\w*Error|\w*Exception|BaseException)"),
    (
        r"py:.*",
        r"(Path|PathLike|timedelta|datetime|date|time|Future|Task|AbstractEventLoop|"
        r"Event|Queue|Logger|Handler|ModuleType|TracebackType|SSLContext|BytesIO|BinaryIO|"
        r"TextIO|ContextVar|Context|Token|FrameType|CodeType|FunctionType|MethodType)",
    ),
    # The libraries Erlen builds on (their own documentation has these types).
    (
        r"py:.*",
        r"(werkzeug|jinja2|click|pluggy|hypercorn|msgspec|itsdangerous|blinker|markupsafe|"
        r"pytest|_pytest|websockets|httpx|wsproto|h11|h2|redis|dotenv)(\..*)?",
    ),
    # Unqualified names of those libraries' types, as annotations spell them.
    (
        r"py:.*",
        r"(Headers|MultiDict|ImmutableMultiDict|CombinedMultiDict|FileStorage|Map|Rule|"
        r"MapAdapter|BaseConverter|HTTPException|Environment|Template|BaseLoader|"
        r"Undefined|Group|Command|Context|PluginManager|HookimplMarker|HookspecMarker|"
        r"Markup|Signal|NamedSignal|Namespace|Authorization|WWWAuthenticate|Range|"
        r"ContentRange|ETags|Accept|MIMEAccept|CharsetAccept|LanguageAccept|"
        r"RequestCacheControl|ResponseCacheControl|IfRange|HeaderSet|CallbackDict|"
        r"Config|Scope|Receive|Send|ASGIReceiveCallable|ASGISendCallable|Scope|"
        r"HookCaller|HookImpl|URLSafeTimedSerializer|FixtureRequest|Parser|Item|"
        r"MonkeyPatch|Message)",
    ),
    # werkzeug's own annotations, as its docstrings spell them.
    (r"py:.*", r"(t\..*|te\..*|WSGI.*|SansIO.*|StartResponse)"),
    # Type variables (no page documents a TypeVar): ``erlen.scaffold.F`` and the like.
    (r"py:class", r"(erlen\.[\w.]+\.)?(T|F|T_\w+|\w+_co|\w+_contra)"),
    # Attributes set in ``__init__`` (``root_path``, ``instance_path``...) that docstrings
    # mention with ``:attr:``; they are described in the class's docstring.
    (r"py:attr", r"\w+"),
]

# Erlen's internal types that public signatures mention (base classes, the objects behind
# ``request.body`` or ``app.open_resource``): not public API, so not documented. A public
# name missing from the reference is not listed here: tests/docs/test_api_reference.py
# catches it.
nitpick_ignore = [
    ("py:class", name)
    for name in (
        "erlen.appbase.AppBase",
        "erlen.pipeline.plan.Plan",
        "erlen.pipeline.connection.Protocol",
        "erlen.pipeline.plan.Hooks",
        "Hooks",
        "Plan",
        "erlen.scaffold.Scaffold",
        "erlen.blueprints.BlueprintSetupState",
        "BlueprintSetupState",
        "erlen.ctx._AppCtxGlobals",
        "erlen.ctx._ConnectionContext",
        "erlen.ctx._Pushed",
        "erlen.helpers._Flashed",
        "erlen.asyncfile.AsyncFileOpener",
        "erlen.asyncfile.ResourceOpener",
        "erlen.formparser.FormDataParser",
        "erlen.wrappers.base.BaseRequestWebsocket",
        "erlen.wrappers.request.Body",
        "erlen.wrappers.response.DataBody",
        "erlen.wrappers.response.FileBody",
        "erlen.wrappers.response.IOBody",
        "erlen.wrappers.response.IterableBody",
        "erlen.plugins.websocket.channel.WebsocketChannel",
        # ``Erlen.jinja_environment`` reads it (autodoc: "alias of"); documented as
        # ``erlen.plugins.templating.Environment``.
        "erlen.plugins.templating.environment.Environment",
    )
] + [("py:func", "erlen.logging.create_logger")]
