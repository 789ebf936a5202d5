"""Fixtures of the Prometheus rendering tests: the stack tests' helpers, and promtool."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# the stack rendering tests' helpers (inputs from YAML, the files a pod would see)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "stack"))

Run = Callable[..., str]


@pytest.fixture
def run_promtool(promtool: Path) -> Run:
    """Run promtool; fail the test with its own words when it refuses."""

    def run(*args: str) -> str:
        done = subprocess.run([str(promtool), *args], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    return run
