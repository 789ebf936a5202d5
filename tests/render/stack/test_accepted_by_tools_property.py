"""Property: any set of objects that `validate` accepts renders files that the pinned promtool
(`check rules`, `check config`) and amtool (`check-config`, `template render` of every
receiver template) accept. The objects are drawn from the API models' field types
(`modelgen`); the tools run once over the files of all examples.

`AUGUR_PROPERTY_EXAMPLES` sets how many examples are drawn and draws new ones each run (by
default the same 50 every run; bench/README.md's Robustness figures come from larger runs).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from acceptance import EXAMPLES, Example, Tally, accepted_example, check_with_tools
from hypothesis import HealthCheck, given, settings

EXAMPLE_COUNT = int(os.environ.get("AUGUR_PROPERTY_EXAMPLES", "50"))


@pytest.mark.tools
def test_what_validate_accepts_the_tools_accept(
    promtool: Path, amtool: Path, tmp_path: Path
) -> None:
    tally = Tally()
    examples: list[Example] = []

    @settings(
        max_examples=EXAMPLE_COUNT,
        deadline=None,
        database=None,
        # the suite's run is the same every time; a larger run (the variable set) explores
        derandomize="AUGUR_PROPERTY_EXAMPLES" not in os.environ,
        suppress_health_check=list(HealthCheck),
    )
    @given(EXAMPLES)
    def draw(drawn: tuple) -> None:  # type: ignore[type-arg]
        example = accepted_example(drawn, tally)
        if example is not None:
            examples.append(example)

    draw()
    print(
        f"\n{tally.documents} documents drawn: {tally.accepted} accepted, {tally.refused} "
        f"refused; {tally.rendered_examples} examples rendered"
    )
    # enough of what is drawn is valid for the property to say something
    assert tally.rendered_examples >= EXAMPLE_COUNT // 5, tally
    assert tally.accepted > tally.documents // 5, tally
    failures = check_with_tools(examples, promtool, amtool, tmp_path)
    assert not failures, "\n\n".join(failures[:5])
