"""Sphinx directives that generate reference pages from the code at build time.

- ``config-keys``: every config key an app gets (the kernel's ``DEFAULT_CONFIG`` and the
  keys each first-party plugin sets in ``erlen_configure``), with its default read from a
  real app and the description from :mod:`config_keys`. A key without a description, or a
  description of a key that no longer exists, is a build warning (so, under ``-W``, an
  error): the table cannot drift from the code.
- ``_generated/bench-latest.md`` (written when the build starts): the newest round of
  ``bench/RESULTS.md`` (the file is newest first), headings moved one level down, for
  docs/performance.md to include: the performance page shows the tables of record.
- ``pytest-fixtures``: the fixtures of ``erlen.plugins.testing.pytest_plugin`` (and the
  optional ``client`` fixture), with their docstrings, as ``py:function`` entries.
"""

from __future__ import annotations

import inspect
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import erlen
from config_keys import DESCRIPTIONS
from docutils import nodes
from docutils.statemachine import StringList
from erlen.pluginmanager import available_plugins
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)


def first_party_plugins() -> list[str]:
    """Names of the plugins shipped in the ``erlen`` distribution, in entry-point order."""
    return [
        name for name, ep in available_plugins().items() if ep.value.startswith("erlen.plugins.")
    ]


def config_keys_by_source() -> list[tuple[str, dict[str, Any]]]:
    """``[(source, {key: default})]``: the kernel's keys, then each plugin's own."""
    kernel = dict(erlen.Erlen("erlen_docs", plugins=[]).config)
    sources: list[tuple[str, dict[str, Any]]] = [("kernel", kernel)]
    for name in first_party_plugins():
        config = erlen.Erlen("erlen_docs", plugins=[name]).config
        own = {key: config[key] for key in config if key not in kernel}
        if own:
            sources.append((f"{name} plugin", own))
    return sources


def format_default(value: Any) -> str:
    if isinstance(value, timedelta):
        return f"timedelta({value.days} days)" if not value.seconds else repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1024 * 1024:
        mib = value / (1024 * 1024)
        return f"{value} ({mib:g} MiB)" if mib == int(mib) else f"{value}"
    return repr(value)


class ConfigKeys(SphinxDirective):
    """A table per source (kernel, each plugin): the key and its default, what it does."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        result: list[nodes.Node] = []
        seen: set[str] = set()
        for source, keys in config_keys_by_source():
            table = nodes.table(classes=["config-keys"])
            group = nodes.tgroup(cols=2)
            table += group
            for width in (45, 55):
                group += nodes.colspec(colwidth=width)
            head = nodes.thead()
            header = nodes.row()
            for title in ("Key and default", "What it does"):
                header += nodes.entry("", nodes.paragraph(text=title))
            head += header
            group += head
            body = nodes.tbody()
            for key in sorted(keys):
                seen.add(key)
                description = DESCRIPTIONS.get(key)
                if description is None:
                    logger.warning(
                        "config key %s has no description: add it to docs/_ext/config_keys.py",
                        key,
                        location=self.get_location(),
                    )
                    description = ""
                body += self.row(key, format_default(keys[key]), description)
            group += body
            result += [nodes.rubric(text=f"Set by the {source}"), table]
        for stale in sorted(set(DESCRIPTIONS) - seen):
            logger.warning(
                "docs/_ext/config_keys.py describes %s, which no app has",
                stale,
                location=self.get_location(),
            )
        return result

    def row(self, key: str, default: str, description: str) -> nodes.row:
        """The key (with an anchor: ``configuration.html#config-KEY``) over its default,
        then the description, parsed as Markdown (the directive is used from a MyST page)."""
        name = nodes.paragraph(classes=["config-key"])
        name += nodes.literal(text=key)
        name["ids"].append(f"config-{key}")
        value = nodes.paragraph(classes=["config-default"])
        value += nodes.Text("default ")
        value += nodes.literal(text=default)
        container = nodes.container()
        self.state.nested_parse(
            StringList([description], source="docs/_ext/config_keys.py"), 0, container
        )
        row = nodes.row()
        row += nodes.entry("", name, value)
        row += nodes.entry("", *container.children)
        return row


class PytestFixtures(SphinxDirective):
    """The pytest plugin's fixtures, each a ``py:function`` with its docstring."""

    def run(self) -> list[nodes.Node]:
        from erlen.plugins.testing import pytest_plugin

        fixtures: list[tuple[str, Any]] = []
        for name, value in vars(pytest_plugin).items():
            if type(value).__name__ == "FixtureFunctionDefinition":
                fixtures.append((name, value))
        client_holder = pytest_plugin._ClientFixture
        fixtures.append(("client", vars(client_holder)["client"]))
        lines: list[str] = []
        for name, fixture in fixtures:
            function = getattr(fixture, "_get_wrapped_function", lambda f=fixture: f)()
            uses = [p for p in inspect.signature(function).parameters if p != "self"]
            lines.append(f".. py:function:: {name}")
            lines.append(
                "   A fixture"
                + (f" (it uses {', '.join(f'``{p}``' for p in uses)})" if uses else "")
                + "."
            )
            lines.append("")
            lines.extend(f"   {line}" for line in (inspect.getdoc(function) or "").splitlines())
            lines.append("")
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="pytest_plugin"), 0, container)
        return container.children


ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "docs" / "_generated"


def latest_bench_round(results: str) -> str:
    """The first ``## `` section of bench/RESULTS.md, headings one level down, and links to
    files of the repository (which the site does not have) turned into plain code."""
    lines = results.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("## ")]
    if not starts:
        raise ValueError("bench/RESULTS.md has no '## ' section")
    end = starts[1] if len(starts) > 1 else len(lines)
    section = lines[starts[0] : end]
    out = []
    in_fence = False
    for line in section:
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("#"):
            line = "#" + line
        if not in_fence:
            line = re.sub(r"\[([^\]]+)\]\((?!https?:)[^)]+\)", r"\1", line)
        out.append(line)
    return "\n".join(out).rstrip() + "\n"


def write_generated(app: Sphinx) -> None:
    """Write the files the pages include (before Sphinx reads the pages)."""
    GENERATED.mkdir(exist_ok=True)
    results = (ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    target = GENERATED / "bench-latest.md"
    text = latest_bench_round(results)
    # Rewrite only on change: Sphinx rebuilds the pages that include a changed file.
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", write_generated)
    app.add_directive("config-keys", ConfigKeys)
    app.add_directive("pytest-fixtures", PytestFixtures)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
