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
