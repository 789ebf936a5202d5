"""What the operator's process imports at startup: not the ScalingPolicy evaluation (numpy,
the forecast models), which loads with the first ScalingPolicy (in the operator to read its
history, in the fit workers to fit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import FreshPython

EVALUATION_ONLY = ("numpy", "augur.forecast.engine", "augur.scaling.evaluate")


def test_augur_run_imports_no_forecast_until_a_scaling_policy_exists(
    fresh_python: FreshPython,
) -> None:
    # What `augur run` imports: its command module, every controller, the metrics.
    assert fresh_python.loaded_after("import augur.commands.run", EVALUATION_ONLY) == []


def test_the_first_scaling_policy_worker_brings_the_evaluation(fresh_python: FreshPython) -> None:
    # The import the ScalingPolicy daemon makes when it starts (the probe above can fail).
    loaded = fresh_python.loaded_after("import augur.controllers.scaling_worker", EVALUATION_ONLY)
    assert loaded == list(EVALUATION_ONLY)
