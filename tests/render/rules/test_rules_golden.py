"""Golden rule files: golden/<case>.in.yaml -> <case>.out/ (and examples/shop).

`pytest --update-golden` rewrites the expected files; every golden rule file must also pass
`promtool check rules` of the Prometheus version augur deploys.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rulehelpers import promtool_check

from augur.commands.inputs import load
from augur.render.rules.files import render_rule_files
from augur.render.selection import inputs_for, stacks_of

GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))


def rendered_files(source: Path) -> dict[str, str]:
    """Every rule file (by file name) of the first stack, plus rejected.txt when any."""
    result = load([str(source)])
    assert not result.findings, [str(f) for f in result.findings]
    inventory = result.inventory
    rendered = render_rule_files(inputs_for(stacks_of(inventory)[0], inventory))
    files = {Path(f.path).name: f.text() for f in rendered.files}
    if rendered.rejected:
        files["rejected.txt"] = "".join(
            f"{key}: {problem}\n"
            for key, problems in rendered.rejected.items()
            for problem in problems
        )
    return files


def check_folder(
    folder: Path, files: dict[str, str], golden: Callable[[Path, str], None], update: bool
) -> None:
    if update and folder.exists():
        for stale in folder.iterdir():
            if stale.name not in files:
                stale.unlink()
    for name, text in files.items():
        golden(folder / name, text)
    if folder.exists():
        assert sorted(p.name for p in folder.iterdir()) == sorted(files)


@pytest.mark.parametrize("case", CASES)
def test_rules_match_golden(
    case: str, golden: Callable[[Path, str], None], request: pytest.FixtureRequest
) -> None:
    update = bool(request.config.getoption("--update-golden"))
    files = rendered_files(GOLDEN / f"{case}.in.yaml")
    check_folder(GOLDEN / f"{case}.out", files, golden, update)


def test_shop_example_matches_golden(
    golden: Callable[[Path, str], None], request: pytest.FixtureRequest
) -> None:
    update = bool(request.config.getoption("--update-golden"))
    check_folder(GOLDEN / "examples-shop.out", rendered_files(EXAMPLES / "shop"), golden, update)


def test_rendering_is_deterministic() -> None:
    for case in CASES:
        source = GOLDEN / f"{case}.in.yaml"
        assert rendered_files(source) == rendered_files(source)


@pytest.mark.tools
def test_every_golden_rule_file_passes_promtool(promtool: Path) -> None:
    paths = sorted(GOLDEN.glob("*.out/*.yaml"))
    assert len(paths) > 10
    result = promtool_check(promtool, paths)
    assert result.returncode == 0, result.stdout + result.stderr
