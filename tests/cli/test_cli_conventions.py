"""The command line as a whole: help on every option, --version, a fast `augur --help` that
loads neither kopf nor a Kubernetes client, one meaning of -o, snake_case JSON, no traceback
for a user's mistake."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pytest
from click.testing import CliRunner

from augur import __version__
from augur.cli import COMMANDS, main

if TYPE_CHECKING:
    from conftest import FreshPython

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ONLINE_ONLY = ("kopf", "kubernetes", "aiohttp")


def commands(
    command: click.Command, path: tuple[str, ...] = ("augur",)
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            yield from commands(sub, (*path, name))


def test_every_command_and_option_has_help() -> None:
    missing = []
    for path, command in commands(main):
        if not command.help:
            missing.append(" ".join(path))
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not param.help:
                missing.append(f"{' '.join(path)} {'/'.join(param.opts)}")
    assert missing == []


def test_the_summaries_augur_help_lists_are_the_commands_own() -> None:
    ctx = click.Context(main, info_name="augur")
    for name, (_, _, summary) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None
        assert command.get_short_help_str(limit=200) == summary


def test_dash_o_is_an_output_format_wherever_it_exists() -> None:
    for path, command in commands(main):
        for param in command.params:
            if isinstance(param, click.Option) and "-o" in param.opts and not param.hidden:
                assert "--output" in param.opts, path
                assert isinstance(param.type, click.Choice), path


def test_version_flag() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"augur {__version__}\n"


def _modules_loaded_by(fresh_python: FreshPython, *argv: str) -> list[str]:
    """The online-only packages loaded by running `augur ARGV` in a fresh interpreter."""
    code = (
        f"from augur.cli import main\ntry:\n    main({list(argv)!r})\nexcept SystemExit:\n    pass"
    )
    return fresh_python.loaded_after(code, ONLINE_ONLY)


def test_help_and_offline_commands_load_no_kubernetes_client(fresh_python: FreshPython) -> None:
    assert _modules_loaded_by(fresh_python, "--help") == []
    assert _modules_loaded_by(fresh_python, "validate", "-f", str(EXAMPLES / "shop")) == []
    assert _modules_loaded_by(fresh_python, "forecast", "--help") == []
    # `run` is the one command that needs kopf and aiohttp; the kubernetes package not even it
    # (installed here for the tests, it is no dependency of augur's).
    assert _modules_loaded_by(fresh_python, "run", "--help") == ["kopf", "aiohttp"]


def test_run_refuses_namespaces_it_would_ignore() -> None:
    result = CliRunner().invoke(main, ["run", "-n", "shop"])
    assert result.exit_code == 2
    assert "--namespace is only read with --namespace-mode listed" in result.output


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    lines = ["timestamp,value"]
    for step in range(3 * 288):
        daily = 50 + 40 * ((step % 288) / 288)
        lines.append(f"{1_700_000_000 + 300 * step},{daily + step % 7:.3f}")
    path = tmp_path / "trace.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_json_output_uses_snake_case_keys(trace: Path) -> None:
    outputs = [
        ["validate", "-f", str(EXAMPLES / "invalid"), "-o", "json"],
        ["forecast", "predict", "--csv", str(trace)],
        ["forecast", "backtest", "--csv", str(trace), "--method", "linear", "-o", "json"],
    ]
    for argv in outputs:
        result = CliRunner().invoke(main, argv)
        assert result.exception is None or isinstance(result.exception, SystemExit), argv
        keys = set(_keys(json.loads(result.stdout)))
        assert keys, argv
        assert [k for k in keys if not re.fullmatch(r"[a-z][a-z0-9_]*", k)] == [], argv


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "-f", "/nonexistent"],
        ["validate", "-f", "{tmp}/binary.yaml"],
        ["validate", "-f", "{tmp}/folder-as-file.yaml"],
        ["validate", "-f", "{tmp}", "-o", "xml"],
        ["render", "-f", "{tmp}/p.yaml", "--out-dir", "{tmp}/p.yaml"],
        ["render", "-f", "{tmp}/p.yaml"],
        ["test", "-f", "{tmp}/p.yaml", "--promtool", "/nonexistent"],
        ["test", "-f", "{tmp}/p.yaml", "--promtool", "{tmp}"],
        ["crds", "--out-dir", "{tmp}/p.yaml"],
        ["forecast", "predict", "--csv", "{tmp}/p.yaml"],
        ["forecast", "predict", "--csv", "/nonexistent"],
        ["forecast", "backtest", "--csv", "{tmp}/short.csv"],
        ["forecast", "predict", "--csv", "{tmp}/short.csv", "--horizon", "5 minutes"],
        ["run", "--namespace-mode", "listed"],
        ["run", "--kubeconfig", "/nonexistent"],
        ["run", "--kubeconfig", "{tmp}/p.yaml", "--standalone"],
        ["run", "--listen", "8080:x"],
        ["run", "--prometheus-url", "http://prometheus:9090"],
        ["render", "-f", "{tmp}/p.yaml", "--out-dir", "/proc/augur"],
        ["crds", "--out-dir", "/proc/augur"],
        ["dev", "tools", "nosuchtool"],
        ["nosuchcommand"],
    ],
)
def test_user_mistakes_are_messages_not_tracebacks(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00kind")
    (tmp_path / "folder-as-file.yaml").mkdir()
    (tmp_path / "short.csv").write_text("timestamp,value\n1,2\n2,3\n")
    (tmp_path / "p.yaml").write_text(
        "apiVersion: augur.dev/v1alpha1\nkind: AlertPolicy\nmetadata: {name: a, namespace: b}\n"
        "spec:\n  alerts: [{name: A, severity: high, expr: up == 0}]\n"
        "  tests: [{name: t, inputSeries: [{series: up, values: '1'}], expectAlerts: []}]\n"
    )
    result = CliRunner().invoke(main, [arg.format(tmp=tmp_path) for arg in argv])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.output.strip(), "a mistake is explained"
