"""Fixtures of the stack rendering tests: the real tools run on rendered output."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., str]


def _runner(binary: Path) -> Run:
    def run(*args: str) -> str:
        done = subprocess.run([str(binary), *args], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    return run


@pytest.fixture
def run_promtool(promtool: Path) -> Run:
    """Run promtool; fail with its words when it refuses."""
    return _runner(promtool)


@pytest.fixture
def run_amtool(amtool: Path) -> Run:
    """Run amtool; fail with its words when it refuses."""
    return _runner(amtool)
