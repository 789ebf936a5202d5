"""`augur render` writes and deletes only inside --out-dir, whatever the input: names and
namespaces are validated, and the writer checks every path again itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from augur.cli import main
from augur.commands.render import OutsideOutput, write_stack_folder

POLICY = """\
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  alerts: [{{name: A, severity: high, expr: up == 0}}]
"""
KPI = """\
apiVersion: augur.dev/v1alpha1
kind: BusinessKPI
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  indicator: {{value: avg(score)}}
  objective: {{target: 0.8, comparison: ">=", window: 7d}}
"""
STACK = """\
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {{name: {name}, namespace: {namespace}}}
spec: {{}}
"""


def render(tmp_path: Path, text: str) -> tuple[int, str, Path]:
    source = tmp_path / "input.yaml"
    source.write_text(text)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "-f", str(source), "--out-dir", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr, out


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_stack_namespace_that_is_a_path_deletes_nothing(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    code, err, _ = render(tmp_path, STACK.format(name="x", namespace=victim))
    assert code == 1
    assert f"MonitoringStack/{victim}/x: metadata.namespace:" in err
    assert (victim / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize("template", [POLICY, KPI])
def test_namespace_climbing_out_writes_nothing_outside(tmp_path: Path, template: str) -> None:
    before = files_under(tmp_path)
    code, err, out = render(tmp_path, template.format(name="p", namespace="../../escaped"))
    assert code == 1
    assert "/../../escaped/p: metadata.namespace: '../../escaped' is not a namespace name" in err
    # Only the input file and (at most) the output folder are new.
    assert files_under(tmp_path) - before <= {"input.yaml"} | {
        str(p.relative_to(tmp_path)) for p in out.rglob("*")
    } | {"out"}


def test_long_namespace_is_a_validation_error_not_an_os_error(tmp_path: Path) -> None:
    code, err, _ = render(tmp_path, POLICY.format(name="p", namespace="a" * 300))
    assert code == 1
    assert "a namespace name is at most 63 characters (not 300)" in err
    assert "File name too long" not in err


def test_valid_input_still_renders_into_its_folder(tmp_path: Path) -> None:
    code, _, out = render(tmp_path, POLICY.format(name="p", namespace="shop"))
    assert code == 0
    assert (out / "monitoring" / "default" / "prometheus" / "rules" / "shop__p.yaml").exists()


# The writer on its own, as if validation had been bypassed.


@pytest.mark.parametrize(
    ("namespace", "name"),
    [("..", "x"), ("ns", ".."), ("/tmp/x", "y"), ("a/../..", "b"), ("ns", "../../x"), ("", "x")],
)
def test_writer_refuses_a_stack_folder_outside_the_output(
    tmp_path: Path, namespace: str, name: str
) -> None:
    root = tmp_path / "out"
    root.mkdir()
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep").write_text("keep")
    with pytest.raises(OutsideOutput):
        write_stack_folder(root, namespace, name, {"a.yaml": "a: 1\n"})
    assert (tmp_path / "x" / "keep").read_text() == "keep"
    assert files_under(root) == set()


@pytest.mark.parametrize("relative", ["../escape.yaml", "/tmp/escape.yaml", "a/../../b.yaml", "."])
def test_writer_refuses_a_file_outside_its_stack_folder(tmp_path: Path, relative: str) -> None:
    root = tmp_path / "out"
    (root / "ns" / "stack").mkdir(parents=True)
    (root / "ns" / "stack" / "old.yaml").write_text("old")
    with pytest.raises(OutsideOutput):
        write_stack_folder(root, "ns", "stack", {"ok.yaml": "ok", relative: "bad"})
    # Checked before anything is touched: the old folder is still there, nothing new written.
    assert files_under(root) == {"ns", "ns/stack", "ns/stack/old.yaml"}
    assert not (tmp_path / "escape.yaml").exists()


def test_writer_does_not_follow_a_link_out_of_the_output(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    outside = tmp_path / "outside"
    (outside / "stack").mkdir(parents=True)
    (outside / "stack" / "keep").write_text("keep")
    (root / "ns").symlink_to(outside)
    with pytest.raises(OutsideOutput):
        write_stack_folder(root, "ns", "stack", {"a.yaml": "a"})
    assert (outside / "stack" / "keep").read_text() == "keep"


def test_writer_replaces_the_stack_folder(tmp_path: Path) -> None:
    root = tmp_path / "out"
    write_stack_folder(root, "ns", "stack", {"old.yaml": "old", "sub/a.yaml": "a"})
    folder = write_stack_folder(root, "ns", "stack", {"sub/b.yaml": "b"})
    assert folder == (root / "ns" / "stack").resolve()
    assert files_under(root) == {"ns", "ns/stack", "ns/stack/sub", "ns/stack/sub/b.yaml"}
