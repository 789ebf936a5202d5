"""Fuzzing `augur render` (YAML loading, validation, rendering, writing) with mutated example
documents: every input ends in success or a clean user error, and nothing is written or
deleted outside the output folder. `bench/robustness.py` runs the same check much longer."""

from __future__ import annotations

from fuzzing import OUTCOMES, check_input, mutated_examples
from hypothesis import HealthCheck, given, settings


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_examples())
def test_mutated_examples_never_crash_or_escape(text: str) -> None:
    OUTCOMES[check_input(text)] += 1


def test_unmutated_examples_render_or_are_refused_cleanly() -> None:
    from fuzzing import EXAMPLES

    for text in EXAMPLES.values():
        assert check_input(text) in ("rendered", "refused")
