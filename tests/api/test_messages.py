"""Validation messages in the words of a CR's author, the same in `augur validate` and at
admission: references, missing and unknown fields, enums, types and bounds."""

from __future__ import annotations

from typing import Any

import pytest

from augur.api.admission import admission_problems
from augur.api.resources import InvalidObject, parse_resource


def policy(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": spec,
    }


def alert(**fields: Any) -> dict[str, Any]:
    return {"name": "Down", "severity": "high", "expr": "up == 0", **fields}


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidObject) as caught:
        parse_resource(doc)
    found = [str(p) for p in caught.value.problems]
    # The admission webhook refuses with the very same words.
    assert [str(p) for p in admission_problems(doc)] == found
    return found


def test_inline_url_where_a_secret_belongs() -> None:
    doc = policy(receivers=[{"name": "chat", "slack": {"apiURL": "https://hooks.slack.com/x"}}])
    assert problems(doc) == [
        "spec.receivers[0].slack.apiURL: the slack receiver's apiURL must reference a Secret "
        "(secretKeyRef: {name, key}), not an inline URL; credentials are never written into a CR"
    ]


def test_inline_key_where_a_secret_belongs() -> None:
    doc = policy(receivers=[{"name": "oncall", "pagerduty": {"routingKey": "abc123"}}])
    assert "the pagerduty receiver's routingKey must reference a Secret" in problems(doc)[0]
    assert "not an inline value" in problems(doc)[0]


def test_unknown_field_suggests_the_field_meant() -> None:
    found = problems(policy(alerts=[alert(lables={"team": "a"})]))
    assert found == ["spec.alerts[0].lables: unknown field (did you mean `labels`?)"]


def test_unknown_field_without_a_close_match_lists_the_fields() -> None:
    found = problems(policy(routing={"routes": [{"receivers": ["x"], "zzz": 1}]}))
    assert found[0].startswith("spec.routing.routes[0].zzz: unknown field (fields here: ")
    assert "matchers" in found[0] and "receivers" in found[0]


def test_wrong_enum_value_lists_the_allowed_ones() -> None:
    found = problems(policy(alerts=[alert(severity="urgent")]))
    assert found == [
        "spec.alerts[0].severity: 'urgent' is not allowed: use one of 'critical', 'high', "
        "'medium', 'warning', 'low' or 'info'"
    ]


def test_missing_field() -> None:
    found = problems(policy(alerts=[{"severity": "high", "expr": "up == 0"}]))
    assert found == ["spec.alerts[0].name: required field is missing"]


def test_wrong_type_names_both_types() -> None:
    found = problems(policy(routing={"routes": [{"receivers": "x"}]}))
    assert found == ["spec.routing.routes[0].receivers: must be a list, not 'x'"]


def test_reference_given_as_a_string_names_its_fields() -> None:
    doc = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "ScalingPolicy",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"targetRef": "deployment/api"},
    }
    with pytest.raises(InvalidObject) as caught:
        parse_resource(doc)
    messages = {p.path: p.message for p in caught.value.problems}
    assert messages["spec.targetRef"].startswith("must be a mapping with ")
    assert "name" in messages["spec.targetRef"]
    assert messages["spec.targetRef"].endswith("not a string")


def test_no_pydantic_wording_in_common_mistakes() -> None:
    docs = [
        policy(alerts=[alert(severity="urgent", lables={})]),
        policy(alerts=[{"severity": 3}]),
        policy(receivers=[{"name": "x", "slack": {"apiURL": "https://x"}}]),
        policy(routing={"routes": "everything"}),
    ]
    for doc in docs:
        for line in problems(doc):
            assert "Input should" not in line, line
            assert "instance of" not in line, line
