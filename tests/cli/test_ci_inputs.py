"""`validate` / `render` / `test` in a CI pipeline: standard input, `kind: List`, positions,
empty input, excluded files, warnings and --strict, and the one meaning of `-o`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from augur.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STACK = (EXAMPLES / "shop" / "10-stack.yaml").read_text()

POLICY = """apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {name: api, namespace: shop}
spec:
  alerts:
    - name: Down
      severity: high
      expr: up == 0
"""

BAD_POLICY = POLICY.replace("severity: high", "severity: urgent")

LIST = """apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: x, namespace: shop}
  - apiVersion: augur.dev/v1alpha1
    kind: AlertPolicy
    metadata: {name: api, namespace: shop}
    spec:
      alerts:
        - {name: Down, severity: urgent, expr: up == 0}
"""


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_dash_reads_standard_input() -> None:
    code, out, _ = run("validate", "-f", "-", stdin=POLICY)
    assert code == 0
    assert "1 augur object(s), all valid" in out


def test_problems_in_standard_input_are_placed_in_it() -> None:
    code, _, err = run("validate", "-f", "-", stdin="---\n" + BAD_POLICY)
    assert code == 1
    assert "<stdin>:8:7 AlertPolicy/shop/api: spec.alerts[0].severity: 'urgent'" in err


def test_standard_input_is_read_once(tmp_path: Path) -> None:
    code, _, err = run("validate", "-f", "-", "-f", "-", stdin=POLICY)
    assert code == 2
    assert "standard input (-) can be read only once" in err


def test_invalid_object_inside_a_list_fails_at_its_field(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", LIST)
    code, out, err = run("validate", "-f", str(path))
    assert code == 1
    assert f"{path}:12:24 AlertPolicy/shop/api: spec.alerts[0].severity: 'urgent'" in err
    assert "1 other document(s) skipped" in out


def test_valid_list_items_are_counted_one_by_one(tmp_path: Path) -> None:
    listed = LIST.replace("urgent", "high")
    code, out, _ = run("validate", "-f", "-", stdin=listed)
    assert code == 0
    assert "1 augur object(s), all valid; 1 other document(s) skipped" in out


def test_json_carries_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "# a comment\n" + BAD_POLICY)
    code, out, _ = run("validate", "-f", str(path), "-o", "json")
    assert code == 1
    problem = json.loads(out)["problems"][0]
    assert (problem["file"], problem["line"], problem["column"]) == (str(path), 8, 7)
    assert problem["path"] == "spec.alerts[0].severity"


def test_missing_field_is_placed_at_the_enclosing_field(tmp_path: Path) -> None:
    text = POLICY.replace("    - name: Down\n      severity", "    - severity")
    code, _, err = run("validate", "-f", str(write(tmp_path, "p.yaml", text)))
    assert code == 1
    # name is not written: the alert it belongs to (line 6, the list item) is pointed at.
    assert ":6:7 AlertPolicy/shop/api: spec.alerts[0].name: required field is missing" in err


def test_yaml_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "kind: AlertPolicy\nspec: [unclosed\n")
    code, _, err = run("validate", "-f", str(path))
    assert code == 1
    assert f"{path}:3:1: not valid YAML" in err


def test_no_augur_object_fails_unless_allowed(tmp_path: Path) -> None:
    cm = write(tmp_path, "in/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    for command in (["validate"], ["render", "--out-dir", str(tmp_path / "out")], ["test"]):
        code, _, err = run(*command, "-f", str(cm.parent))
        assert code == 1, command
        assert f"{cm.parent}: no augur object found (1 other document(s) skipped)" in err
        assert "pass --allow-empty if that is expected" in err
        code, _, _ = run(*command, "-f", str(cm.parent), "--allow-empty")
        assert code == 0, command


def test_empty_folder_fails(tmp_path: Path) -> None:
    code, _, err = run("validate", "-f", str(tmp_path))
    assert code == 1
    assert "no augur object found" in err


def test_helm_template_is_a_yaml_error_with_a_hint_and_can_be_excluded(tmp_path: Path) -> None:
    write(tmp_path, "policy.yaml", POLICY)
    write(
        tmp_path,
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        '  labels:\n    {{- include "x.labels" . | nindent 4 }}\n',
    )
    code, _, err = run("validate", "-f", str(tmp_path))
    assert code == 1
    assert "not valid YAML" in err and "--exclude GLOB" in err
    for pattern in ("templates", "chart/*", "deployment.yaml"):
        code, out, err = run("validate", "-f", str(tmp_path), "--exclude", pattern)
        assert code == 0, (pattern, err)
        assert "1 augur object(s), all valid; 0 other document(s) skipped" in out


def test_object_no_stack_selects_warns_and_strict_fails(tmp_path: Path) -> None:
    write(tmp_path, "stack.yaml", STACK)
    write(tmp_path, "lost.yaml", POLICY.replace("namespace: shop", "namespace: payments"))
    code, out, err = run("validate", "-f", str(tmp_path))
    assert code == 0
    assert (
        "AlertPolicy/payments/api: metadata: warning: no MonitoringStack of the input selects "
        "it (stacks: monitoring/platform), so it is never loaded"
    ) in err
    assert "1 warning(s)" in out
    code, _, _ = run("validate", "-f", str(tmp_path), "--strict")
    assert code == 1
    code, out, _ = run("validate", "-f", str(tmp_path), "-o", "json")
    report = json.loads(out)
    assert report["valid"] is True
    assert report["warnings"][0]["severity"] == "warning"
    assert report["warnings"][0]["line"] == 3


def test_no_selection_warning_without_a_stack_in_the_input(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", POLICY.replace("namespace: shop", "namespace: payments"))
    code, _, err = run("validate", "-f", str(path), "--strict")
    assert code == 0, err
    assert "warning" not in err


def test_selection_warning_says_namespace_labels_are_unknown(tmp_path: Path) -> None:
    stack = STACK.replace(
        "namespaceSelector:\n    matchNames: [monitoring, shop, ml]",
        "namespaceSelector:\n    matchLabels: {augur.dev/monitored: 'true'}",
    )
    write(tmp_path, "stack.yaml", stack)
    write(tmp_path, "p.yaml", POLICY)
    _, _, err = run("validate", "-f", str(tmp_path))
    assert "the labels of namespace shop are not in the input" in err
    write(
        tmp_path,
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\n"
        "metadata: {name: shop, labels: {augur.dev/monitored: 'true'}}\n",
    )
    code, _, err = run("validate", "-f", str(tmp_path), "--strict")
    assert code == 0, err


def test_object_without_namespace_warns(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", POLICY.replace(", namespace: shop", ""))
    code, _, err = run("validate", "-f", str(path))
    assert code == 0
    assert (
        f"{path}:3:1 AlertPolicy/default/api: metadata: warning: no metadata.namespace: "
        "checked as namespace `default`"
    ) in err
    code, _, _ = run("render", "-f", str(path), "--out-dir", str(tmp_path / "out"), "--strict")
    assert code == 1


def test_dash_o_means_a_format_and_is_refused_for_a_folder(tmp_path: Path) -> None:
    policy = str(write(tmp_path, "p.yaml", POLICY))
    for command in (["render", "-f", policy], ["crds"]):
        code, _, err = run(*command, "-o", str(tmp_path / "out"))
        assert code == 2
        assert f"write into a folder with --out-dir {tmp_path / 'out'}" in err
        assert not (tmp_path / "out").exists()


def test_output_dir_still_works(tmp_path: Path) -> None:
    policy = str(write(tmp_path, "p.yaml", POLICY))
    code, _, err = run("render", "-f", policy, "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    assert (tmp_path / "out" / "monitoring" / "default" / "manifests.yaml").exists()
    code, _, _ = run("crds", "--output-dir", str(tmp_path / "crds"))
    assert code == 0
    assert (tmp_path / "crds" / "augur.dev_alertpolicies.yaml").exists()
