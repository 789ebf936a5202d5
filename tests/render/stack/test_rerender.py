"""The operator's incremental render: the same output as a full render, rendering only what
changed (rule files by object, the Alertmanager configuration by routing)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.api.inventory import Inventory
from augur.api.resources import AlertPolicy, MonitoringStack, is_augur_document, parse_resource
from augur.render.component_output import ComponentOutput
from augur.render.selection import StackInputs, inputs_for, stacks_of
from augur.render.stack import StackMemo, render_stack, rerender_stack
from augur.status.catalog import Catalog, Entry, ParseCache

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))
EXAMPLES = ROOT / "examples" / "shop"


def documents_of(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def inputs_of(docs: list[dict[str, Any]]) -> StackInputs:
    inventory = Inventory()
    for doc in docs:
        if is_augur_document(doc):
            inventory.add(parse_resource(copy.deepcopy(doc)))
        elif doc.get("kind") == "Namespace":
            meta = doc["metadata"]
            inventory.namespace_labels[meta["name"]] = dict(meta.get("labels") or {})
    inventory.sort()
    stacks = stacks_of(inventory)
    assert len(stacks) == 1
    return inputs_for(stacks[0], inventory)


def full(inputs: StackInputs) -> ComponentOutput:
    output = render_stack(inputs)
    del output.files["manifests.yaml"]
    return output


def shop() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        docs += documents_of(path.read_text())
    return docs


def policy_doc(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(d for d in docs if d.get("kind") == "AlertPolicy" and d["metadata"]["name"] == name)


def reuse(inputs: StackInputs, previous: StackInputs) -> StackInputs:
    """`inputs` with every model equal to one of `previous` replaced by that very object (as
    the operator's parse cache hands out the same model until an object changes)."""
    old = {p.key: p for p in previous.alert_policies}
    policies = [old[p.key] if old.get(p.key) == p else p for p in inputs.alert_policies]
    stack = previous.stack if previous.stack == inputs.stack else inputs.stack
    return StackInputs(
        stack=stack,
        alert_policies=policies,
        business_kpis=list(inputs.business_kpis),
        scaling_policies=list(inputs.scaling_policies),
        namespace_labels=inputs.namespace_labels,
        rejected=inputs.rejected,
    )


@pytest.mark.parametrize("case", CASES)
def test_first_render_is_the_full_render(case: str) -> None:
    inputs = inputs_of(documents_of((GOLDEN / f"{case}.in.yaml").read_text()))
    output, memo = rerender_stack(inputs)
    assert output == full(inputs)
    assert "manifests.yaml" not in output.files
    again, _ = rerender_stack(inputs, memo)
    assert again == output


def test_an_alert_edit_renders_only_that_policys_rule_file() -> None:
    docs = shop()
    before = inputs_of(docs)
    _, memo = rerender_stack(before)
    edited = copy.deepcopy(docs)
    alert = policy_doc(edited, "api")["spec"]["alerts"][0]
    alert["summary"] = "edited summary"
    after = reuse(inputs_of(edited), before)
    output, next_memo = rerender_stack(after, memo)
    assert output == full(after)
    changed = [k for k in next_memo.rule_files if next_memo.rule_files[k] is not memo.rule_files[k]]
    assert changed == [f"AlertPolicy/{policy_doc(docs, 'api')['metadata']['namespace']}/api"]
    assert "edited summary" in next(t for p, t in output.files.items() if p.endswith("__api.yaml"))
    # Alerts are no input of Alertmanager: its configuration is the one rendered before.
    assert next_memo.alertmanager is memo.alertmanager


def test_a_routing_edit_renders_alertmanager_again() -> None:
    docs = shop()
    before = inputs_of(docs)
    first, memo = rerender_stack(before)
    edited = copy.deepcopy(docs)
    routing = policy_doc(edited, "api")["spec"].setdefault("routing", {})
    routing["repeatInterval"] = "7h"
    after = reuse(inputs_of(edited), before)
    output, next_memo = rerender_stack(after, memo)
    assert output == full(after)
    assert next_memo.alertmanager is not memo.alertmanager
    assert (
        output.files["alertmanager/alertmanager.yml"]
        != first.files["alertmanager/alertmanager.yml"]
    )
    assert "7h" in output.files["alertmanager/alertmanager.yml"]
    # the rule files do not read routing, but the model changed: that one file renders again
    unchanged = [k for k in next_memo.rule_files if next_memo.rule_files[k] is memo.rule_files[k]]
    assert len(unchanged) == len(memo.rule_files) - 1


def test_a_tenancy_change_renders_every_rule_file_again() -> None:
    docs = shop()
    before = inputs_of(docs)
    _, memo = rerender_stack(before)
    edited = copy.deepcopy(docs)
    stack = next(d for d in edited if d.get("kind") == "MonitoringStack")
    stack["spec"].setdefault("tenancy", {})["enforceNamespaceLabel"] = "tenant"
    after = reuse(inputs_of(edited), before)
    output, next_memo = rerender_stack(after, memo)
    assert output == full(after)
    foreign = [
        k
        for k, rendered in next_memo.rule_files.items()
        if rendered.source.namespace != after.stack.namespace
    ]
    assert foreign, "the examples have policies outside the stack's namespace"
    assert all(next_memo.rule_files[k] is not memo.rule_files[k] for k in foreign)
    assert 'tenant="' in "".join(output.files.values())


def test_removed_and_added_policies() -> None:
    docs = shop()
    before = inputs_of(docs)
    _, memo = rerender_stack(before)
    edited = [d for d in copy.deepcopy(docs) if d.get("metadata", {}).get("name") != "api"]
    added = copy.deepcopy(policy_doc(edited, "payments"))
    added["metadata"]["name"] = "payments-copy"
    edited.append(added)
    after = reuse(inputs_of(edited), before)
    output, next_memo = rerender_stack(after, memo)
    assert output == full(after)
    assert not any(k.endswith("/api") for k in next_memo.rule_files)
    key = f"AlertPolicy/{added['metadata']['namespace']}/payments-copy"
    assert next_memo.rule_files[key].rule_count > 0
    assert any(p.endswith("__payments-copy.yaml") for p in output.files)


def test_memo_counts_rules_of_each_policy() -> None:
    inputs = inputs_of(shop())
    output, memo = rerender_stack(inputs)
    total = sum(memo.rule_count("AlertPolicy", p.key) for p in inputs.alert_policies) + sum(
        memo.rule_count("BusinessKPI", k.key) for k in inputs.business_kpis
    )
    assert total == output.rule_count > 0
    assert StackMemo().rule_count("AlertPolicy", "a/b") == 0


def entries_of(docs: list[dict[str, Any]]) -> tuple[ParseCache, dict[str, list[Entry]]]:
    cache = ParseCache()
    index: dict[str, list[Entry]] = {}
    for number, doc in enumerate(docs):
        if not is_augur_document(doc):
            continue
        body = copy.deepcopy(doc)
        body["metadata"].update(uid=f"uid-{number}", generation=1)
        entry = cache.entry(body)
        index.setdefault(entry.kind, []).append(entry)
    return cache, index


def catalog_of(
    index: dict[str, list[Entry]], labels: dict[str, list[dict[str, str]]] | None = None
) -> Catalog:
    def by_key(kind: str) -> dict[str, list[Entry]]:
        return {e.key: [e] for e in index.get(kind, [])}

    return Catalog(
        by_key("MonitoringStack"),
        by_key("AlertPolicy"),
        by_key("BusinessKPI"),
        labels if labels is not None else {"shop": [{}], "monitoring": [{}]},
    )


def test_the_index_keeps_policy_outlines_and_the_document_packed() -> None:
    docs = shop()
    api = policy_doc(docs, "api")
    api["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
    _, index = entries_of(docs)
    entry = next(e for e in index["AlertPolicy"] if e.name == "api")
    assert isinstance(entry.resource, AlertPolicy)
    assert entry.resource.spec.tests == []
    kept = [a.name for a in entry.resource.spec.alerts]
    assert kept == [a["name"] for a in api["spec"]["alerts"] if a.get("anomaly")]
    assert 0 < len(kept) < len(api["spec"]["alerts"]), "the example mixes static and anomaly"
    assert entry.resource.metadata.annotations == {}
    whole = entry.full_policy()
    assert [a.name for a in whole.spec.alerts] == [a["name"] for a in api["spec"]["alerts"]]
    assert whole.spec.routing == entry.resource.spec.routing
    assert whole.spec.receivers == entry.resource.spec.receivers
    assert len(entry.packed) < len(json.dumps(api))


@pytest.mark.parametrize("case", CASES)
def test_outlines_render_as_whole_policies(case: str) -> None:
    docs = documents_of((GOLDEN / f"{case}.in.yaml").read_text())
    docs = [d for d in docs if d.get("kind") != "ScalingPolicy"]  # not in the catalog
    _, index = entries_of(docs)
    catalog = catalog_of(index, namespaces(docs))
    stacks = catalog.inventory().stacks or [inputs_of(docs).stack]
    inputs = inputs_for(stacks[0], catalog.inventory())
    output, _ = rerender_stack(inputs, whole=catalog.policy_models())
    assert output == full(inputs_of(docs))


def namespaces(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    return {
        d["metadata"]["name"]: [dict(d["metadata"].get("labels") or {})]
        for d in docs
        if d.get("kind") == "Namespace"
    }


def test_rendering_outlines_gives_the_full_render() -> None:
    docs = [d for d in shop() if d.get("kind") != "ScalingPolicy"]  # not in the catalog
    cache, index = entries_of(docs)
    catalog = catalog_of(index, namespaces(docs))
    stack = index["MonitoringStack"][0].resource
    assert isinstance(stack, MonitoringStack)
    inputs = inputs_for(stack, catalog.inventory())
    output, memo = rerender_stack(inputs, whole=catalog.policy_models())
    assert output == full(inputs_of(docs))
    assert output.rule_count > 0
    # an edit: a new outline renders again; an equal one from another parse would not be
    # trusted, only the very object the file was rendered for
    edited = copy.deepcopy(policy_doc(docs, "api"))
    edited["spec"]["alerts"][0]["summary"] = "changed"
    edited["metadata"].update(uid="uid-api-2", generation=2)
    entry = cache.entry(edited)
    index["AlertPolicy"] = [e for e in index["AlertPolicy"] if e.name != "api"] + [entry]
    catalog = catalog_of(index, namespaces(docs))
    inputs = inputs_for(stack, catalog.inventory())
    again, next_memo = rerender_stack(inputs, memo, whole=catalog.policy_models())
    changed = [k for k in next_memo.rule_files if next_memo.rule_files[k] is not memo.rule_files[k]]
    assert changed == [f"AlertPolicy/{entry.key}"]
    assert "changed" in again.files[next_memo.rule_files[changed[0]].path]
    expected_docs = [d for d in docs if d is not policy_doc(docs, "api")] + [edited]
    assert again == full(inputs_of(expected_docs))
