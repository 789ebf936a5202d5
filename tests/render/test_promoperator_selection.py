"""Which prometheus-operator objects a stack loads."""

from __future__ import annotations

from typing import Any

import pytest

from augur.api.resources import MonitoringStack
from augur.render.selection import promoperator_selects


def stack(spec: dict[str, Any]) -> MonitoringStack:
    return MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "platform", "namespace": "monitoring"},
            "spec": spec,
        }
    )


LABELS = {"shop": {"team": "shop"}, "ml": {"team": "ml"}, "monitoring": {}}


def test_nothing_is_loaded_unless_enabled() -> None:
    assert not promoperator_selects(stack({}), "monitoring", {}, LABELS)


@pytest.mark.parametrize(
    ("spec", "namespace", "labels", "expected"),
    [
        # Default namespaces: the stack's own.
        ({"prometheusOperatorObjects": {"enabled": True}}, "monitoring", {}, True),
        ({"prometheusOperatorObjects": {"enabled": True}}, "shop", {}, False),
        # Default namespaces follow the stack's namespaceSelector.
        (
            {
                "namespaceSelector": {"matchNames": ["shop"]},
                "prometheusOperatorObjects": {"enabled": True},
            },
            "shop",
            {},
            True,
        ),
        # Their own namespaceSelector wins over the stack's.
        (
            {
                "namespaceSelector": {"matchNames": ["shop"]},
                "prometheusOperatorObjects": {
                    "enabled": True,
                    "namespaceSelector": {"matchLabels": {"team": "ml"}},
                },
            },
            "shop",
            {},
            False,
        ),
        (
            {
                "prometheusOperatorObjects": {
                    "enabled": True,
                    "namespaceSelector": {"matchLabels": {"team": "ml"}},
                }
            },
            "ml",
            {},
            True,
        ),
        # The object selector.
        (
            {
                "prometheusOperatorObjects": {
                    "enabled": True,
                    "namespaceSelector": {"any": True},
                    "selector": {"matchLabels": {"release": "augur"}},
                }
            },
            "ml",
            {"release": "augur"},
            True,
        ),
        (
            {
                "prometheusOperatorObjects": {
                    "enabled": True,
                    "namespaceSelector": {"any": True},
                    "selector": {"matchLabels": {"release": "augur"}},
                }
            },
            "ml",
            {"release": "other"},
            False,
        ),
    ],
)
def test_selection(
    spec: dict[str, Any], namespace: str, labels: dict[str, str], expected: bool
) -> None:
    assert promoperator_selects(stack(spec), namespace, labels, LABELS) is expected
