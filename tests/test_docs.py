"""The docstring examples run, and the README documents every command."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dedupe_news
from dedupe_news.cli import main
from tests.conftest import REPO

MODULES = [
    info.name
    for info in pkgutil.walk_packages(dedupe_news.__path__, prefix="dedupe_news.")
    if info.name != "dedupe_news.__main__"
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_readme_documents_every_command():
    readme = (REPO / "README.md").read_text()
    for command in main.commands:
        assert f"dedupe-news {command}" in readme, command
