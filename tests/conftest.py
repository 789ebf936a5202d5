"""Shared test switches and fixtures: golden files and the real tools."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
