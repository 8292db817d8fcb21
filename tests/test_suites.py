"""Every suite declares the plugins it needs (``tests/suites.py``), and a plugin's suite
names its own plugin."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from erlen.pluginmanager import first_party_plugins

_spec = importlib.util.spec_from_file_location("suites", Path(__file__).with_name("suites.py"))
assert _spec is not None and _spec.loader is not None
suites = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(suites)


def test_every_suite_declares_installed_plugins() -> None:
    folders = suites.suite_folders()
    assert folders[0].name == "core"
    for folder in folders:
        declared = suites.declared_plugins(folder)
        assert declared, folder
        assert set(declared) <= set(first_party_plugins()), (folder, declared)


def test_a_plugin_suite_declares_its_own_plugin() -> None:
    for folder in suites.suite_folders()[1:]:
        assert folder.name in suites.declared_plugins(folder), folder


def test_the_kernel_suite_needs_only_the_test_client() -> None:
    assert suites.declared_plugins(suites.suite_folders()[0]) == ("testing",)
