"""What the operator's process imports at startup: not the ScalingPolicy evaluation (numpy,
the forecast models), which loads with the first ScalingPolicy (in the operator to read its
history, in the fit workers to fit)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

OPERATOR = Path(__file__).resolve().parents[2] / "operator"
EVALUATION_ONLY = ("numpy", "augur.forecast.engine", "augur.scaling.evaluate")


def _loaded_after(code: str) -> set[str]:
    """Of EVALUATION_ONLY, the modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport sys\nprint([m for m in {EVALUATION_ONLY!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={"PYTHONPATH": str(OPERATOR), "PATH": "/usr/bin:/bin"},
    ).stdout
    return set(ast.literal_eval(out.strip().splitlines()[-1]))


def test_augur_run_imports_no_forecast_until_a_scaling_policy_exists() -> None:
    # What `augur run` imports: its command module, every controller, the metrics.
    assert _loaded_after("import augur.commands.run") == set()


def test_the_first_scaling_policy_worker_brings_the_evaluation() -> None:
    # The import the ScalingPolicy daemon makes when it starts (the probe above can fail).
    assert _loaded_after("import augur.controllers.scaling_worker") == set(EVALUATION_ONLY)
