"""Alerts arrive: the operator's own configuration runs in real Prometheus and Alertmanager.

Each test declares a stack and policies with short `for:`, group and escalation durations,
receivers whose URL files point at a loopback capture server, and series the stack scrapes from
that server; the real programs do the rest (`augur.dev.livestack`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.dev.livestack import LiveStacks
from e2e.conftest import Cluster
from e2e.live_fixtures import (
    STACK,
    Capture,
    alertmanager_alerts,
    capture,
    live,
    live_operator,
    rule,
    wait_live,
)
from e2e.operator_fixtures import OperatorProcess, get, wait_for

__all__ = ["capture", "live"]  # fixtures, used by name

pytestmark = pytest.mark.timeout(600)


@dataclass
class Env:
    """One test's cluster, live stack, capture server, namespace and operator."""

    cluster: Cluster
    live: LiveStacks
    capture: Capture
    namespace: str
    operator: OperatorProcess

    def apply(self, *objects: dict[str, Any]) -> None:
        self.cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(objects))

    def hooks(self, namespace: str, *names: str) -> None:
        """A Secret `hooks` in `namespace` whose key NAME is the capture URL /NAMESPACE/NAME."""
        literals = [f"--from-literal={n}={self.capture.url(f'/{namespace}/{n}')}" for n in names]
        self.cluster.kubectl("create", "secret", "generic", "hooks", "-n", namespace, *literals)

    def path(self, name: str, namespace: str | None = None) -> str:
        return f"/{namespace or self.namespace}/{name}"

    def arrived(
        self, receiver: str, alertname: str, namespace: str | None = None
    ) -> dict[str, Any]:
        """Wait until `alertname` fires at `receiver`; its first delivered alert."""
        path = self.path(receiver, namespace)
        found = wait_for(
            f"{alertname} at {path}", lambda: self.capture.firing(path, alertname), timeout=240
        )
        return found[0]


@pytest.fixture
def env(
    live: LiveStacks, crds_installed: Cluster, capture: Capture, namespace: str, tmp_path: Path
) -> Iterator[Env]:
    operator = live_operator(crds_installed, live, namespace, tmp_path)
    try:
        yield Env(crds_installed, live, capture, namespace, operator)
    finally:
        operator.stop()


def stack(env: Env, *, watch: tuple[str, ...] = (), tenancy: bool = False) -> dict[str, Any]:
    """A stack with second-long intervals, scraping the capture server, default receiver
    `default` from the Secret `hooks`."""
    spec: dict[str, Any] = {
        "namespaceSelector": {"matchNames": sorted({env.namespace, *watch})},
        "prometheus": {
            "scrapeInterval": "1s",
            "evaluationInterval": "1s",
            "scrape": [{"name": "e2e-exporter", "role": "static", "static": [env.capture.target]}],
        },
        "alertmanager": {
            "route": {"groupWait": "1s", "groupInterval": "1s", "repeatInterval": "1h"},
            "defaultReceiver": {"name": "default", "webhook": hook("default")},
        },
        "grafana": {"enabled": False},
        "jaeger": {"enabled": False},
    }
    if tenancy:
        spec["tenancy"] = {"enforceNamespaceLabel": "namespace"}
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": STACK, "namespace": env.namespace},
        "spec": spec,
    }


def hook(name: str) -> dict[str, Any]:
    return {"urlSecret": {"secretKeyRef": {"name": "hooks", "key": name}}}


def alert(name: str, severity: str, expr: str) -> dict[str, Any]:
    return {"name": name, "severity": severity, "expr": expr, "for": "1s", "summary": name}


def policy(
    namespace: str,
    name: str,
    alerts: list[dict[str, Any]],
    routes: dict[str, str],
    **extra: Any,
) -> dict[str, Any]:
    """A policy whose routes send each severity to one webhook receiver of that name."""
    receivers = sorted(set(routes.values()))
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "alerts": alerts,
            "routing": {
                "groupWait": "1s",
                "groupInterval": "1s",
                "repeatInterval": "1h",
                "routes": [{"severities": [s], "receivers": [r]} for s, r in routes.items()],
                **extra.pop("routing", {}),
            },
            "receivers": [{"name": r, "webhook": hook(r)} for r in receivers],
            **extra,
        },
    }


def receivers_of(env: Env, alertname: str) -> set[str]:
    """The receivers Alertmanager routes the (active or suppressed) alert to."""
    return {
        r["name"]
        for a in alertmanager_alerts(env.live, env.namespace)
        if a["labels"].get("alertname") == alertname
        for r in a["receivers"]
    }


def test_a_static_alert_reaches_exactly_its_routes_receiver(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default", "team-a", "team-a-slack", "team-b")
    env.capture.set('e2e_signal{name="a"}', 1)
    routes = {"high": "team-a", "critical": "team-b"}
    routed = policy(ns, "routes", [alert("E2EStatic", "high", 'e2e_signal{name="a"} > 0')], routes)
    # The high route also posts to Slack (the capture server answers as Slack's webhooks do).
    slack = {"apiURL": {"secretKeyRef": {"name": "hooks", "key": "team-a-slack"}}}
    routed["spec"]["receivers"].append(
        {"name": "team-a-slack", "slack": {**slack, "channel": "#a"}}
    )
    routed["spec"]["routing"]["routes"][0]["receivers"].append("team-a-slack")
    env.apply(stack(env), routed)
    wait_live(env.live, ns)
    delivered = env.arrived("team-a", "E2EStatic")
    assert delivered["labels"]["namespace"] == ns
    assert delivered["labels"]["severity"] == "high"
    assert delivered["labels"]["augur_policy"] == "routes"
    message = wait_for(
        "the Slack message",
        lambda: env.capture.bodies(env.path("team-a-slack")),
    )[0]
    assert message["channel"] == "#a"
    assert "E2EStatic" in message["attachments"][0]["title"]
    assert receivers_of(env, "E2EStatic") == {f"{ns}/routes/team-a", f"{ns}/routes/team-a-slack"}
    assert not env.capture.firing(env.path("team-b"), "E2EStatic")
    assert not env.capture.firing(env.path("default"), "E2EStatic")


def test_b_tenancy_keeps_namespaces_apart(env: Env) -> None:
    # Policies of the stack's own namespace are the platform's and stay unscoped; tenants are
    # the other namespaces a stack selects.
    a, b = (f"e2e-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for tenant in (a, b):
        env.cluster.kubectl("create", "namespace", tenant)
        # each tenant lets the stack's namespace copy its receivers' Secrets
        env.cluster.kubectl(
            "label", "namespace", tenant, f"allow-stack.augur.dev/{env.namespace}=true"
        )
    try:
        env.hooks(env.namespace, "default")
        env.hooks(a, "a-team")
        env.hooks(b, "b-team")
        env.capture.set(f'e2e_own{{namespace="{a}"}}', 1)
        env.capture.set(f'e2e_tenant{{namespace="{a}"}}', 0)
        env.capture.set(f'e2e_tenant{{namespace="{b}"}}', 1)
        spy = alert("TenantSpy", "high", "e2e_tenant > 0")
        own = alert("TenantOwn", "high", "e2e_own > 0")
        env.apply(
            stack(env, watch=(a, b), tenancy=True),
            policy(a, "tenant", [own, spy], {"high": "a-team"}),
            policy(b, "tenant", [alert("TenantB", "high", "e2e_tenant > 0")], {"high": "b-team"}),
        )
        wait_live(env.live, env.namespace)
        delivered = env.arrived("a-team", "TenantOwn", namespace=a)
        assert delivered["labels"]["namespace"] == a
        theirs = env.arrived("b-team", "TenantB", namespace=b)
        assert theirs["labels"]["namespace"] == b
        # A's alert is routed to A's receivers only, and B's receiver saw only B's alerts.
        assert receivers_of(env, "TenantOwn") == {f"{a}/tenant/a-team"}
        assert {x["labels"]["namespace"] for x in env.capture.alerts(env.path("b-team", b))} == {b}
        # The same expression fires in B but not in A: A's rule only sees A's series.
        spied = wait_for(
            "TenantSpy evaluated while TenantB fires",
            lambda: (
                (r := rule(env.live, env.namespace, "TenantSpy")) and r.get("lastEvaluation") and r
            ),
        )
        assert f'namespace="{a}"' in spied["query"]
        assert spied["health"] == "ok"
        assert spied["state"] == "inactive"
        assert (rule(env.live, env.namespace, "TenantB") or {}).get("state") == "firing"
        assert not env.capture.firing(env.path("a-team", a), "TenantSpy")
    finally:
        for tenant in (a, b):
            env.cluster.kubectl("delete", "namespace", tenant, "--wait=false", check=False)


def test_c_a_high_alert_still_firing_escalates_to_critical(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default", "pager", "chat")
    env.capture.set('e2e_signal{name="esc"}', 1)
    env.apply(
        stack(env),
        policy(
            ns,
            "escalate",
            [alert("E2EEscalates", "high", 'e2e_signal{name="esc"} > 0')],
            {"critical": "pager", "high": "chat"},
            routing={"escalation": [{"severities": ["high"], "after": "5s", "to": "critical"}]},
        ),
    )
    wait_live(env.live, ns)
    first = env.arrived("chat", "E2EEscalates")
    assert first["labels"]["severity"] == "high"
    raised = env.arrived("pager", "E2EEscalates")
    assert raised["labels"]["severity"] == "critical"
    assert raised["labels"]["augur_escalated"] == "true"
    assert raised["labels"]["namespace"] == ns
    assert all(x["labels"]["severity"] == "high" for x in env.capture.alerts(env.path("chat")))


def test_d_inhibition_holds_the_target_while_the_source_fires(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default", "pager", "chat")
    env.capture.set('e2e_signal{name="source"}', 1)
    env.capture.set('e2e_signal{name="target"}', 1)
    inhibit = {
        "sourceMatchers": ['alertname="InhibitSource"'],
        "targetMatchers": ['alertname="InhibitTarget"'],
        "equal": ["namespace"],
    }
    env.apply(
        stack(env),
        policy(
            ns,
            "inhibit",
            [
                alert("InhibitSource", "critical", 'e2e_signal{name="source"} > 0'),
                alert("InhibitTarget", "high", 'e2e_signal{name="target"} > 0'),
            ],
            {"critical": "pager", "high": "chat"},
            inhibitions=[inhibit],
        ),
    )
    wait_live(env.live, ns)
    env.arrived("pager", "InhibitSource")

    def suppressed() -> dict[str, Any] | None:
        for found in alertmanager_alerts(env.live, ns):
            if found["labels"].get("alertname") == "InhibitTarget":
                status = found["status"]
                if status["state"] == "suppressed" and status["inhibitedBy"]:
                    return dict(found)
        return None

    wait_for("InhibitTarget suppressed by InhibitSource", suppressed)
    assert not env.capture.firing(env.path("chat"), "InhibitTarget")
    # Once the source resolves, the target is delivered.
    env.capture.set('e2e_signal{name="source"}', 0)
    delivered = env.arrived("chat", "InhibitTarget")
    assert delivered["labels"]["severity"] == "high"


def test_e_a_kpi_status_shows_the_live_value(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default")
    env.capture.set("e2e_kpi_score", 0.987)
    kpi = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "BusinessKPI",
        "metadata": {"name": "score", "namespace": ns},
        "spec": {
            "indicator": {"value": "max(e2e_kpi_score)"},
            "objective": {"target": 0.95, "window": "1h"},
            "alerting": {"burnRate": {"enabled": False}},
            "dashboard": {"enabled": False},
        },
    }
    env.apply(stack(env), kpi)
    wait_live(env.live, ns)

    def live_value() -> dict[str, Any] | None:
        status = (get(env.cluster, "kpi", "score", "-n", ns) or {}).get("status") or {}
        return status if status.get("current") is not None else None

    status = wait_for("the KPI's live value", live_value, timeout=240)
    assert status["current"] == pytest.approx(0.987)
    assert status["achievement"] == pytest.approx(0.987 / 0.95, rel=1e-3)


def test_f_the_watchdog_reaches_the_watchdog_receiver_and_never_the_default(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default", "heartbeat")
    watched = stack(env)
    watched["spec"]["alertmanager"]["watchdogReceiver"] = {
        "name": "heartbeat",
        "webhook": hook("heartbeat"),
    }
    env.apply(watched)
    wait_live(env.live, ns)
    watchdog = env.arrived("heartbeat", "Watchdog")
    assert watchdog["labels"]["severity"] == "none"
    assert receivers_of(env, "Watchdog") == {"heartbeat"}
    assert env.capture.firing(env.path("default"), "Watchdog") == []


def test_g_a_policy_edit_is_loaded_without_restart_and_fires(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default", "chat", "pager")
    env.capture.set('e2e_signal{name="first"}', 1)
    env.capture.set('e2e_signal{name="second"}', 1)
    first = alert("EditFirst", "high", 'e2e_signal{name="first"} > 0')
    env.apply(stack(env), policy(ns, "edit", [first], {"high": "chat"}))
    wait_live(env.live, ns)
    env.arrived("chat", "EditFirst")
    pids = {c: env.live.pid(ns, STACK, c) for c in ("prometheus", "alertmanager")}
    assert None not in pids.values()
    # A new alert (Prometheus re-reads its rules) and a new route and receiver for it
    # (Alertmanager is told to reload, as the sidecar does).
    second = alert("EditSecond", "critical", 'e2e_signal{name="second"} > 0')
    env.apply(policy(ns, "edit", [first, second], {"high": "chat", "critical": "pager"}))
    delivered = env.arrived("pager", "EditSecond")
    assert delivered["labels"]["severity"] == "critical"
    assert {c: env.live.pid(ns, STACK, c) for c in pids} == pids
