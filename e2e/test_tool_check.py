"""Objects' output checked by the real promtool and amtool before the shared files take it.

A template promtool refuses and a matcher amtool refuses are refused by augur's own
validation first (the checks of api/ follow the Go programs); the tools are the net for what
validation could miss, and `tests/controllers/test_tool_check.py` shows them refusing such an
object with the real binaries. Here, on a real API server: the stack says its output was
checked by both tools, the refused policies stay out of the stack's configuration with a
condition naming their defect, and another policy's rules still reach the rule ConfigMap."""

from __future__ import annotations

import base64
import gzip
from typing import Any

from e2e.conftest import Cluster
from e2e.operator_fixtures import (
    OperatorProcess,
    condition,
    get,
    operator_fixture,
    platform_stack,
    wait_for,
)

__all__ = ["operator_fixture"]  # the module's operator, used by name


def stack(namespace: str) -> str:
    return platform_stack(namespace)


def good(namespace: str) -> str:
    return f"""
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: good, namespace: {namespace}}}
spec:
  alerts:
    - {{name: GoodTargetDown, severity: high, expr: 'up == 0', summary: down}}
"""


def bad_template(namespace: str) -> str:
    """promtool refuses the summary: Go templates know no `nosuchfunc`."""
    return f"""
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: badtemplate, namespace: {namespace}}}
spec:
  alerts:
    - {{name: BadTemplateDown, severity: high, expr: 'up == 0', summary: '{{{{ nosuchfunc 1 }}}}'}}
"""


def bad_route(namespace: str) -> str:
    """amtool refuses the matcher: `a++` is no RE2 regular expression."""
    return f"""
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {{name: badroute, namespace: {namespace}}}
spec:
  alerts:
    - {{name: BadRouteDown, severity: high, expr: 'up == 0', summary: down}}
  routing:
    routes: [{{severities: [high], matchers: ['job=~"a++"'], receivers: [hook]}}]
  receivers:
    - {{name: hook, webhook: {{url: "http://sink.example:8080/"}}}}
"""


def refused(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    found = get(cluster, "apol", name, "-n", namespace)
    cond = condition(found, "Accepted")
    if cond and cond["status"] == "False":
        return cond
    return None


def owned_text(cluster: Cluster, namespace: str, kind: str) -> str:
    """Every value of the stack's ConfigMaps or Secrets as text (Secrets decoded, gzip
    unpacked), one after the other."""
    found = get(cluster, kind, "-n", namespace, "-l", "app.kubernetes.io/managed-by=augur")
    texts = []
    for item in (found or {}).get("items") or []:
        for value in ((item.get("data") or {}) | (item.get("binaryData") or {})).values():
            raw = base64.b64decode(value) if kind == "secrets" else str(value).encode()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            texts.append(raw.decode(errors="replace"))
    return "\n".join(texts)


def rules_with(cluster: Cluster, namespace: str, alert: str) -> str | None:
    text = owned_text(cluster, namespace, "configmaps")
    return text if alert in text else None


def checked_stack(cluster: Cluster, namespace: str) -> dict[str, Any] | None:
    found = get(cluster, "mstack", "platform", "-n", namespace)
    return found if condition(found, "OutputChecked") else None


def test_output_is_checked_by_the_tools_and_refused_objects_stay_out(
    operator: OperatorProcess, crds_installed: Cluster, namespace: str
) -> None:
    cluster = crds_installed
    documents = [stack(namespace), good(namespace), bad_template(namespace), bad_route(namespace)]
    cluster.kubectl("apply", "-f", "-", stdin="---".join(documents))

    template = wait_for(
        "the template's refusal", lambda: refused(cluster, namespace, "badtemplate")
    )
    assert 'function "nosuchfunc" not defined' in template["message"]
    route = wait_for("the matcher's refusal", lambda: refused(cluster, namespace, "badroute"))
    assert "not an RE2 regular expression" in route["message"]

    rules = wait_for(
        "the good policy's rules in a ConfigMap",
        lambda: rules_with(cluster, namespace, "GoodTargetDown"),
        timeout=120,
    )
    assert "BadTemplateDown" not in rules and "BadRouteDown" not in rules
    accepted = wait_for(
        "the good policy's Accepted condition",
        lambda: condition(get(cluster, "apol", "good", "-n", namespace), "Accepted"),
    )
    assert accepted["status"] == "True"
    alertmanager = owned_text(cluster, namespace, "secrets")
    assert 'augur_policy="good"' in alertmanager
    assert 'augur_policy="badtemplate"' not in alertmanager
    assert 'augur_policy="badroute"' not in alertmanager

    platform = wait_for(
        "the stack's checks",
        lambda: checked_stack(cluster, namespace),
    )
    checked = condition(platform, "OutputChecked")
    assert checked is not None and (checked["status"], checked["reason"]) == ("True", "Checked")
    assert platform["status"]["selected"]["rejected"] == 2
    assert "Traceback" not in operator.text()
