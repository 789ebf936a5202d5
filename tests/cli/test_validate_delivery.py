"""`augur validate` warns when an alert can only reach a receiver that delivers nowhere."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from augur.cli import main

CASE = Path(__file__).resolve().parents[1] / "render" / "alertmanager" / "golden"
ROUTED = (CASE / "kpi-routing.in.yaml").read_text()


def validate(tmp_path: Path, text: str, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "input.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["validate", "-f", str(path), *extra])
    return result.exit_code, result.stdout, result.stderr


def test_an_unrouted_kpi_is_a_warning_at_its_alerting_field(tmp_path: Path) -> None:
    unrouted = ROUTED.replace(
        "    policyRef: {name: payments}\n    breach: {for: 15m", "    breach: {for: 15m"
    )
    code, _, err = validate(tmp_path, unrouted)
    assert code == 0
    lines = [line for line in err.splitlines() if "checkout-availability" in line]
    assert len(lines) == 1
    rows = unrouted.splitlines()
    kpi = rows.index("metadata: {name: checkout-availability, namespace: shop}")
    alerting = rows.index("  alerting:", kpi) + 1
    assert (
        f"input.yaml:{alerting}:3 BusinessKPI/shop/checkout-availability: spec.alerting: warning: "
        in lines[0]
    )
    assert "KPIErrorBudgetBurn (critical)" in lines[0]
    assert "can only reach receiver nobody of stack monitoring/shared" in lines[0]
    strict, _, _ = validate(tmp_path, unrouted, "--strict")
    assert strict == 1


def test_routed_kpis_raise_no_warning_of_their_own(tmp_path: Path) -> None:
    code, out, _ = validate(tmp_path, ROUTED, "-o", "json")
    assert code == 0
    report = json.loads(out)
    assert report["valid"] is True
    # only the stack's self-monitoring alerts reach its empty default receiver
    assert [(w["kind"], w["path"]) for w in report["warnings"]] == [
        ("MonitoringStack", "spec.alertmanager.defaultReceiver")
    ]
