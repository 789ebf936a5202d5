"""Fixtures of the rule renderers' tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from rulehelpers import PromtoolTests, write_rule_files

from augur.render.rules.files import RuleFile


@pytest.fixture
def promtool_tests(promtool: Path, tmp_path: Path) -> PromtoolTests:
    """Run promtool test groups against rule files; fail with promtool's report."""

    def run(files: list[RuleFile], tests: list[dict[str, Any]]) -> None:
        names = write_rule_files(tmp_path, files)
        suite = {"rule_files": names, "evaluation_interval": "1m", "tests": tests}
        (tmp_path / "tests.yaml").write_text(yaml.safe_dump(suite, sort_keys=False, width=1000))
        result = subprocess.run(
            [str(promtool), "test", "rules", "tests.yaml"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    return run
