"""Which ServiceMonitors and PodMonitors a stack loads, and which it rejects (with why):
file paths only from the stack's own namespace, Secrets copied only with consent."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from stackhelpers import inputs_from_yaml

from augur.api.promoperator_monitors import parse_monitor
from augur.api.resources import InvalidObject
from augur.render.selection import secret_consent
from augur.render.stack import render_stack

STACK = {
    "apiVersion": "augur.dev/v1alpha1",
    "kind": "MonitoringStack",
    "metadata": {"name": "platform", "namespace": "monitoring"},
    "spec": {
        "namespaceSelector": {"matchNames": ["monitoring", "shop"]},
        "prometheusOperatorObjects": {"enabled": True},
        "prometheus": {"scrapeInterval": "30s"},
    },
}


def service_monitor(namespace: str, endpoint: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "app", "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": "x"}}, "endpoints": [endpoint], **spec},
    }


def inputs(*docs: dict[str, Any], stack: dict[str, Any] = STACK) -> Any:
    return inputs_from_yaml(yaml.safe_dump_all([stack, *docs]))


TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ({"port": "m", "bearerTokenFile": TOKEN_FILE}, "spec.endpoints[0].bearerTokenFile"),
        (
            {"port": "m", "tlsConfig": {"caFile": "/etc/ssl/ca.crt"}},
            "spec.endpoints[0].tlsConfig.caFile",
        ),
        (
            {"port": "m", "tlsConfig": {"certFile": "/c", "keyFile": "/k"}},
            "spec.endpoints[0].tlsConfig.certFile",
        ),
    ],
)
def test_file_paths_from_another_namespace_are_refused(endpoint: dict[str, Any], path: str) -> None:
    found = inputs(service_monitor("shop", endpoint))
    assert found.service_monitors == []
    problems = found.rejected["ServiceMonitor/shop/app"]
    assert path in [p.path for p in problems]
    assert all("ServiceAccount token" in p.message for p in problems)


def test_file_paths_of_the_stacks_own_namespace_are_kept() -> None:
    found = inputs(service_monitor("monitoring", {"port": "m", "bearerTokenFile": TOKEN_FILE}))
    assert [m.key for m in found.service_monitors] == ["monitoring/app"]
    [job] = [
        j
        for j in yaml.safe_load(render_stack(found).files["prometheus/prometheus.yml"])[
            "scrape_configs"
        ]
        if j["job_name"].startswith("serviceMonitor/")
    ]
    assert job["bearer_token_file"] == TOKEN_FILE


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        (
            {
                "port": "m",
                "oauth2": {
                    "clientId": {"configMap": {"name": "o", "key": "id"}},
                    "clientSecret": {"name": "o", "key": "s"},
                    "tokenUrl": "https://auth/token",
                },
            },
            "spec.endpoints[0].oauth2",
        ),
        (
            {"port": "m", "tlsConfig": {"ca": {"configMap": {"name": "ca", "key": "ca.crt"}}}},
            "spec.endpoints[0].tlsConfig.ca.configMap",
        ),
        ({"port": "m", "scrapeTimeout": "45s"}, "spec.endpoints[0].scrapeTimeout"),
    ],
)
def test_what_augur_cannot_load_is_rejected(endpoint: dict[str, Any], path: str) -> None:
    found = inputs(service_monitor("monitoring", endpoint))
    assert found.service_monitors == []
    assert [p.path for p in found.rejected["ServiceMonitor/monitoring/app"]] == [path]


def test_nothing_is_loaded_unless_the_stack_enables_it() -> None:
    stack = {**STACK, "spec": {**STACK["spec"], "prometheusOperatorObjects": {"enabled": False}}}
    found = inputs(service_monitor("shop", {"port": "m"}), stack=stack)
    assert found.service_monitors == [] and found.rejected == {}


def test_a_tenants_secrets_are_copied_only_with_consent() -> None:
    endpoint = {
        "port": "m",
        "authorization": {"credentials": {"name": "scrape", "key": "token"}},
    }
    found = inputs(service_monitor("shop", endpoint))
    output = render_stack(found)
    [(key, source)] = [(k, s) for k, s in output.secret_keys.items() if "servicemonitor" in k]
    assert source == ("shop/scrape", "token")
    assert output.secret_users[key] == "ServiceMonitor/shop/app"
    allowed, refused = secret_consent(found.stack, output.secret_keys, output.secret_users, {})
    assert key not in allowed
    assert "ServiceMonitor/shop/app" in refused
    consenting = {"shop": {"allow-stack.augur.dev/monitoring": "true"}}
    allowed, refused = secret_consent(
        found.stack, output.secret_keys, output.secret_users, consenting
    )
    assert key in allowed and refused == {}


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"scrapeClass": "tls"}, "spec.scrapeClass"),
        (
            {
                "endpoints": [
                    {
                        "port": "m",
                        "basicAuth": {
                            "username": {"name": "a", "key": "u"},
                            "password": {"name": "a", "key": "p"},
                        },
                        "authorization": {"credentials": {"name": "a", "key": "t"}},
                    }
                ]
            },
            "spec.endpoints[0]",
        ),
        (
            {
                "endpoints": [
                    {
                        "port": "m",
                        "authorization": {
                            "type": "Basic",
                            "credentials": {"name": "a", "key": "t"},
                        },
                    }
                ]
            },
            "spec.endpoints[0].authorization",
        ),
        (
            {
                "endpoints": [
                    {"port": "m", "relabelings": [{"action": "HashMod", "targetLabel": "x"}]}
                ]
            },
            "spec.endpoints[0].relabelings[0]",
        ),
        (
            {"endpoints": [{"port": "m", "tlsConfig": {"keySecret": {"name": "t", "key": "k"}}}]},
            "spec.endpoints[0].tlsConfig",
        ),
    ],
)
def test_invalid_monitors_name_the_field(spec: dict[str, Any], path: str) -> None:
    doc = service_monitor("shop", {"port": "m"})
    doc["spec"].update(spec)
    with pytest.raises(InvalidObject) as caught:
        parse_monitor(doc)
    assert caught.value.kind == "ServiceMonitor"
    assert path in [p.path for p in caught.value.problems]


TENANCY_STACK = {
    **STACK,
    "spec": {**STACK["spec"], "tenancy": {"enforceNamespaceLabel": "tenant"}},
}
SET_ADDRESS = {
    "sourceLabels": ["__address__"],
    "regex": "(.+):\\d+",
    "replacement": "ml-db.ml.svc:9187",
    "targetLabel": "__address__",
}


def test_under_tenancy_a_tenant_may_not_set_the_address() -> None:
    endpoint = {"port": "m", "relabelings": [{"targetLabel": "x"}, SET_ADDRESS]}
    found = inputs(service_monitor("shop", endpoint), stack=TENANCY_STACK)
    [problem] = found.rejected["ServiceMonitor/shop/app"]
    assert problem.path == "spec.endpoints[0].relabelings[1]"
    assert "__address__" in problem.message
    # the stack's own namespace, or no tenancy: the rule is the monitor's business
    own = inputs(service_monitor("monitoring", endpoint), stack=TENANCY_STACK)
    assert [m.key for m in own.service_monitors] == ["monitoring/app"]
    untenanted = inputs(service_monitor("shop", endpoint))
    assert [m.key for m in untenanted.service_monitors] == ["shop/app"]
