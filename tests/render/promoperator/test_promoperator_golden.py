"""PrometheusRules as augur loads them, against what prometheus-operator v0.85.0 generates.

cases/<case>.yaml holds a MonitoringStack and real-world PrometheusRules (kube-prometheus'
Alertmanager and Prometheus rules; postgres-exporter and redis-exporter rules as their Helm
charts ship them). golden/<case>.out/ is augur's output (`--update-golden` rewrites it).

po/<case>/<namespace>-<name>.yaml is the rule file prometheus-operator v0.85.0 wrote for each
selected PrometheusRule, run on the local control plane (po/README.md says how); its code
explains every line of it:

- `pkg/operator/rules.go:PrometheusRuleSelector.generateRulesConfiguration`: the spec after
  `sanitizePrometheusRulesSpec` (for Prometheus 3.5: `partial_response_strategy` dropped,
  `limit`, `query_offset`, group `labels` and `keep_firing_for` kept), marshalled by
  `sigs.k8s.io/yaml` (through JSON: keys sorted, unset fields omitted, an int `expr` stays a
  number). It is marshalled *before* `ValidateRule` blanks empty durations, so `for: ""`
  stays in the file.
- `pkg/namespacelabeler/labeler.go:Labeler.EnforceNamespaceLabel`, with
  `enforcedNamespaceLabel: namespace`: every rule gets `labels.namespace: <its namespace>`,
  and its expression is printed anew by Prometheus' parser with `namespace="<ns>"` set in
  every selector (prom-label-proxy's enforcer: replaced where the selector names the label,
  appended otherwise; the same as `promtool promql label-matchers set`:
  `test_prometheus_operators_enforcement_is_prometheus_own`).

Where augur differs, on purpose (`augur.render.rules.promoperator`): the stack's own namespace
is not restricted (as if in prometheus-operator's `excludedFromEnforcement`); an empty `for`
is left out (prometheus-operator's file has `for: ""`, which Prometheus refuses: see
`test_prometheus_refuses_prometheus_operators_empty_for`); a tenant's label naming another
namespace is refused where prometheus-operator overwrites it; with an enforced label other than
`namespace`, a tenant's rules get `namespace: <ns>` too (as an AlertPolicy's); and expressions
are restricted in the text as written (comments and layout kept) where prometheus-operator
prints them anew.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from augur.commands.inputs import load
from augur.render.rules.files import render_rule_files
from augur.render.rules.tenancy import vector_selectors
from augur.render.selection import inputs_for, stacks_of

HERE = Path(__file__).resolve().parent
CASES = sorted(p.stem for p in (HERE / "cases").glob("*.yaml"))
_MATCHER = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*(?:=~|!~|!=|=)"(?:\\.|[^"\\])*"')

# (case, file of prometheus-operator) -> what augur does instead, by the reason above
REFUSED_BY_AUGUR = {("exporters-tenancy", "cache-impostor.yaml")}


def render_case(case: str) -> tuple[dict[str, str], list[str]]:
    """Every rule file of a case's stack (and rejected.txt), and the problems `load` found."""
    result = load([str(HERE / "cases" / f"{case}.yaml")])
    inventory = result.inventory
    rendered = render_rule_files(inputs_for(stacks_of(inventory)[0], inventory))
    files = {Path(f.path).name: f.text() for f in rendered.files}
    if rendered.rejected:
        files["rejected.txt"] = "".join(
            f"{key}: {problem}\n"
            for key, problems in rendered.rejected.items()
            for problem in problems
        )
    return files, [str(f) for f in result.findings]


def canonical(expr: Any) -> str:
    """An expression as Prometheus' grammar reads it (comments and layout gone), with each
    selector's matchers in one order."""
    printed = str(promql_parser.parse(str(expr)))
    return re.sub(
        r"\{([^{}]*)\}",
        lambda m: "{" + ",".join(sorted(_MATCHER.findall(m.group(1)))) + "}",
        printed,
    )


def semantic(groups: list[dict[str, Any]], *, exact: bool) -> list[dict[str, Any]]:
    """Rule groups as Prometheus reads them: keys in one order, an empty `for` unset, an
    expression as text (`exact`) or by its meaning."""
    result = []
    for group in groups:
        rules = []
        for rule in group.get("rules", []):
            kept = {k: v for k, v in rule.items() if not (k == "for" and v == "")}
            kept["expr"] = str(rule["expr"]) if exact else canonical(rule["expr"])
            rules.append(dict(sorted(kept.items())))
        result.append(dict(sorted({**group, "rules": rules}.items())))
    return result


def po_files(case: str) -> list[Path]:
    return sorted((HERE / "po" / case).glob("*.yaml"))


@pytest.mark.parametrize("case", CASES)
def test_rule_files_match_golden(
    case: str, golden: Callable[[Path, str], None], request: pytest.FixtureRequest
) -> None:
    folder = HERE / "golden" / f"{case}.out"
    files, _ = render_case(case)
    if request.config.getoption("--update-golden") and folder.exists():
        for stale in folder.iterdir():
            if stale.name not in files:
                stale.unlink()
    for name, text in files.items():
        golden(folder / name, text)
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)


@pytest.mark.parametrize("case", CASES)
def test_augur_loads_what_prometheus_operator_generates(case: str) -> None:
    files, _ = render_case(case)
    tenancy = "tenancy" in case
    compared = 0
    for po_file in po_files(case):
        namespace, _, name = po_file.stem.partition("-")
        ours = files.get(f"promrule__{namespace}__{name}.yaml")
        if (case, po_file.name) in REFUSED_BY_AUGUR:
            assert ours is None
            assert f"PrometheusRule/{namespace}/{name}: " in files["rejected.txt"]
            continue
        assert ours is not None, f"no rule file for {po_file.stem}"
        expected = yaml.safe_load(po_file.read_text())["groups"]
        actual = yaml.safe_load(ours)["groups"]
        assert semantic(actual, exact=not tenancy) == semantic(expected, exact=not tenancy)
        compared += 1
    promrules = [n for n in files if n.startswith("promrule__")]
    assert len(promrules) == compared >= 2  # and nothing prometheus-operator would not load


def test_only_selected_prometheus_rules_load() -> None:
    files, _ = render_case("kube-prometheus")
    assert "promrule__monitoring__other-prometheus.yaml" not in files  # prometheus: other
    files, _ = render_case("exporters-tenancy")
    assert "promrule__ml__trainer.yaml" not in files  # namespace ml is not the stack's


def test_validate_places_a_tenants_foreign_label_in_the_file() -> None:
    _, findings = render_case("exporters-tenancy")
    source = HERE / "cases" / "exporters-tenancy.yaml"
    line = max(  # the impostor's label, after the metadata of namespace db
        number
        for number, text in enumerate(source.read_text().splitlines(), 1)
        if text.strip() == "namespace: db"
    )
    assert findings == [
        f"{source}:{line}:9 PrometheusRule/cache/impostor: "
        "spec.groups[0].rules[0].labels.namespace: label 'namespace' is reserved: under the "
        "stack's tenancy augur sets it to this object's namespace ('cache', not 'db')"
    ]


def test_tenant_rules_read_only_their_namespace() -> None:
    files, _ = render_case("exporters-tenancy")
    for name, text in files.items():
        if not name.startswith("promrule__"):
            continue
        namespace = name.split("__")[1]
        for group in yaml.safe_load(text)["groups"]:
            for rule in group["rules"]:
                assert rule["labels"]["namespace"] == namespace
                tree = promql_parser.parse(rule["expr"])
                for selector in vector_selectors(tree):
                    held = {(m.name, m.value) for m in selector.matchers.matchers}
                    assert ("namespace", namespace) in held, rule["expr"]


@pytest.mark.tools
def test_promtool_accepts_every_golden_rule_file(promtool: Path) -> None:
    paths = sorted((HERE / "golden").glob("*.out/promrule__*.yaml"))
    assert len(paths) >= 4
    result = subprocess.run(
        [str(promtool), "check", "rules", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.tools
def test_prometheus_refuses_prometheus_operators_empty_for(promtool: Path) -> None:
    """prometheus-operator writes `for: ""` as given; augur leaves it out, as prometheus-
    operator's own validation (which runs after the file is written) reads it."""
    po_file = HERE / "po" / "exporters-tenancy" / "db-postgres-exporter.yaml"
    rules = yaml.safe_load(po_file.read_text())["groups"][0]["rules"]
    assert [r["alert"] for r in rules if r.get("for") == ""] == ["PostgresqlDeadLocks"]
    result = subprocess.run(
        [str(promtool), "check", "rules", str(po_file)], capture_output=True, text=True
    )
    assert result.returncode != 0 and "empty duration string" in result.stderr


@pytest.mark.tools
def test_prometheus_operators_enforcement_is_prometheus_own(promtool: Path) -> None:
    """The expressions prometheus-operator wrote under enforcement (po/exporters-tenancy) mean
    what Prometheus' own code makes of the case's expressions when it sets namespace="<ns>" in
    every selector (`promtool promql label-matchers set`)."""
    docs = list(yaml.safe_load_all((HERE / "cases" / "exporters-tenancy.yaml").read_text()))
    checked = 0
    for doc in docs:
        if doc["kind"] != "PrometheusRule":
            continue
        meta = doc["metadata"]
        po_file = HERE / "po" / "exporters-tenancy" / f"{meta['namespace']}-{meta['name']}.yaml"
        if not po_file.exists():
            continue
        expected = yaml.safe_load(po_file.read_text())["groups"]
        for group, po_group in zip(doc["spec"]["groups"], expected, strict=True):
            for rule, po_rule in zip(group["rules"], po_group["rules"], strict=True):
                printed = subprocess.run(
                    [
                        str(promtool),
                        "--experimental",
                        "promql",
                        "label-matchers",
                        "set",
                        str(rule["expr"]),
                        "namespace",
                        meta["namespace"],
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
                assert canonical(printed) == canonical(po_rule["expr"])
                checked += 1
    assert checked >= 10
