"""Grafana: golden cases, Kubernetes 1.33 validity, dashboards Grafana accepts whose every
query names a series augur records, and no secret value anywhere."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from grafanahelpers import (
    CASES,
    GOLDEN,
    dashboard_problems,
    files_text,
    is_grafana_unit,
    load,
    panels,
    render_case,
    render_text,
)

from augur.render.grafana.dashboards.kpis import grafana_unit
from augur.render.grafana.dashboards.provisioning import DATASOURCES_FILE, PROVIDERS_FILE
from augur.render.grafana.objects import ADMIN_PASSWORD_KEY, render_grafana_component
from augur.render.k8s.labels import CREATE_ONLY_ANNOTATION, RANDOM_KEYS_ANNOTATION
from augur.render.rules.files import render_rules_component
from augur.render.stack import stack_endpoints
from augur.render.yamlwriter import dump_yaml_documents

Golden = Callable[[Path, str], None]


def _dashboards(case: str) -> dict[str, dict[str, Any]]:
    output = render_case(case)
    return {
        path: json.loads(text)
        for path, text in output.files.items()
        if path.startswith("grafana/dashboards/")
    }


def _datasource_uids(case: str) -> set[str]:
    text = render_case(case).files[DATASOURCES_FILE]
    return {d["uid"] for d in yaml.safe_load(text)["datasources"]}


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, golden: Golden) -> None:
    output = render_case(case)
    golden(GOLDEN / f"{case}.manifests.yaml", dump_yaml_documents(output.manifests))
    golden(GOLDEN / f"{case}.files.txt", files_text(output))


def test_every_case_has_its_outputs() -> None:
    outputs = {p.name for p in GOLDEN.iterdir() if not p.name.endswith(".in.yaml")}
    expected = {f"{c}.{kind}" for c in CASES for kind in ("manifests.yaml", "files.txt")}
    assert outputs == expected


@pytest.mark.parametrize("case", CASES)
def test_output_is_deterministic(case: str) -> None:
    assert render_case(case).files == render_case(case).files


@pytest.mark.parametrize("case", CASES)
def test_manifests_are_valid_kubernetes_1_33(case: str) -> None:
    for document in yaml.safe_load_all((GOLDEN / f"{case}.manifests.yaml").read_text()):
        kubernetes_validate.validate(document, "1.33", strict=True)


@pytest.mark.parametrize("case", CASES)
def test_dashboards_are_valid_and_read_provisioned_datasources(case: str) -> None:
    uids = _datasource_uids(case)
    for path, dashboard in _dashboards(case).items():
        assert dashboard_problems(dashboard, uids) == [], path


def test_dashboard_uids_are_unique_and_each_dashboard_has_a_provider() -> None:
    output = render_case("full")
    boards = _dashboards("full")
    assert len({b["uid"] for b in boards.values()}) == len(boards)
    providers = yaml.safe_load(output.files[PROVIDERS_FILE])["providers"]
    [config_map] = [
        m for m in output.manifests if m["metadata"]["name"] == "platform-grafana-dashboards"
    ]
    [deployment] = [m for m in output.manifests if m["kind"] == "Deployment"]
    [volume] = [
        v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "dashboards"
    ]
    paths = {f"/etc/grafana/dashboards/augur/{i['path']}" for i in volume["configMap"]["items"]}
    assert {i["key"] for i in volume["configMap"]["items"]} == set(config_map["data"])
    provider_dirs = {p["options"]["path"] for p in providers if p["name"] != "user"}
    assert {path.rsplit("/", 1)[0] for path in paths} == provider_dirs
    folders = {p["folder"] for p in providers}
    assert folders == {"augur", "Business KPIs", "ML quality", "Dashboards"}


def _value_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in panels(dashboard) if p["title"] == "Value vs target"]


def test_kpi_dashboards_have_a_value_panel_per_shown_kpi() -> None:
    inputs, _ = load((GOLDEN / "full.in.yaml").read_text())
    boards = [b for path, b in _dashboards("full").items() if "/kpis-" in path]
    exprs = [t["expr"] for b in boards for p in _value_panels(b) for t in p["targets"]]
    shown = [k for k in inputs.business_kpis if k.spec.dashboard.enabled]
    assert len(exprs) == len(shown) == 3
    for kpi in shown:
        assert sum(f'augur_kpi="{kpi.name}"' in e and kpi.namespace in e for e in exprs) == 1


def _kpi_stack(count: int, folders: int) -> str:
    docs = [
        "apiVersion: augur.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: s, namespace: m}\nspec: {}"
    ]
    for i in range(count):
        docs.append(
            "apiVersion: augur.dev/v1alpha1\nkind: BusinessKPI\n"
            f"metadata: {{name: kpi-{i}, namespace: m}}\n"
            "spec:\n  indicator: {value: sum(up)}\n  objective: {target: 1, window: 1d}\n"
            f"  dashboard: {{folder: 'Folder {i % folders}'}}"
        )
    return "\n---\n".join(docs)


@pytest.mark.parametrize(("count", "folders"), [(1, 1), (7, 3), (25, 1)])
def test_kpi_panel_count_follows_the_input(count: int, folders: int) -> None:
    output = render_text(_kpi_stack(count, folders))
    boards = [json.loads(t) for p, t in output.files.items() if "/kpis-" in p]
    assert len(boards) == folders
    assert sum(len(_value_panels(b)) for b in boards) == count


def test_scaling_dashboard_has_a_load_panel_per_policy() -> None:
    inputs, _ = load((GOLDEN / "full.in.yaml").read_text())
    board = _dashboards("full")["grafana/dashboards/scaling.json"]
    load_panels = [p for p in panels(board) if p["title"] == "Load vs forecast"]
    replica_panels = [p for p in panels(board) if p["title"] == "Replicas"]
    assert len(load_panels) == len(replica_panels) == len(inputs.scaling_policies) == 2
    for policy, panel in zip(inputs.scaling_policies, load_panels, strict=True):
        exprs = [t["expr"] for t in panel["targets"]]
        assert any(f'scaling_policy="{policy.name}"' in e for e in exprs)
        assert any("http_requests_total" in e or "queue_depth" in e for e in exprs)


def test_anomaly_dashboard_has_a_panel_per_anomaly_alert_with_its_band() -> None:
    board = _dashboards("full")["grafana/dashboards/anomalies.json"]
    graphs = [p for p in panels(board) if p["type"] == "timeseries"]
    assert [p["title"].split(" ")[0] for p in graphs] == ["LatencyAnomaly", "TrafficDrop"]
    for panel in graphs:
        overrides = panel["fieldConfig"]["overrides"]
        fill = [
            prop["value"]
            for o in overrides
            for prop in o["properties"]
            if prop["id"] == "custom.fillBelowTo"
        ]
        assert fill == ["lower band"]


def test_no_secret_value_is_rendered() -> None:
    for case in CASES:
        output = render_case(case)
        for secret in (m for m in output.manifests if m["kind"] == "Secret"):
            assert "data" not in secret
            assert set(secret.get("stringData", {})) == {"admin-user"}
            annotations = secret["metadata"]["annotations"]
            assert annotations[CREATE_ONLY_ANNOTATION] == "true"
            assert annotations[RANDOM_KEYS_ANNOTATION] == ADMIN_PASSWORD_KEY
        [deployment] = [m for m in output.manifests if m["kind"] == "Deployment"]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        for env in container["env"]:
            if "PASSWORD" in env["name"] or env["name"] == "GF_SECURITY_ADMIN_USER":
                assert "value" not in env and "secretKeyRef" in env["valueFrom"], env
        assert "password" not in json.dumps(output.files).lower()


def test_ha_reads_the_database_password_from_its_secret_and_keeps_no_volume() -> None:
    output = render_case("ha")
    [deployment] = [m for m in output.manifests if m["kind"] == "Deployment"]
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["GF_DATABASE_PASSWORD"]["valueFrom"] == {
        "secretKeyRef": {"name": "grafana-db", "key": "password"}
    }
    assert not [m for m in output.manifests if m["kind"] == "PersistentVolumeClaim"]
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate"}
    assert [m["kind"] for m in output.manifests].count("PodDisruptionBudget") == 1


def test_user_dashboards_are_the_selected_config_maps_of_the_stack_namespace() -> None:
    output = render_case("full")
    [deployment] = [m for m in output.manifests if m["kind"] == "Deployment"]
    spec = deployment["spec"]["template"]["spec"]
    mounted = [v["configMap"]["name"] for v in spec["volumes"] if v["name"].startswith("user-")]
    assert mounted == ["sre-dashboards"]
    assert "subPath" not in json.dumps(spec)


def test_datasources_are_the_enabled_components_at_their_service_urls() -> None:
    full = yaml.safe_load(render_case("full").files[DATASOURCES_FILE])["datasources"]
    assert {d["uid"]: d["url"] for d in full} == {
        "augur-prometheus": "http://platform-prometheus.monitoring.svc:9090/prom",
        "augur-alertmanager": "http://platform-alertmanager.monitoring.svc:9093",
        "augur-jaeger": "http://platform-jaeger.monitoring.svc:16686",
    }
    ha = yaml.safe_load(render_case("ha").files[DATASOURCES_FILE])["datasources"]
    assert [d["uid"] for d in ha] == ["augur-prometheus"]


def test_disabled_grafana_renders_nothing() -> None:
    text = "apiVersion: augur.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: s, namespace: m}\nspec: {grafana: {enabled: false}}"
    inputs, _ = load(text)
    output = render_grafana_component(inputs, stack_endpoints(inputs.stack))
    assert output.files == {} and output.manifests == []


def test_kpi_and_anomaly_panels_draw_only_series_the_rules_record() -> None:
    inputs, _ = load((GOLDEN / "full.in.yaml").read_text())
    recorded = {
        rule["record"]
        for text in render_rules_component(inputs).files.values()
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    drawn = set()
    for path, board in _dashboards("full").items():
        if "/kpis-" in path or path.endswith("anomalies.json"):
            for panel in panels(board):
                for target in panel.get("targets", []):
                    drawn |= set(re.findall(r"augur_[a-z_]+:[a-z_:0-9]+", target["expr"]))
    assert drawn and drawn <= recorded, drawn - recorded


def test_the_dashboard_check_refuses_what_grafana_would_not_show() -> None:
    [board] = [b for p, b in _dashboards("full").items() if p.endswith("stack-health.json")]
    uids = _datasource_uids("full")
    graph = next(p for p in panels(board) if p["type"] == "timeseries")
    graph["fieldConfig"]["defaults"]["unit"] = "suffix: any"
    graph["targets"][0]["expr"] = "sum(rate(x[5m])"
    graph["fieldConfig"]["defaults"]["unitt"] = "s"
    found = dashboard_problems(board, uids)
    assert any("'suffix: any' is not a Grafana unit" in p for p in found)
    assert any("is not PromQL" in p for p in found)
    assert any("unitt: not in Grafana's dashboard schema" in p for p in found)


def test_units_are_grafanas_and_the_default_kpi_unit_is_a_plain_number() -> None:
    assert is_grafana_unit("reqps") and is_grafana_unit("ops") and is_grafana_unit("percent")
    assert is_grafana_unit("suffix: orders") and is_grafana_unit("currency:CAD")
    assert not is_grafana_unit("suffix: any") and not is_grafana_unit("requests/s")
    assert grafana_unit("any") == "short"
    assert grafana_unit("currency:EUR") == "currencyEUR"
    assert grafana_unit("currency:CAD") == "currency:CAD"
    assert grafana_unit("orders") == "suffix: orders"


def _kpi(name: str, namespace: str, window: str) -> str:
    return (
        "apiVersion: augur.dev/v1alpha1\nkind: BusinessKPI\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\n"
        f"spec:\n  indicator: {{value: sum(up)}}\n  objective: {{target: 1, window: {window}}}"
    )


def test_a_kpi_dashboard_per_namespace_opens_on_its_longest_objective_window() -> None:
    stack = (
        "apiVersion: augur.dev/v1alpha1\nkind: MonitoringStack\n"
        "metadata: {name: s, namespace: m}\nspec: {namespaceSelector: {any: true}}"
    )
    docs = [stack, _kpi("a", "shop", "30d"), _kpi("b", "shop", "36h"), _kpi("c", "ml", "1d")]
    output = render_text("\n---\n".join(docs))
    boards = {
        b["title"]: b for b in (json.loads(t) for p, t in output.files.items() if "/kpis-" in p)
    }
    assert set(boards) == {"Business KPIs: shop", "Business KPIs: ml"}
    assert boards["Business KPIs: shop"]["time"] == {"from": "now-30d", "to": "now"}
    assert boards["Business KPIs: ml"]["time"] == {"from": "now-1d", "to": "now"}
    variables = {v["name"]: v for v in boards["Business KPIs: shop"]["templating"]["list"]}
    assert (
        variables["kpi"]["query"]
        == 'label_values(augur_kpi:value:current{namespace="shop"}, augur_kpi)'
    )
    assert variables["datasource"]["current"]["value"] == "augur-prometheus"
    exprs = [t["expr"] for p in panels(boards["Business KPIs: shop"]) for t in p.get("targets", [])]
    assert exprs and all('augur_kpi=~"$kpi"' in e for e in exprs)


def test_reload_status_is_a_state_and_policies_can_be_chosen() -> None:
    boards = _dashboards("full")
    health = boards["grafana/dashboards/stack-health.json"]
    [reloads] = [p for p in panels(health) if p["type"] == "state-timeline"]
    assert reloads["title"] == "Configuration reloads"
    [mapping] = reloads["fieldConfig"]["defaults"]["mappings"]
    assert mapping["options"]["0"]["text"] == "reload failed"
    for name in ("anomalies.json", "scaling.json"):
        variables = [v["name"] for v in boards[f"grafana/dashboards/{name}"]["templating"]["list"]]
        assert variables == ["datasource", "namespace", "policy"], name


def test_the_dashboards_config_map_carries_the_grafana_sidecar_label() -> None:
    output = render_case("full")
    [config_map] = [
        m for m in output.manifests if m["metadata"]["name"] == "platform-grafana-dashboards"
    ]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"


@pytest.mark.parametrize("case", CASES)
def test_each_dashboard_is_encoded_once_per_render(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from augur.render.grafana.dashboards import provisioning

    encoded: list[int] = []
    real = provisioning.dashboard_text

    def counting(data: dict[str, Any]) -> str:
        encoded.append(id(data))
        return real(data)

    monkeypatch.setattr(provisioning, "dashboard_text", counting)
    output = render_case(case)
    dashboards = [p for p in output.files if p.startswith("grafana/dashboards/")]
    assert len(encoded) == len(set(encoded)) == len(dashboards)
