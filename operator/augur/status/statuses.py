"""Status of each kind as users read it, built as plain dicts from what a reconcile found."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from augur.api.promoperator import PARSERS
from augur.api.resources import Problem
from augur.render.cluster.objects import NODE_EXPORTER
from augur.render.prometheus.rule_shards import Shards
from augur.render.selection import SECRETS_NOT_PERMITTED
from augur.status.conditions import Cond, merge_conditions
from augur.status.rule_tests import RuleTestsStatus

WORKLOAD_KINDS = ("StatefulSet", "Deployment", "DaemonSet")


@dataclass
class StackOutcome:
    """What one reconcile of a stack found and did."""

    generation: int | None
    policies: int = 0
    kpis: int = 0
    scaling_policies: int = 0
    prometheus_rules: int = 0
    """prometheus-operator PrometheusRules selected and loaded."""
    service_monitors: int = 0
    """prometheus-operator ServiceMonitors selected and loaded."""
    pod_monitors: int = 0
    """prometheus-operator PodMonitors selected and loaded."""
    rules: int = 0
    rejected: int = 0
    objects: int = 0
    render_error: str = ""
    apply_errors: list[str] = field(default_factory=list)
    missing_secrets: list[str] = field(default_factory=list)
    unreadable_secrets: list[str] = field(default_factory=list)
    """Source Secrets that could not be read (not a 404): their last values are kept."""
    unchecked: list[str] = field(default_factory=list)
    """Why some objects' output went unjudged by promtool / amtool (and was let through)."""
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    endpoints: dict[str, str] = field(default_factory=dict)
    rule_shards: dict[str, int] = field(default_factory=dict)
    """`status.ruleShards` (empty without Prometheus): see `rule_shards_status`."""
    rules_left_out: list[str] = field(default_factory=list)
    """Rule files not loaded (no shard can hold them)."""
    promoperator_rejected: list[str] = field(default_factory=list)
    """prometheus-operator objects selected but not loaded, as 'Kind/namespace/name: why':
    augur never writes to them, so the stack's status says why."""


def promoperator_rejections(
    rejected: Mapping[str, Sequence[Problem]], invalid: Mapping[str, str]
) -> list[str]:
    """'Kind/namespace/name: why' of every prometheus-operator object a stack selected but
    did not load: rejected by the render or a tool (`rejected`), or invalid (`invalid`)."""
    found = dict(invalid)
    for key, problems in rejected.items():
        if key.partition("/")[0] in PARSERS:
            found[key] = "; ".join(str(p) for p in problems)
    return [f"{key}: {why}" for key, why in sorted(found.items())]


def rule_shards_status(shards: Shards) -> dict[str, int]:
    """How many rule shards a stack has and how full they are (`status.ruleShards`)."""
    return {
        "count": shards.count,
        # KiB: a status that changes on nearly every edit would be written on every edit
        "usedKiB": shards.used_bytes // 1024,
        "freeKiB": (shards.capacity_bytes - shards.used_bytes) // 1024,
        "fullestPercent": round(shards.fullest * 100),
        "leftOut": len(shards.left_out),
    }


def component_name(workload: dict[str, Any], stack_name: str) -> str:
    """prometheus, alertmanager, … from a workload's labels, or its name without the stack's."""
    meta = workload.get("metadata") or {}
    labels = meta.get("labels") or {}
    for label in ("app.kubernetes.io/name", "app.kubernetes.io/component"):
        if labels.get(label):
            return str(labels[label])
    return str(meta.get("name", "")).removeprefix(f"{stack_name}-")


def component_status(live: dict[str, Any] | None, desired: dict[str, Any]) -> dict[str, Any]:
    """`ready` (ready/desired replicas) and `image` of one workload, from its live status; a
    DaemonSet's desired replicas are the nodes it is scheduled on (1 before it reports)."""
    spec = desired.get("spec") or {}
    daemon_set = desired.get("kind") == "DaemonSet"
    wanted = 1 if daemon_set else int(spec.get("replicas", 1))
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or [{}]
    ready = 0
    if live is not None:
        status = live.get("status") or {}
        current = int(status.get("observedGeneration") or 0) >= int(
            (live.get("metadata") or {}).get("generation") or 0
        )
        if daemon_set:
            wanted = int(status.get("desiredNumberScheduled") or 0) if current else wanted
            ready = int(status.get("numberReady") or 0) if current else 0
        else:
            ready = int(status.get("readyReplicas") or 0) if current else 0
    result: dict[str, Any] = {"ready": f"{ready}/{wanted}"}
    if containers[0].get("image"):
        result["image"] = str(containers[0]["image"])
    return result


PER_NODE_COMPONENTS = frozenset({NODE_EXPORTER})
"""Components with a pod on every node: one on a node that is down is the cluster's trouble
(the cluster alerts report it), not the stack's, so they are ready with any pod ready."""


def is_ready(component: dict[str, Any], name: str = "") -> bool:
    """True when every desired replica of a component is ready; for a per-node component,
    when some pod is ready or none is to run."""
    ready, _, wanted = str(component.get("ready", "0/1")).partition("/")
    if name in PER_NODE_COMPONENTS:
        return ready != "0" or wanted == "0"
    return ready == wanted


# Services with several ports a user reaches: one endpoint per port, named as the stack's
# status.endpoints documents them (jaegerQuery, otlpGrpc, otlpHttp).
_NAMED_PORTS = {
    "jaeger": {"query": "jaegerQuery", "otlp-grpc": "otlpGrpc", "otlp-http": "otlpHttp"},
}


def service_endpoints(services: list[dict[str, Any]], stack_name: str) -> dict[str, str]:
    """In-cluster URLs of the stack's Services, by component (jaeger: query and OTLP)."""
    endpoints: dict[str, str] = {}
    for service in services:
        meta = service.get("metadata") or {}
        ports = (service.get("spec") or {}).get("ports") or []
        if not ports or (service.get("spec") or {}).get("clusterIP") == "None":
            continue
        name = component_name(service, stack_name)
        host = f"{meta.get('name')}.{meta.get('namespace')}.svc"
        named = _NAMED_PORTS.get(name)
        if named is None:
            endpoints.setdefault(name, f"http://{host}:{ports[0].get('port')}")
            continue
        for port in ports:
            key = named.get(str(port.get("name")))
            if key:
                scheme = "" if key == "otlpGrpc" else "http://"
                endpoints.setdefault(key, f"{scheme}{host}:{port.get('port')}")
    return endpoints


def stack_conditions(outcome: StackOutcome) -> list[Cond]:
    """Ready, Reconciled, Degraded and OutputChecked of a stack."""
    if outcome.render_error:
        reconciled = Cond("Reconciled", "False", "RenderFailed", outcome.render_error)
    elif outcome.apply_errors:
        reconciled = Cond("Reconciled", "False", "ApplyFailed", "; ".join(outcome.apply_errors[:3]))
    else:
        reconciled = Cond(
            "Reconciled", "True", "Applied", f"{outcome.objects} objects match the spec"
        )
    not_ready = sorted(
        f"{name} {c.get('ready')}"
        for name, c in outcome.components.items()
        if not is_ready(c, name)
    )
    if reconciled.status != "True":
        ready = Cond("Ready", "False", "ReconcileFailed", reconciled.message)
    elif not_ready:
        ready = Cond("Ready", "False", "ComponentsNotReady", "waiting for " + ", ".join(not_ready))
    else:
        ready = Cond("Ready", "True", "AllComponentsReady", "every component is ready")
    problems = []
    reason = "AsExpected"
    if outcome.missing_secrets:
        reason = "SecretMissing"
        problems.append("missing credentials: " + ", ".join(outcome.missing_secrets[:5]))
    if outcome.unreadable_secrets:
        reason = "SecretUnreadable" if not problems else reason
        problems.append(
            ", ".join(outcome.unreadable_secrets[:5])
            + " (the last values read are kept; retried on every pass)"
        )
    if outcome.rejected:
        reason = "PoliciesRejected" if not problems else reason
        problems.append(f"{outcome.rejected} selected objects rejected (see their status)")
    if outcome.promoperator_rejected:
        reason = "PoliciesRejected" if not problems else reason
        problems.append("not loaded: " + "; ".join(outcome.promoperator_rejected[:3]))
    if outcome.rules_left_out:
        reason = "RulesNotLoaded" if not problems else reason
        problems.append(
            f"{len(outcome.rules_left_out)} rule file(s) larger than a rule ConfigMap, not "
            "loaded: " + ", ".join(outcome.rules_left_out[:5])
        )
    degraded = (
        Cond("Degraded", "True", reason, "; ".join(problems))
        if problems
        else Cond("Degraded", "False", reason, "everything selected is loaded")
    )
    return [ready, reconciled, degraded, checked_condition(outcome)]


def checked_condition(outcome: StackOutcome) -> Cond:
    """OutputChecked: whether promtool and amtool judged every selected object's output
    (output they could not judge, without the tool or after a timeout, is let through)."""
    if outcome.render_error:
        return Cond("OutputChecked", "Unknown", "NotRendered", "the stack did not render")
    if outcome.unchecked:
        return Cond("OutputChecked", "False", "CheckSkipped", "; ".join(outcome.unchecked[:3]))
    return Cond(
        "OutputChecked", "True", "Checked", "promtool and amtool judged every object's output"
    )


def stack_status(outcome: StackOutcome, existing: dict[str, Any], now: str) -> dict[str, Any]:
    """The status of a MonitoringStack."""
    return {
        "observedGeneration": outcome.generation,
        "conditions": merge_conditions(
            list(existing.get("conditions") or []),
            stack_conditions(outcome),
            generation=outcome.generation,
            now=now,
        ),
        "components": outcome.components,
        "selected": {
            "alertPolicies": outcome.policies,
            "businessKPIs": outcome.kpis,
            "scalingPolicies": outcome.scaling_policies,
            "prometheusRules": outcome.prometheus_rules,
            "serviceMonitors": outcome.service_monitors,
            "podMonitors": outcome.pod_monitors,
            "rules": outcome.rules,
            "rejected": outcome.rejected,
        },
        "endpoints": outcome.endpoints,
        "ruleShards": outcome.rule_shards or None,
    }


def rules_in_file(text: str) -> int:
    """Rules in a rendered rule file: the items of each group's `rules` list.

    The renderer writes block-style YAML (`groups:` then `- name:`/`  rules:`), so every rule
    starts a line with exactly two spaces and a dash; text inside a rule (literal blocks, long
    scalars) is indented deeper. Counting lines avoids parsing thousands of files again."""
    return sum(1 for line in text.splitlines() if line.startswith("  - "))


@dataclass(frozen=True, slots=True)
class PolicyView:
    """How one stack sees one AlertPolicy."""

    rules: int = 0
    problems: tuple[Problem, ...] = ()
    missing_secrets: tuple[str, ...] = ()
    unreadable_secrets: tuple[str, ...] = ()


def policy_status(
    generation: int | None,
    parse_problems: tuple[Problem, ...],
    views: Mapping[str, PolicyView],
    existing: dict[str, Any],
    now: str,
    alert_names: tuple[str, ...] = (),
    tests: RuleTestsStatus | None = None,
) -> dict[str, Any]:
    """The status of an AlertPolicy from its parse result and the stacks that select it;
    `alert_names` (in spec order) name the alerts that problems point at by position; `tests`
    adds the rule tests' results and TestsPassed."""
    problems = list(parse_problems) or [p for v in views.values() for p in v.problems]
    loaded_by = sorted(stack for stack, view in views.items() if not view.problems)
    missing = sorted({m for v in views.values() for m in v.missing_secrets})
    unreadable = sorted({m for v in views.values() for m in v.unreadable_secrets})
    conds: list[Cond] = []
    if parse_problems:
        message = "; ".join(str(p) for p in parse_problems)
        conds.append(Cond("Accepted", "False", "InvalidSpec", message))
        conds.append(Cond("Ready", "False", "InvalidSpec", "not loaded: the spec is invalid"))
    elif problems:
        message = "; ".join(str(p) for p in dict.fromkeys(problems))
        conds.append(Cond("Accepted", "False", "Rejected", message))
        conds.append(
            Cond("Ready", "False", "Rejected", "not loaded by " + ", ".join(sorted(views)))
        )
    else:
        conds.append(Cond("Accepted", "True", "Valid", "the spec is valid"))
        if loaded_by:
            conds.append(Cond("Ready", "True", "Loaded", "loaded by " + ", ".join(loaded_by)))
        else:
            conds.append(Cond("Ready", "False", "NotSelected", "no MonitoringStack selects it"))
    if missing:
        refused = any(SECRETS_NOT_PERMITTED in m for m in missing)
        reason = "SecretNotPermitted" if refused else "SecretMissing"
        conds.append(Cond("SecretsResolved", "False", reason, "missing: " + ", ".join(missing)))
    elif unreadable:
        message = ", ".join(unreadable) + " (the last values read are kept)"
        conds.append(Cond("SecretsResolved", "Unknown", "SecretUnreadable", message))
    else:
        conds.append(Cond("SecretsResolved", "True", "Resolved", "every referenced Secret exists"))
    if tests is not None:
        conds.append(tests.condition)
    rules = max((v.rules for v in views.values() if not v.problems), default=0)
    status = {
        "observedGeneration": generation,
        "conditions": merge_conditions(
            list(existing.get("conditions") or []), conds, generation=generation, now=now
        ),
        "stacks": loaded_by,
        "rules": rules,
        "invalid": [_invalid_item(p, alert_names) for p in dict.fromkeys(problems)],
    }
    if tests is not None:
        status.update(tests.fields)
    return status


_ALERT_PATH = re.compile(r"spec\.alerts\[([^\]]+)\]")


def _invalid_item(problem: Problem, alert_names: tuple[str, ...]) -> dict[str, str]:
    """An `invalid` entry; `alert` is the alert's name when the path points at one (by
    position or by name)."""
    item = {"message": str(problem)}
    found = _ALERT_PATH.match(problem.path)
    if found:
        ref = found.group(1).strip("'\"")
        if ref.isdigit():
            index = int(ref)
            if index < len(alert_names) and alert_names[index]:
                item["alert"] = alert_names[index]
        else:
            item["alert"] = ref
    return item
