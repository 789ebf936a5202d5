"""The `augur` command line: help, version, crds, validate and render, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from augur import versions
from augur.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_every_command() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for command in ("version", "crds", "validate", "render", "forecast", "dev"):
        assert f"  {command} " in out


def test_version_prints_pinned_components() -> None:
    code, out, _ = run("version")
    assert code == 0
    assert f"prometheus {versions.PROMETHEUS_VERSION}" in out


def test_crds_to_stdout_are_yaml_crds() -> None:
    code, out, _ = run("crds")
    assert code == 0
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert len(docs) == 6
    assert all(d["kind"] == "CustomResourceDefinition" for d in docs)


def test_crds_to_folder(tmp_path: Path) -> None:
    code, _, _ = run("crds", "--out-dir", str(tmp_path))
    assert code == 0
    assert (tmp_path / "augur.dev_alertpolicies.yaml").exists()


def test_validate_examples_passes() -> None:
    code, out, _ = run("validate", "-f", str(EXAMPLES / "shop"))
    assert code == 0
    assert "9 augur object(s), all valid; 12 other document(s) skipped" in out


def test_validate_reports_file_line_column_object_field(tmp_path: Path) -> None:
    bad = tmp_path / "policies.yaml"
    bad.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
        "apiVersion: augur.dev/v1alpha1\nkind: AlertPolicy\n"
        "metadata: {name: api, namespace: shop}\n"
        "spec:\n  alerts:\n    - {name: A, severity: high, expr: 'up =='}\n"
    )
    code, _, err = run("validate", "-f", str(bad))
    assert code == 1
    assert (
        f"{bad}:10:33 AlertPolicy/shop/api: spec.alerts[0].expr: "
        "invalid PromQL at column 6: unexpected end of expression"
    ) in err


def test_validate_refuses_an_escalation_cycle_naming_its_steps() -> None:
    path = EXAMPLES / "invalid" / "escalation-cycle.yaml"
    code, _, err = run("validate", "-f", str(path))
    assert code == 1
    assert (
        f"{path}:10:5 AlertPolicy/shop/escalation-cycle: spec.routing.escalation: "
        "steps escalation[0] (medium -> high after 4h) and escalation[1] (high -> medium after 1h) "
        "form a cycle medium -> high -> medium: every step must raise severity"
    ) in err


def test_validate_json_output(tmp_path: Path) -> None:
    code, out, _ = run(
        "validate", "-f", str(EXAMPLES / "invalid" / "bad-severity.yaml"), "-o", "json"
    )
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False
    assert report["problems"][0]["path"] == "spec.alerts[0].severity"
    assert report["problems"][0]["kind"] == "AlertPolicy"


def test_validate_yaml_syntax_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("kind: AlertPolicy\nspec: [unclosed\n")
    code, _, err = run("validate", "-f", str(bad))
    assert code == 1
    assert "not valid YAML" in err


def test_validate_missing_path() -> None:
    code, _, err = run("validate", "-f", "/nonexistent/policies")
    assert code == 2
    assert "no such file or folder" in err


def test_validate_duplicate_objects(tmp_path: Path) -> None:
    doc = (EXAMPLES / "shop" / "21-alertpolicy-payments.yaml").read_text()
    (tmp_path / "a.yaml").write_text(doc)
    (tmp_path / "b.yaml").write_text(doc)
    code, _, err = run("validate", "-f", str(tmp_path))
    assert code == 1
    assert "defined twice" in err


def test_render_without_stack_uses_default_stack(tmp_path: Path) -> None:
    policy = EXAMPLES / "shop" / "21-alertpolicy-payments.yaml"
    # payments routes to platform-oncall, the shop stack's default receiver: without the stack
    # the reference cannot resolve, so render reports it and exits 1, but still writes.
    code, out, err = run("render", "-f", str(policy), "--out-dir", str(tmp_path))
    assert "monitoring/default" in out
    assert (tmp_path / "monitoring" / "default" / "manifests.yaml").exists()
    assert code == 1
    assert "receiver 'platform-oncall'" in err


def test_render_shop_writes_one_folder_per_stack(tmp_path: Path) -> None:
    code, _, err = run("render", "-f", str(EXAMPLES / "shop"), "--out-dir", str(tmp_path))
    assert code == 0, err
    assert (tmp_path / "monitoring" / "platform" / "manifests.yaml").exists()
    assert not (tmp_path / "monitoring" / "default").exists()
