"""Every dependency pyproject.toml declares is imported by augur, and every package augur
imports is declared (a transitive dependency can disappear with its parent's next release)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "operator" / "augur"


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement (`pyyaml>=6` -> `pyyaml`)."""
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = {_name(r) for r in project["dependencies"]}
    extras = {
        _name(r)
        for name, reqs in project["optional-dependencies"].items()
        if name != "test"
        for r in reqs
    }
    return required, extras


def _imported_modules() -> dict[str, str]:
    """Top-level modules imported by augur's code that are neither augur nor the standard
    library, with one file importing each."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "augur" and top not in sys.stdlib_module_names:
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def _imported_distributions() -> dict[str, str]:
    by_module = packages_distributions()
    found: dict[str, str] = {}
    for module, where in _imported_modules().items():
        assert module in by_module, f"{module} (imported in {where}) is not installed"
        for distribution in by_module[module]:
            found.setdefault(_name(distribution), where)
    return found


def test_every_import_is_declared() -> None:
    required, extras = _declared()
    undeclared = {
        name: where
        for name, where in _imported_distributions().items()
        if name not in required | extras
    }
    assert undeclared == {}, "imported but not in pyproject.toml's dependencies"


def test_every_declared_dependency_is_imported() -> None:
    required, extras = _declared()
    unused = (required | extras) - set(_imported_distributions())
    assert unused == set(), "declared in pyproject.toml but imported nowhere in operator/augur"
