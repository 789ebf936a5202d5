"""promtool for `augur test`: the one given, the one augur built, or one on PATH of the pinned
release series; any other version is refused with the version needed and how to get it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from augur import versions
from augur.cli import main
from augur.dev.tools import ToolError, find_tool

POLICY = """apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {name: api, namespace: shop}
spec:
  alerts:
    - {name: Down, severity: high, expr: up == 0, for: 1m}
  tests:
    - name: fires
      inputSeries:
        - {series: 'up{job="x"}', values: '0x10'}
      expectAlerts:
        - {alert: Down, at: 5m, labels: {job: x}}
"""
DEBIAN_VERSION_LINE = "promtool, version 2.42.0+ds (branch: debian/sid, revision: 2.42.0+ds-5)"


def fake_promtool(folder: Path, version_line: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "promtool"
    script.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    script.chmod(0o755)
    return script


@pytest.fixture
def no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No promtool built by augur: only PATH can provide one."""
    monkeypatch.setenv("AUGUR_CACHE_DIR", str(tmp_path / "cache"))


def on_path(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin:/bin")


def run_test(tmp_path: Path, *extra: str) -> tuple[int, str]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    result = CliRunner().invoke(main, ["test", "-f", str(policy), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.usefixtures("no_cache")
def test_debian_promtool_is_refused_with_both_ways_to_get_the_pinned_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_promtool(tmp_path / "bin", DEBIAN_VERSION_LINE)
    on_path(monkeypatch, fake.parent)
    code, out = run_test(tmp_path)
    assert code == 1
    pinned = versions.PROMETHEUS_VERSION
    series = pinned.rsplit(".", 1)[0]
    assert f"the promtool on PATH ({fake}) is version 2.42.0" in out
    assert f"augur needs promtool {series}.x (it pins {pinned}" in out
    assert "`augur dev tools --build promtool`" in out
    assert f"https://github.com/prometheus/prometheus/releases/tag/v{pinned}" in out
    assert "Or pass --promtool PATH." in out
    assert "Traceback" not in out


@pytest.mark.usefixtures("no_cache")
def test_promtool_of_the_pinned_series_on_path_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    major, minor, _ = versions.PROMETHEUS_VERSION.split(".")
    fake = fake_promtool(
        tmp_path / "bin", f"promtool, version {major}.{minor}.9 (branch: HEAD, revision: x)"
    )
    on_path(monkeypatch, fake.parent)
    assert find_tool("promtool") == fake


@pytest.mark.usefixtures("no_cache")
def test_no_promtool_anywhere_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path(monkeypatch, tmp_path / "empty")
    with pytest.raises(ToolError) as caught:
        find_tool("promtool")
    message = str(caught.value)
    assert message.startswith("promtool is neither built nor on PATH.")
    assert "augur dev tools --build promtool" in message and "releases/tag/v" in message


def test_amtool_is_checked_against_alertmanager(tmp_path: Path) -> None:
    fake = tmp_path / "amtool"
    fake.write_text("#!/bin/sh\necho 'amtool, version 0.25.0 (branch: debian/sid)'\n")
    fake.chmod(0o755)
    with pytest.raises(ToolError) as caught:
        find_tool("amtool", str(fake))
    assert f"augur needs amtool {versions.ALERTMANAGER_VERSION.rsplit('.', 1)[0]}.x" in str(
        caught.value
    )
    assert "github.com/prometheus/alertmanager/releases/tag/v" in str(caught.value)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("/nonexistent/promtool", "promtool /nonexistent/promtool: no such file."),
        ("{tmp}/plain.txt", "promtool {tmp}/plain.txt: not executable."),
        ("{tmp}/bin/promtool", "the promtool given ({tmp}/bin/promtool) is version 2.42.0."),
    ],
)
def test_promtool_given_is_checked_without_a_traceback(
    tmp_path: Path, given: str, message: str
) -> None:
    fake_promtool(tmp_path / "bin", DEBIAN_VERSION_LINE)
    (tmp_path / "plain.txt").write_text("x")
    code, out = run_test(tmp_path, "--promtool", given.format(tmp=tmp_path))
    assert code == 1
    assert message.format(tmp=tmp_path) in out
    assert "Traceback" not in out
