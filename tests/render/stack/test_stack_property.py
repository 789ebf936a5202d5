"""Generated stacks never crash the renderer, and what they emit passes the real validators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stackhelpers import prometheus_pod_view, render_spec

Run = Callable[..., str]

names = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
durations = st.sampled_from(["5s", "15s", "30s", "1m", "2m"])
storage = st.none() | st.fixed_dictionaries(
    {"size": st.sampled_from(["1Gi", "500Mi", "2Ti"]), "retainOnDelete": st.booleans()}
)


secret_refs = st.builds(
    lambda name, key: {"secretKeyRef": {"name": name, "key": key}},
    names,
    st.sampled_from(["token", "ca.crt", "tls.key", "password"]),
)


@st.composite
def authentication(draw: st.DrawFn) -> dict[str, Any]:
    """A scrape entry's authentication: the kind drawn first, then the shape that kind takes."""
    kind = draw(st.sampled_from(["none", "basicAuth", "authorization", "oauth2"]))
    if kind == "basicAuth":
        return {"basicAuth": {"username": draw(secret_refs), "password": draw(secret_refs)}}
    if kind == "authorization":
        shape: dict[str, Any] = {"credentials": draw(secret_refs)}
        if draw(st.booleans()):
            shape["type"] = draw(st.sampled_from(["Bearer", "Token", "ApiKey"]))
        return {"authorization": shape}
    if kind == "oauth2":
        return {
            "oauth2": {
                "clientId": draw(names),
                "clientSecret": draw(secret_refs),
                "tokenUrl": "https://auth.example.com/token",
                "scopes": draw(st.lists(names, max_size=2)),
            }
        }
    return {}


@st.composite
def tls_configs(draw: st.DrawFn) -> dict[str, Any]:
    tls: dict[str, Any] = {}
    if draw(st.booleans()):
        tls["ca"] = draw(secret_refs)
    if draw(st.booleans()):  # a client certificate always comes with its key
        tls["cert"] = draw(secret_refs)
        tls["key"] = draw(secret_refs)
    if draw(st.booleans()):
        tls["insecureSkipVerify"] = True
    return tls


relabel_rules = st.one_of(
    st.builds(
        lambda source, target: {"sourceLabels": [source], "targetLabel": target},
        st.sampled_from(["__meta_kubernetes_pod_node_name", "__address__"]),
        names,
    ),
    st.builds(
        lambda regex, action: {"sourceLabels": ["__name__"], "regex": regex, "action": action},
        st.sampled_from(["go_.*", "up|scrape_.+", "(a|b)[0-9]{1,3}"]),
        st.sampled_from(["keep", "drop"]),
    ),
    st.builds(lambda regex: {"action": "labeldrop", "regex": regex}, st.just("pod_template_.*")),
    st.builds(
        lambda target: {
            "sourceLabels": ["__address__"],
            "targetLabel": target,
            "modulus": 3,
            "action": "hashmod",
        },
        names,
    ),
    st.builds(
        lambda action: {"sourceLabels": ["job"], "targetLabel": "service", "action": action},
        st.sampled_from(["lowercase", "uppercase", "keepequal", "dropequal"]),
    ),
)


@st.composite
def scrape_targets(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(st.sampled_from(["pod", "service", "endpoints", "static"]))
    target: dict[str, Any] = {"name": draw(names), "role": role}
    if role == "static":
        target["static"] = [f"10.0.0.{draw(st.integers(1, 254))}:9100"]
    else:
        target["selector"] = {"matchLabels": draw(st.dictionaries(names, names, max_size=2))}
        target["port"] = draw(st.none() | st.sampled_from(["metrics", "8080"]))
    target["interval"] = draw(st.none() | durations)
    target["timeout"] = draw(st.none() | durations)
    target.update(draw(authentication()))
    if draw(st.booleans()):
        target["scheme"] = "https"
        target["tlsConfig"] = draw(tls_configs())
    target["relabelings"] = draw(st.lists(relabel_rules, max_size=3))
    target["metricRelabelings"] = draw(st.lists(relabel_rules, max_size=3))
    target["sampleLimit"] = draw(st.none() | st.integers(0, 100000))
    target["scrapeProtocols"] = draw(
        st.lists(
            st.sampled_from(["PrometheusProto", "OpenMetricsText1.0.0", "PrometheusText0.0.4"]),
            unique=True,
            max_size=3,
        )
    )
    return {k: v for k, v in target.items() if v is not None}


@st.composite
def stack_specs(draw: st.DrawFn) -> dict[str, Any]:
    targets = draw(st.lists(scrape_targets(), max_size=3, unique_by=lambda t: t["name"]))
    prometheus: dict[str, Any] = {
        "enabled": draw(st.booleans()),
        "replicas": draw(st.integers(0, 3)),
        "scrapeInterval": draw(durations),
        "scrape": targets,
    }
    if (size := draw(storage)) is not None:
        prometheus["storage"] = size
    alertmanager: dict[str, Any] = {
        "enabled": draw(st.booleans()),
        "replicas": draw(st.integers(0, 3)),
    }
    selector = draw(st.sampled_from([{}, {"any": True}, {"matchNames": ["monitoring", "shop"]}]))
    return {"namespaceSelector": selector, "prometheus": prometheus, "alertmanager": alertmanager}


@pytest.mark.tools
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=stack_specs())
def test_generated_stacks_pass_the_schema_and_promtool(
    spec: dict[str, Any], run_promtool: Run, tmp_path_factory: pytest.TempPathFactory
) -> None:
    output = render_spec(spec)
    for obj in output.manifests:
        kubernetes_validate.validate(obj, "1.33", strict=True)
    if spec["prometheus"]["enabled"]:
        config = prometheus_pod_view(output, tmp_path_factory.mktemp("pod"))
        run_promtool("check", "config", str(config))
