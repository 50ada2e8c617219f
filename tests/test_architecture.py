"""The architecture is visible from the tree, and kept: layers import downward only, and nothing cycles.

The contracts live in pyproject.toml (``[tool.importlinter]``); these tests run
them and look for cycles with grimp, import-linter's own graph library.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("grader", "sandbox", "workers")


def upward_imports(graph: grimp.ImportGraph, lower: str, higher: str) -> set[tuple[str, str]]:
    """Direct imports from package ``lower`` into package ``higher``."""
    found = set()
    for module in graph.find_children(lower) | graph.find_descendants(lower) | {lower}:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported == higher or imported.startswith(higher + "."):
                found.add((module, imported))
    return found


def cycles(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    """Pairs of modules that import each other, directly or through others."""
    found = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.find_shortest_chain(importer=imported, imported=module):
                found.add(tuple(sorted((module, imported))))
    return found


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)


def test_the_import_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("lower,higher", [("sandbox", "grader"), ("sandbox", "workers"), ("grader", "workers")])
def test_no_layer_imports_upwards(graph, lower, higher):
    assert upward_imports(graph, lower, higher) == set()


def test_no_module_imports_itself_through_others(graph):
    assert cycles(graph) == set()


def test_the_checks_see_a_cycle_and_an_upward_import(tmp_path, monkeypatch):
    """The checks above can fail: a tiny tree that breaks both rules is caught."""
    for package, body in (("lowpkg", "import highpkg.mod\n"), ("highpkg", "")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "mod.py").write_text(body)
    (tmp_path / "highpkg" / "a.py").write_text("import highpkg.b\n")
    (tmp_path / "highpkg" / "b.py").write_text("import highpkg.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    bad = grimp.build_graph("lowpkg", "highpkg")
    assert upward_imports(bad, "lowpkg", "highpkg") == {("lowpkg.mod", "highpkg.mod")}
    assert cycles(bad) == {("highpkg.a", "highpkg.b")}
