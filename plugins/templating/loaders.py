"""The app's template loader: the app folder, then blueprint folders, then plugin loaders.

The folder list is read from the app when a template is looked up (jinja2 caches
compiled templates, so this only happens on a cache miss), which keeps blueprints
registered after the environment was created visible.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from erlen.globals import request_context_var, websocket_context_var
from jinja2 import BaseLoader, FileSystemLoader, TemplateNotFound

if TYPE_CHECKING:
    from erlen import Erlen
    from jinja2 import Environment

Source = tuple[str, "str | None", "Callable[[], bool] | None"]


class DispatchingJinjaLoader(BaseLoader):
    """Look a template up in the app's ``template_folder``, then in each blueprint's
    ``template_folder`` (registration order), then in the plugins' extra loaders.

    The first loader that has the template wins. With ``EXPLAIN_TEMPLATE_LOADING``
    every lookup is logged on ``app.logger``.
    """

    def __init__(self, app: Erlen, extra_loaders: list[BaseLoader] | None = None) -> None:
        self.app = app
        #: Loaders contributed through ``erlen_template_loaders``, searched last.
        self.extra_loaders: list[BaseLoader] = list(extra_loaders or ())
        self._folders: dict[str, FileSystemLoader] = {}

    def _scaffold_loader(self, scaffold: Any) -> BaseLoader | None:
        custom = getattr(scaffold, "jinja_loader", None)  # a Flask-style override
        if custom is not None:
            return custom  # type: ignore[no-any-return]
        folder = scaffold.template_folder
        if folder is None:
            return None
        path = os.path.join(scaffold.root_path, os.fspath(folder))
        loader = self._folders.get(path)
        if loader is None:
            loader = self._folders[path] = FileSystemLoader(path)
        return loader

    def iter_loaders(self) -> Iterator[tuple[str, BaseLoader]]:
        """``(description, loader)`` pairs in search order."""
        app = self.app
        loader = self._scaffold_loader(app)
        if loader is not None:
            yield f"application {app.name!r}", loader
        seen: set[int] = set()
        for blueprint in app.iter_blueprints():
            if id(blueprint) in seen:
                continue
            seen.add(id(blueprint))
            loader = self._scaffold_loader(blueprint)
            if loader is not None:
                yield f"blueprint {blueprint.name!r}", loader
        for index, loader in enumerate(self.extra_loaders, 1):
            yield f"plugin loader #{index}", loader

    def get_source(self, environment: Environment, template: str) -> Source:
        """The source of ``template`` from the first loader that has it."""
        # The sync twin of a template (see sync.py) is loaded again by the sync overlay
        # of the environment, which shares this loader: explained once, for the template.
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"] and not hasattr(
            environment, "erlen_sync_twin_of"
        ):
            return self._explained_get_source(environment, template)
        searched: list[str] = []
        for description, loader in self.iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                searched.append(_describe(description, loader))
        raise TemplateNotFound(template, _not_found_message(template, searched))

    def _explained_get_source(self, environment: Environment, template: str) -> Source:
        lines = [f"Locating template {template!r}:"]
        found: Source | None = None
        searched: list[str] = []
        for number, (description, loader) in enumerate(self.iter_loaders(), 1):
            lines.append(f"  {number}. {_describe(description, loader)}")
            try:
                source = loader.get_source(environment, template)
            except TemplateNotFound:
                lines.append("     no match")
                searched.append(_describe(description, loader))
                continue
            lines.append(f"     found: {source[1] or '<in memory>'}")
            if found is None:
                found = source
        if found is None:
            lines.append("Error: the template could not be found.")
            blueprint = _current_blueprint()
            if blueprint is not None:
                lines.append(
                    f"  The lookup came from an endpoint of the blueprint {blueprint!r};"
                    " is the template in that blueprint's template_folder?"
                )
        elif sum(line.startswith("     found") for line in lines) > 1:
            lines.append("Warning: several loaders have this template; the first one is used.")
        self.app.logger.info("\n".join(lines))
        if found is None:
            raise TemplateNotFound(template, _not_found_message(template, searched))
        return found

    def list_templates(self) -> list[str]:
        """The names of all templates the loaders can list."""
        names: set[str] = set()
        for _description, loader in self.iter_loaders():
            try:
                names.update(loader.list_templates())
            except TypeError:  # loaders that cannot list raise TypeError
                continue
        return sorted(names)


def _describe(description: str, loader: BaseLoader) -> str:
    paths = getattr(loader, "searchpath", None)
    if paths:
        return f"{description} folder {', '.join(map(repr, paths))}"
    return f"{description} ({type(loader).__module__}.{type(loader).__qualname__})"


def _not_found_message(template: str, searched: list[str]) -> str:
    if not searched:
        return f"Template {template!r} not found: no template folder or loader is configured"
    return f"Template {template!r} not found; searched: {'; '.join(searched)}"


def _current_blueprint() -> str | None:
    ctx: Any = request_context_var.get(None)
    if ctx is not None:
        return ctx.request.blueprint  # type: ignore[no-any-return]
    ctx = websocket_context_var.get(None)
    return ctx.websocket.blueprint if ctx is not None else None
