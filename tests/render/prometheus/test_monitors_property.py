"""Generated ServiceMonitors and PodMonitors: whatever a stack loads, `promtool check config`
accepts the configuration augur renders of it (what augur accepts, Prometheus accepts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stackhelpers import inputs_from_yaml, prometheus_pod_view

from augur.api.resources import InvalidObject
from augur.render.stack import render_stack

Run = Callable[..., str]

names = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
durations = st.sampled_from(["", "5s", "15s", "30s", "1m"])
secrets = st.builds(lambda n, k: {"name": n, "key": k}, names, st.sampled_from(["t", "ca.crt"]))

relabel_rules = st.one_of(
    st.builds(lambda t: {"sourceLabels": ["__address__"], "targetLabel": t}, names),
    st.builds(
        lambda r, a: {"sourceLabels": ["__name__"], "regex": r, "action": a},
        st.sampled_from(["go_.*", "up|x", "(a)[0-9]{1,3}"]),
        st.sampled_from(["keep", "drop", "Keep", "Drop"]),
    ),
    st.builds(lambda r: {"action": "labeldrop", "regex": r}, st.just("pod_template_.*")),
    st.builds(
        lambda r: {"action": "LabelMap", "regex": r, "replacement": "x_$1"}, st.just("__meta_(.+)")
    ),
    st.builds(
        lambda a: {"sourceLabels": ["job"], "targetLabel": "service", "action": a},
        st.sampled_from(["lowercase", "Uppercase", "keepequal", "DropEqual"]),
    ),
    st.just(
        {"sourceLabels": ["__address__"], "targetLabel": "shard", "modulus": 2, "action": "hashmod"}
    ),
    st.just({"targetLabel": "tenant", "replacement": "other"}),
)


@st.composite
def authentication(draw: st.DrawFn, service: bool) -> dict[str, Any]:
    """The kind first, then its shape."""
    kinds = ["none", "basicAuth", "authorization", "bearerTokenSecret"]
    if service:
        kinds.append("bearerTokenFile")
    kind = draw(st.sampled_from(kinds))
    if kind == "basicAuth":
        return {"basicAuth": {"username": draw(secrets), "password": draw(secrets)}}
    if kind == "authorization":
        auth: dict[str, Any] = {"credentials": draw(secrets)}
        if draw(st.booleans()):
            auth["type"] = draw(st.sampled_from(["Bearer", "Token"]))
        return {"authorization": auth}
    if kind == "bearerTokenSecret":
        return {"bearerTokenSecret": draw(secrets)}
    if kind == "bearerTokenFile":
        return {"bearerTokenFile": "/etc/os-release"}  # a file promtool finds here
    return {}


@st.composite
def tls_configs(draw: st.DrawFn) -> dict[str, Any]:
    tls: dict[str, Any] = {}
    if draw(st.booleans()):
        tls["ca"] = {"secret": draw(secrets)}
    if draw(st.booleans()):
        tls["cert"] = {"secret": draw(secrets)}
        tls["keySecret"] = draw(secrets)
    if draw(st.booleans()):
        tls["insecureSkipVerify"] = draw(st.booleans())
    if draw(st.booleans()):
        tls["serverName"] = "x.example.com"
    return tls


@st.composite
def endpoints(draw: st.DrawFn, service: bool) -> dict[str, Any]:
    endpoint: dict[str, Any] = {}
    port = draw(st.sampled_from(["name", "number", "target-int", "target-name", "none"]))
    if port == "name":
        endpoint["port"] = "metrics"
    elif port == "number" and not service:
        endpoint["portNumber"] = 9100
    elif port == "target-int":
        endpoint["targetPort"] = 9100
    elif port == "target-name":
        endpoint["targetPort"] = "http"
    for field in ("interval", "scrapeTimeout"):
        if value := draw(durations):
            endpoint[field] = value
    endpoint.update(draw(authentication(service)))
    if draw(st.booleans()):
        endpoint["scheme"] = "https"
        endpoint["tlsConfig"] = draw(tls_configs())
    endpoint["relabelings"] = draw(st.lists(relabel_rules, max_size=3))
    endpoint["metricRelabelings"] = draw(st.lists(relabel_rules, max_size=3))
    for field in ("honorLabels", "followRedirects", "enableHttp2", "filterRunning"):
        if draw(st.booleans()):
            endpoint[field] = draw(st.booleans())
    proxy = draw(st.sampled_from(["none", "url", "url+no", "env", "no-only"]))
    if proxy.startswith("url"):
        endpoint["proxyUrl"] = "http://proxy:3128"
    if proxy in ("url+no", "no-only"):
        endpoint["noProxy"] = "10.0.0.0/8"
    if proxy == "env":
        endpoint["proxyFromEnvironment"] = True
    if draw(st.booleans()):
        endpoint["params"] = {"module": ["http_2xx"]}
    return endpoint


@st.composite
def monitors(draw: st.DrawFn) -> dict[str, Any]:
    service = draw(st.booleans())
    spec: dict[str, Any] = {
        "selector": {"matchLabels": draw(st.dictionaries(names, names, max_size=2))},
        "namespaceSelector": draw(st.sampled_from([{}, {"any": True}, {"matchNames": ["ml"]}])),
        "jobLabel": draw(st.sampled_from(["", "app.kubernetes.io/name"])),
        "podTargetLabels": draw(st.lists(names, max_size=2, unique=True)),
        "scrapeProtocols": draw(
            st.lists(st.sampled_from(["PrometheusProto", "OpenMetricsText1.0.0"]), unique=True)
        ),
    }
    for field in ("sampleLimit", "targetLimit", "labelLimit"):
        if draw(st.booleans()):
            spec[field] = draw(st.integers(0, 10000))
    items = draw(st.lists(endpoints(service), min_size=1, max_size=2))
    if service:
        spec["targetLabels"] = draw(st.lists(names, max_size=2, unique=True))
        spec["endpoints"] = items
    else:
        spec["podMetricsEndpoints"] = items
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor" if service else "PodMonitor",
        "metadata": {
            "name": draw(names),
            "namespace": draw(st.sampled_from(["monitoring", "shop"])),
        },
        "spec": spec,
    }


def stack(tenancy: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "namespaceSelector": {"matchNames": ["monitoring", "shop"]},
        "prometheusOperatorObjects": {"enabled": True},
        "prometheus": {"scrapeInterval": "30s"},
    }
    if tenancy:
        spec["tenancy"] = {"enforceNamespaceLabel": "tenant"}
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": "platform", "namespace": "monitoring"},
        "spec": spec,
    }


@pytest.mark.tools
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(monitor=monitors(), tenancy=st.booleans())
def test_what_a_stack_loads_promtool_accepts(
    monitor: dict[str, Any],
    tenancy: bool,
    run_promtool: Run,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    try:
        inputs = inputs_from_yaml(yaml.safe_dump_all([stack(tenancy), monitor]))
    except InvalidObject:
        return  # refused with its reasons: nothing reaches Prometheus
    output = render_stack(inputs)
    config = prometheus_pod_view(output, tmp_path_factory.mktemp("pod"))
    run_promtool("check", "config", str(config))
    loaded = len(inputs.service_monitors) + len(inputs.pod_monitors)
    assert loaded + len(inputs.rejected) == 1
