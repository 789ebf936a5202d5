"""Admission checks refuse what `augur validate` refuses about one object alone, in its words."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.api.admission import admission_problems, denial_message
from augur.commands.inputs import load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INVALID = sorted((EXAMPLES / "invalid").glob("*.yaml"))
# Decided between objects (a route to a receiver that may be a stack's default), never alone.
NEEDS_OTHER_OBJECTS = {"unknown-receiver.yaml"}


def _document(path: Path) -> dict[str, Any]:
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert len(docs) == 1, path
    document: dict[str, Any] = docs[0]
    return document


@pytest.mark.parametrize(
    "path", [p for p in INVALID if p.name not in NEEDS_OTHER_OBJECTS], ids=lambda p: p.name
)
def test_refuses_with_the_message_augur_validate_prints(path: Path) -> None:
    obj = _document(path)
    problems = admission_problems(obj)
    assert problems, path.name
    findings = load([str(path)]).findings
    assert [(p.path, p.message) for p in problems] == [(f.path, f.message) for f in findings]
    if len(findings) == 1:
        finding = findings[0]
        where = f"{path}:{finding.line}:{finding.column}"
        assert str(finding) == f"{where} {denial_message(obj, problems)}"


def test_a_receiver_left_to_the_stack_is_not_an_admission_matter() -> None:
    path = EXAMPLES / "invalid" / "unknown-receiver.yaml"
    assert load([str(path)]).findings  # `augur validate` of the file alone refuses it
    assert admission_problems(_document(path)) == []


def test_the_shop_example_is_admitted() -> None:
    count = 0
    for path in sorted((EXAMPLES / "shop").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                assert admission_problems(doc) == [], (path.name, doc.get("kind"))
                count += 1
    assert count >= 4


def test_other_kinds_are_admitted() -> None:
    assert admission_problems({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "("}}) == []


def test_an_update_that_leaves_the_spec_alone_is_admitted() -> None:
    invalid = _document(EXAMPLES / "invalid" / "bad-promql.yaml")
    finalizer_removed = copy.deepcopy(invalid)
    finalizer_removed["metadata"]["finalizers"] = []
    assert admission_problems(finalizer_removed, old=invalid) == []
    valid = copy.deepcopy(invalid)
    valid["spec"]["alerts"][0]["expr"] = "up == 0"
    assert admission_problems(valid) == []
    assert admission_problems(invalid, old=valid)  # the change is what is refused


def test_the_request_supplies_namespace_and_generated_name() -> None:
    obj = _document(EXAMPLES / "invalid" / "bad-promql.yaml")
    del obj["metadata"]["namespace"]
    del obj["metadata"]["name"]
    obj["metadata"]["generateName"] = "api-"
    problems = admission_problems(obj, namespace="shop")
    assert [p.path for p in problems] == ["spec.alerts[0].expr"]
    message = denial_message(obj, problems, namespace="shop")
    assert message.startswith("AlertPolicy/shop/api-: spec.alerts[0].expr: invalid PromQL")
