"""Input that used to crash or hang `validate` and `render`: deep nesting, alias bombs, alias
cycles, malformed Namespace documents. Each is refused with a placed, readable problem."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from augur.api.bounds import MAX_DEPTH
from augur.cli import main
from augur.commands.inputs import load
from augur.commands.sources import MAX_ALIASED_NODES, Source, documents

STACK = """\
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {name: platform, namespace: monitoring}
spec:
  prometheus:
    pod:
      affinity: AFFINITY
"""


def run(*args: str) -> tuple[int, str, str, BaseException | None]:
    result = CliRunner().invoke(main, list(args))
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.stdout, result.stderr, exception


def bomb(levels: int = 9, width: int = 10) -> str:
    """A YAML alias bomb as a flow mapping: width**levels nodes once expanded."""
    parts = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for level in range(1, levels):
        parts.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "{" + ", ".join(parts) + "}"


def test_deep_nesting_is_a_placed_problem_not_a_recursion_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 2000 + "]" * 2000 + "\n")
    code, _, err, exception = run("validate", "-f", str(deep))
    assert exception is None
    assert code == 1
    assert f"deep.yaml:1:{3 + MAX_DEPTH}: YAML refused: nested deeper than {MAX_DEPTH}" in err


def test_nesting_up_to_the_bound_loads() -> None:
    depth = MAX_DEPTH - 1  # the mapping holding `a` is one level, the innermost scalar one
    text = "a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"
    found, problem = documents(Source("x.yaml", text))
    assert problem is None
    assert len(found) == 1


def test_alias_bomb_in_a_free_form_field_is_refused_by_validate_and_render(
    tmp_path: Path,
) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text(STACK.replace("AFFINITY", bomb()))
    code, _, err, exception = run("validate", "-f", str(stack))
    assert exception is None
    assert code == 1
    assert "YAML refused: aliases expand to more than" in err
    assert "stack.yaml:7:" in err  # the line of the affinity, where the bomb goes off
    out = tmp_path / "out"
    code, _, err, exception = run("render", "-f", str(stack), "--out-dir", str(out))
    assert exception is None
    assert code == 1
    assert "YAML refused" in err


def test_aliases_under_the_bound_load_as_before() -> None:
    # An anchor reused a few times (a common way to share a block) is fine.
    text = "a: &shared {k: [1, 2, 3]}\nb: *shared\nc: *shared\nd: {<<: *shared, e: 1}\n"
    found, problem = documents(Source("x.yaml", text))
    assert problem is None
    assert found[0].body["c"] == {"k": [1, 2, 3]}
    assert found[0].body["d"] == {"k": [1, 2, 3], "e": 1}


def test_expansion_just_over_the_bound_is_refused() -> None:
    width = 1000
    levels = 2  # (1 + width) nodes per a0, repeated width times by a1: just over 10**6/10
    text = bomb(levels, width)
    expanded = width * (1 + width)
    assert expanded > MAX_ALIASED_NODES
    _, problem = documents(Source("x.yaml", text))
    assert problem is not None
    assert "aliases expand to more than" in problem.message


def test_alias_cycle_is_refused() -> None:
    _, problem = documents(Source("x.yaml", "a: &a [1, *a]\n"))
    assert problem is not None
    assert (problem.position.line, problem.position.column) == (1, 11)
    assert "an alias inside the node its anchor names" in problem.message


def test_aliases_cannot_multiply_depth() -> None:
    # Each anchor is 60 deep, well under the bound; nesting one inside the other is 120.
    inner = "[" * 60 + "1" + "]" * 60
    outer = "[" * 60 + "*a" + "]" * 60
    _, problem = documents(Source("x.yaml", f"a: &a {inner}\nb: {outer}\n"))
    assert problem is not None
    assert "once its aliases are expanded" in problem.message


def test_documents_before_a_refused_one_are_kept() -> None:
    text = "a: 1\n---\nb: " + "[" * 500 + "]" * 500 + "\n"
    found, problem = documents(Source("x.yaml", text))
    assert [d.body for d in found] == [{"a": 1}]
    assert problem is not None
    assert problem.position.line == 3


NAMESPACES = """\
apiVersion: v1
kind: Namespace
metadata: a-string
---
apiVersion: v1
kind: Namespace
metadata:
  name: listed
  labels: [a, b]
---
apiVersion: v1
kind: Namespace
metadata:
  name: unquoted
  labels:
    augur.dev/monitored: true
---
apiVersion: v1
kind: Namespace
metadata:
  name: ../escaped
---
apiVersion: v1
kind: Namespace
metadata:
  name: good
  labels: {team: a}
---
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {name: p, namespace: good}
spec:
  alerts: [{name: A, severity: high, expr: up == 0}]
"""


def test_malformed_namespace_documents_are_placed_problems(tmp_path: Path) -> None:
    path = tmp_path / "ns.yaml"
    path.write_text(NAMESPACES)
    result = load([str(path)])
    found = [(f.line, f.column, f.kind, f.name, f.path, f.message) for f in result.findings]
    assert found == [
        (3, 1, "Namespace", "<unnamed>", "metadata", "must be a mapping (name, labels, ...)"),
        (
            9,
            3,
            "Namespace",
            "listed",
            "metadata.labels",
            "must be a mapping of label names to string values",
        ),
        (
            15,
            3,
            "Namespace",
            "unquoted",
            "metadata.labels",
            "the value of label 'augur.dev/monitored' must be a string: write \"true\" in quotes",
        ),
        (
            21,
            3,
            "Namespace",
            "../escaped",
            "metadata.name",
            "'../escaped' is not a namespace name: lower-case letters, digits and '-', starting "
            "and ending with a letter or digit (a DNS-1123 label, like 'shop' or 'team-a')",
        ),
    ]
    # The well-formed ones are read as before.
    assert result.inventory.namespace_labels == {"good": {"team": "a"}}
    assert [p.key for p in result.inventory.alert_policies] == ["good/p"]


def test_malformed_namespace_is_reported_by_validate(tmp_path: Path) -> None:
    path = tmp_path / "ns.yaml"
    path.write_text(NAMESPACES)
    code, _, err, exception = run("validate", "-f", str(path))
    assert exception is None
    assert code == 1
    assert "ns.yaml:9:3 Namespace/listed: metadata.labels: must be a mapping" in err
