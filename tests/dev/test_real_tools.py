"""Each built tool runs and reports the version augur pins."""

from __future__ import annotations

import subprocess

import pytest

from augur.dev.tools import TOOLS, selected_tools, tool_path

pytestmark = pytest.mark.tools


@pytest.mark.parametrize("name", [tool.name for tool in selected_tools(for_tests=True)])
def test_tool_reports_its_pinned_version(name: str) -> None:
    tool = TOOLS[name]
    path = tool_path(name)
    result = subprocess.run(
        [str(path), *tool.version_args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert tool.version_text in output, output
