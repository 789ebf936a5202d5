"""Generated sets of objects, what `validate` makes of them, and the files they render.

The property "what augur accepts, Prometheus and Alertmanager accept" is checked in two steps:
`accepted_example` draws a stack, policies and KPIs from the models (`modelgen`), keeps what
`parse_resource` accepts and renders it; `check_with_tools` runs the pinned promtool and
amtool over the files of many examples at once and names the example of each refusal.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from modelgen import (
    ALERTMANAGER_TEMPLATES,
    DURATIONS,
    LABEL_NAMES,
    PROMETHEUS_TEMPLATES,
    RULE_PROMQL,
    from_model,
    instant_promql,
)

from augur.api.alertpolicy import AlertPolicySpec
from augur.api.businesskpi import BusinessKPISpec
from augur.api.inventory import Inventory
from augur.api.monitoringstack import MonitoringStackSpec
from augur.api.promoperator import is_promoperator_document, parse_promoperator
from augur.api.receivers import CHANNEL_KINDS
from augur.api.resources import InvalidObject, parse_resource
from augur.render.selection import inputs_for, stacks_of
from augur.render.stack import render_stack


def _document(kind: str, name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "augur.dev/v1alpha1", "kind": kind, "metadata": meta, "spec": spec}


@st.composite
def policy_documents(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """An AlertPolicy from the model, with names made unique and references made to resolve."""
    spec = draw(from_model(AlertPolicySpec, PROMETHEUS_TEMPLATES))
    for index, alert in enumerate(spec.get("alerts", [])):
        alert["name"] = f"A{index}"
    receivers = [f"r{i}" for i in range(len(spec.get("receivers", [])))]
    for receiver, wanted in zip(spec.get("receivers", []), receivers, strict=True):
        receiver["name"] = wanted
    intervals = [f"t{i}" for i in range(len(spec.get("timeIntervals", [])))]
    for interval, wanted in zip(spec.get("timeIntervals", []), intervals, strict=True):
        interval["name"] = wanted
    for route in spec.get("routing", {}).get("routes", []):
        route["receivers"] = [draw(st.sampled_from([*receivers, "default"]))]
        for key in ("muteTimeIntervals", "activeTimeIntervals"):
            route[key] = [draw(st.sampled_from(intervals))] if intervals and route.get(key) else []
    return _document("AlertPolicy", name, "team", spec)


@st.composite
def kpi_documents(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """A BusinessKPI from the model; a ratio's queries carry the `{{window}}` placeholder."""
    spec = draw(from_model(BusinessKPISpec, PROMETHEUS_TEMPLATES))
    ratio = spec.get("indicator", {}).get("ratio")
    if ratio is not None:
        ratio["good"] = "sum(rate(good_total[{{window}}]))"
        ratio["total"] = draw(instant_promql(window="{{window}}"))
    return _document("BusinessKPI", name, "team", spec)


@st.composite
def stack_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A MonitoringStack from the model: Prometheus and Alertmanager as drawn, the other
    components off (they reach neither promtool nor amtool), every namespace selected."""
    spec = draw(from_model(MonitoringStackSpec, ALERTMANAGER_TEMPLATES))
    spec["namespaceSelector"] = {"any": True}
    spec["policySelector"] = {}
    spec["grafana"] = {"enabled": False}
    spec["jaeger"] = {"enabled": False}
    spec.pop("networkPolicy", None)
    prometheus = spec.setdefault("prometheus", {})
    prometheus["enabled"] = True
    prometheus.pop("additionalScrapeConfigs", None)
    spec.setdefault("alertmanager", {})["enabled"] = True
    spec["prometheusOperatorObjects"] = {"enabled": True}
    return _document("MonitoringStack", "platform", "monitoring", spec)


@st.composite
def prometheus_rule_documents(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """A PrometheusRule of prometheus-operator: groups of alerting and recording rules with
    every field drawn, valid and not (a tenant's: the stack is in another namespace)."""
    labels = st.dictionaries(LABEL_NAMES, PROMETHEUS_TEMPLATES, max_size=2)
    groups = []
    for index in range(draw(st.integers(1, 2))):
        rules = []
        for number in range(draw(st.integers(0, 3))):
            rule: dict[str, Any] = {"expr": draw(RULE_PROMQL)}
            if draw(st.booleans()):
                rule["alert"] = f"Alert{number}"
                optional = {
                    "for": DURATIONS,
                    "keep_firing_for": DURATIONS,
                    "annotations": st.dictionaries(
                        st.sampled_from(["summary", "description", "runbook_url"]),
                        PROMETHEUS_TEMPLATES,
                        max_size=2,
                    ),
                }
            else:
                rule["record"] = draw(st.sampled_from([f"job:r{number}:sum", "a b", "x"]))
                optional = {}
            for key, values in {**optional, "labels": labels}.items():
                if draw(st.booleans()):
                    rule[key] = draw(values)
            rules.append(rule)
        group: dict[str, Any] = {"name": f"g{index}", "rules": rules}
        for key, values in {
            "interval": DURATIONS,
            "query_offset": DURATIONS,
            "limit": st.integers(0, 100),
            "labels": labels,
            "partial_response_strategy": st.sampled_from(["warn", "abort"]),
        }.items():
            if draw(st.integers(0, 2)) == 0:
                group[key] = draw(values)
        groups.append(group)
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": "team"},
        "spec": {"groups": groups},
    }


EXAMPLES = st.tuples(
    stack_documents(),
    st.lists(st.sampled_from(["p1", "p2"]), max_size=2, unique=True).flatmap(
        lambda names: st.tuples(*(policy_documents(n) for n in names))
    ),
    st.lists(st.sampled_from(["k1"]), max_size=1).flatmap(
        lambda names: st.tuples(*(kpi_documents(n) for n in names))
    ),
    st.lists(st.sampled_from(["r1", "r2"]), max_size=2, unique=True).flatmap(
        lambda names: st.tuples(*(prometheus_rule_documents(n) for n in names))
    ),
)


@dataclass
class Tally:
    """What the generated documents came to."""

    documents: int = 0
    accepted: int = 0
    refused: int = 0
    rendered_examples: int = 0


@dataclass
class Example:
    """One rendered set of accepted objects."""

    documents: list[dict[str, Any]]
    files: dict[str, str]
    templates: list[str] = field(default_factory=list)


def receiver_templates(documents: list[dict[str, Any]]) -> list[str]:
    """The template texts of every receiver channel in these (accepted) documents."""
    found: list[str] = []

    def texts(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("secretKeyRef", "sendResolved", "requireTLS"):
                    texts(item)
        elif isinstance(value, list):
            for item in value:
                texts(item)

    for doc in documents:
        spec = doc["spec"]
        receivers = [*spec.get("receivers", [])]
        default = spec.get("alertmanager", {}).get("defaultReceiver")
        if default:
            receivers.append(default)
        for receiver in receivers:
            for kind in CHANNEL_KINDS:
                channel = dict(receiver.get(kind) or {})
                for key in ("to", "from", "smarthost", "url", "apiURL", "region", "hello"):
                    channel.pop(key, None)
                texts(channel)
    return [text for text in found if "{{" in text]


def accepted_example(
    drawn: tuple[dict[str, Any], tuple[dict[str, Any], ...], ...],
    tally: Tally,
) -> Example | None:
    """The files the accepted part of a drawn example renders (None: the stack is refused)."""
    stack, policies, kpis, prometheus_rules = drawn
    inventory = Inventory()
    kept: list[dict[str, Any]] = []
    for doc in (stack, *policies, *kpis, *prometheus_rules):
        tally.documents += 1
        try:
            if is_promoperator_document(doc):
                inventory.add(parse_promoperator(doc))
            else:
                inventory.add(parse_resource(doc))
        except InvalidObject:
            tally.refused += 1
            continue
        tally.accepted += 1
        kept.append(doc)
    if not kept or kept[0] is not stack:
        return None
    inventory.sort()
    output = render_stack(inputs_for(stacks_of(inventory)[0], inventory))
    tally.rendered_examples += 1
    files = {k: v for k, v in output.files.items() if k.endswith((".yml", ".yaml"))}
    return Example(kept, files, receiver_templates(kept))


def _run(tool: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # one stream, so that each file's errors follow its own "Checking" line
    return subprocess.run(
        [str(tool), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        cwd=cwd,
        timeout=600,
    )


def check_with_tools(
    examples: list[Example], promtool: Path, amtool: Path, folder: Path
) -> list[str]:
    """The tools' refusals of the examples' files, each with the documents it came from."""
    rules: dict[Path, Example] = {}
    configs: dict[Path, Example] = {}
    am_configs: dict[Path, Example] = {}
    for number, example in enumerate(examples):
        for key, text in example.files.items():
            path = folder / f"{number}-{key.replace('/', '-')}"
            path.write_text(text)
            if "/rules/" in key:
                rules[path] = example
            elif key == "prometheus/prometheus.yml":
                configs[path] = example
            elif key == "alertmanager/alertmanager.yml":
                am_configs[path] = example
    failures: list[str] = []
    for args, paths in (
        (("check", "rules"), rules),
        (("check", "config", "--syntax-only"), configs),
    ):
        if paths:
            done = _run(promtool, *args, *map(str, paths))
            if done.returncode != 0:
                failures += _blame(done.stdout, paths)
    if am_configs:
        done = _run(amtool, "check-config", *map(str, am_configs))
        if done.returncode != 0:
            failures += _blame(done.stdout, am_configs)
    failures += _check_templates(examples, amtool, folder)
    return failures


def _blame(output: str, paths: dict[Path, Example]) -> list[str]:
    blamed = []
    for path, example in paths.items():
        lines = [line for line in output.splitlines() if str(path) in line or path.name in line]
        if any("FAILED" in line or "error" in line.lower() for line in lines) or (
            lines and "SUCCESS" not in output.split(str(path), 1)[1][:200]
        ):
            blamed.append(_said(output, path, example))
    return blamed or [output[-2000:]]


def _said(output: str, path: Path, example: Example) -> str:
    around = output.split(str(path), 1)[1][:600] if str(path) in output else output[-600:]
    return f"{path.name}: {around}\n--- from:\n{yaml.safe_dump_all(example.documents)[:4000]}"


def _check_templates(examples: list[Example], amtool: Path, folder: Path) -> list[str]:
    """`amtool template render` of every receiver template: one call for all of them, then
    one per template to name the one refused."""
    texts = sorted({text for example in examples for text in example.templates})
    if not texts:
        return []
    defined = folder / "receivers.tmpl"
    defined.write_text(
        "".join(f'{{{{ define "t{i}" }}}}{text}{{{{ end }}}}\n' for i, text in enumerate(texts))
    )
    calls = "".join(f'{{{{ template "t{i}" . }}}}' for i in range(len(texts)))
    done = _run(
        amtool, "template", "render", f"--template.glob={defined}", f"--template.text={calls}"
    )
    if done.returncode == 0:
        return []
    failures = []
    empty = folder / "empty.tmpl"
    empty.write_text("")
    for text in texts:
        one = _run(
            amtool, "template", "render", f"--template.glob={empty}", f"--template.text={text}"
        )
        if one.returncode != 0:
            owner = next(e for e in examples if text in e.templates)
            failures.append(
                f"template {text!r}: {one.stdout.strip()}\n--- from:\n"
                + yaml.safe_dump_all(owner.documents)[:4000]
            )
    return failures
