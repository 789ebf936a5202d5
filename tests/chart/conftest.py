"""Fixtures of the chart tests: the pinned helm binary."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def helm() -> Path:
    """helm of the pinned version (built once by `augur dev tools --build helm`)."""
    from augur.dev.tools import tool_path

    return tool_path("helm")
