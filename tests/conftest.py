"""Shared test switches and fixtures: golden files and the real tools."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden files from the current output instead of comparing.",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[Path, str], None]:
    """Compare text with a golden file, or rewrite the file under --update-golden.

    Golden files live beside the tests of what renders them, in a `golden/` folder
    (tests/render/<component>/golden/)."""
    update = bool(request.config.getoption("--update-golden"))

    def check(path: Path, actual: str) -> None:
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual)
            return
        assert path.exists(), f"{path} is missing: run `make golden` and review the diff"
        expected = path.read_text()
        assert actual == expected, f"{path} differs: run `make golden` and review the diff"

    return check


class FreshPython:
    """Runs code in a new interpreter that sees augur's sources and the environment's
    packages, nothing the test process has imported: what a process imports at start."""

    def run(self, code: str) -> Any:
        """Run `code`; the JSON it printed last."""
        process = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            env={"PYTHONPATH": str(REPO_ROOT / "operator"), "PATH": "/usr/bin:/bin"},
        )
        return json.loads(process.stdout.splitlines()[-1])

    def loaded_after(self, code: str, modules: Iterable[str]) -> list[str]:
        """Of `modules` (in their order), those loaded once `code` has run."""
        probe = f"import json, sys\nprint(json.dumps([m for m in {list(modules)!r} if m in sys.modules]))"
        loaded: list[str] = self.run(f"{code}\n{probe}")
        return loaded


@pytest.fixture(scope="session")
def fresh_python() -> FreshPython:
    """A new interpreter per call (see `FreshPython`)."""
    return FreshPython()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder."""
    return REPO_ROOT


def _tool(name: str) -> Path:
    # The test command builds the tools first (`augur dev tools --build --for-tests`);
    # tool_path builds a missing one or fails with one clear sentence.
    from augur.dev.tools import tool_path

    return tool_path(name)


@pytest.fixture(scope="session")
def promtool() -> Path:
    """promtool of the Prometheus version augur deploys."""
    return _tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> Path:
    """amtool of the Alertmanager version augur deploys."""
    return _tool("amtool")


@pytest.fixture(scope="session")
def prometheus_binary() -> Path:
    """The prometheus server of the version augur deploys."""
    return _tool("prometheus")


@pytest.fixture(scope="session")
def alertmanager_binary() -> Path:
    """The alertmanager server of the version augur deploys."""
    return _tool("alertmanager")
