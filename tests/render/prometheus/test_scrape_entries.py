"""A MonitoringStack's scrape entries under tenancy: the user's relabelling never has the last
word on the enforced label, and rules that could write it (or its source) are refused."""

from __future__ import annotations

from typing import Any

import pytest

from augur.api.monitoringstack import MonitoringStackSpec
from augur.render.prometheus.credentials import SecretFiles
from augur.render.prometheus.scrape import scrape_job


def spec(target: dict[str, Any], label: str | None = "tenant") -> dict[str, Any]:
    tenancy = {"enforceNamespaceLabel": label} if label else {}
    return {"tenancy": tenancy, "prometheus": {"scrape": [{"name": "app", **target}]}}


def test_the_enforced_label_is_set_after_the_users_rules() -> None:
    model = MonitoringStackSpec.model_validate(
        spec({"relabelings": [{"sourceLabels": ["__address__"], "targetLabel": "node"}]})
    )
    job = scrape_job(model.prometheus.scrape[0], ["shop"], "30s", "tenant", SecretFiles(), "m")
    last = job["relabel_configs"][-1]
    assert last == {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "tenant"}
    assert {"source_labels": ["__address__"], "target_label": "node", "action": "replace"} in (
        job["relabel_configs"]
    )


def test_namespace_as_the_enforced_label_is_set_again_after_the_users_rules() -> None:
    model = MonitoringStackSpec.model_validate(
        spec(
            {"relabelings": [{"sourceLabels": ["__address__"], "targetLabel": "node"}]},
            label="namespace",
        )
    )
    job = scrape_job(model.prometheus.scrape[0], ["shop"], "30s", "namespace")
    namespace_copy = {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"}
    assert job["relabel_configs"][-1] == namespace_copy
    assert job["relabel_configs"].count(namespace_copy) == 2


@pytest.mark.parametrize(
    ("field", "rule"),
    [
        ("relabelings", {"targetLabel": "tenant", "replacement": "ml"}),
        ("relabelings", {"targetLabel": "__meta_kubernetes_namespace", "replacement": "ml"}),
        ("relabelings", {"action": "labeldrop", "regex": "__meta_kubernetes_namespace"}),
        ("relabelings", {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"}),
        ("metricRelabelings", {"sourceLabels": ["ns"], "targetLabel": "tenant"}),
        ("metricRelabelings", {"action": "labelkeep", "regex": "__name__|job|instance"}),
    ],
)
def test_rules_that_may_write_the_enforced_label_are_refused(
    field: str, rule: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"tenancy\.enforceNamespaceLabel reserves it"):
        MonitoringStackSpec.model_validate(spec({field: [rule]}))
    MonitoringStackSpec.model_validate(spec({field: [rule]}, label=None))  # no tenancy: fine


def test_honor_labels_is_refused_under_tenancy() -> None:
    with pytest.raises(ValueError, match="honorLabels"):
        MonitoringStackSpec.model_validate(spec({"honorLabels": True}))
    job = scrape_job(
        MonitoringStackSpec.model_validate(spec({"honorLabels": True}, None)).prometheus.scrape[0],
        ["shop"],
        "30s",
    )
    assert job["honor_labels"] is True


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {
                "basicAuth": {
                    "username": {"secretKeyRef": {"name": "s", "key": "u"}},
                    "password": {"secretKeyRef": {"name": "s", "key": "p"}},
                },
                "authorization": {"credentials": {"secretKeyRef": {"name": "s", "key": "t"}}},
            },
            "at most one of basicAuth, authorization and oauth2",
        ),
        (
            {
                "authorization": {
                    "type": "basic",
                    "credentials": {"secretKeyRef": {"name": "s", "key": "t"}},
                }
            },
            "use basicAuth",
        ),
        (
            {"tlsConfig": {"cert": {"secretKeyRef": {"name": "s", "key": "c"}}}},
            "cert and key go together",
        ),
        (
            {"tlsConfig": {"caFile": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"}},
            "Extra inputs are not permitted",
        ),
        (
            {"bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"},
            "Extra inputs are not permitted",
        ),
        ({"scrapeProtocols": ["PrometheusProto", "PrometheusProto"]}, "repeated"),
    ],
)
def test_what_prometheus_refuses_or_a_file_path_is_refused(
    target: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        MonitoringStackSpec.model_validate(spec(target, None))


def test_secrets_become_files_of_the_stacks_namespace() -> None:
    model = MonitoringStackSpec.model_validate(
        spec(
            {
                "tlsConfig": {
                    "ca": {"secretKeyRef": {"name": "tls", "key": "ca.crt"}},
                    "cert": {"secretKeyRef": {"name": "tls", "key": "tls.crt"}},
                    "key": {"secretKeyRef": {"name": "tls", "key": "tls.key"}},
                },
                "oauth2": {
                    "clientId": "me",
                    "clientSecret": {"secretKeyRef": {"name": "oauth", "key": "secret"}},
                    "tokenUrl": "https://auth.example.com/token",
                },
            },
            None,
        )
    )
    files = SecretFiles()
    job = scrape_job(model.prometheus.scrape[0], ["shop"], "30s", None, files, "monitoring")
    assert set(files.keys.values()) == {
        ("monitoring/tls", "ca.crt"),
        ("monitoring/tls", "tls.crt"),
        ("monitoring/tls", "tls.key"),
        ("monitoring/oauth", "secret"),
    }
    paths = [job["tls_config"][k] for k in ("ca_file", "cert_file", "key_file")]
    paths.append(job["oauth2"]["client_secret_file"])
    assert all(p.startswith("/etc/prometheus/credentials/prometheus.scrape.app.") for p in paths)
    assert len(set(paths)) == 4
