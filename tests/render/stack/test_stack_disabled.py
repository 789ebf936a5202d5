"""Disabled components render nothing, and nothing refers to them."""

from __future__ import annotations

from stackhelpers import render_spec

from augur.render.prometheus.config import ALERTMANAGER_JOB, CONFIG_FILE


def test_disabled_prometheus_renders_nothing_of_it() -> None:
    output = render_spec({"prometheus": {"enabled": False}})
    assert CONFIG_FILE not in output.files
    assert all(
        o["metadata"]["labels"]["app.kubernetes.io/name"] != "prometheus" for o in output.manifests
    )
    assert "platform-prometheus" not in output.files["manifests.yaml"]


def test_disabled_alertmanager_is_neither_rendered_nor_referenced() -> None:
    output = render_spec({"alertmanager": {"enabled": False}})
    assert not any(path.startswith("alertmanager/") for path in output.files)
    assert "alertmanager" not in output.files["manifests.yaml"]
    config = output.files[CONFIG_FILE]
    assert "alerting:" not in config and ALERTMANAGER_JOB not in config


def test_every_component_disabled_renders_no_object() -> None:
    off = {"enabled": False}
    output = render_spec({"prometheus": off, "alertmanager": off, "grafana": off, "jaeger": off})
    assert output.manifests == []


def test_grafana_and_jaeger_render_with_the_stack() -> None:
    output = render_spec({})
    deployments = {m["metadata"]["name"] for m in output.manifests if m["kind"] == "Deployment"}
    assert deployments == {"platform-grafana", "platform-jaeger"}
