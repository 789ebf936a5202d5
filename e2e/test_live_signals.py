"""Alerts arrive, continued: escalation chains, mute windows, anomalies and KPI burn rates, with
the real Prometheus and Alertmanager run from the operator's objects (`augur.dev.livestack`).

Durations are short and set in each test's own CRs; every wait polls for an event (a delivery,
an alert state, a recorded series), never for a span of time."""

from __future__ import annotations

import math
import time
import urllib.error
from typing import Any

import pytest

from e2e.live_fixtures import (
    STACK,
    alertmanager_alerts,
    alertmanager_groups,
    capture,
    live,
    prometheus_api,
    rule,
    wait_live,
)
from e2e.operator_fixtures import wait_for
from e2e.test_live_alerts import Env, alert, env, policy, stack

__all__ = ["capture", "env", "live"]  # fixtures, used by name

pytestmark = pytest.mark.timeout(600)


def am_alert(env: Env, alertname: str, **labels: str) -> dict[str, Any] | None:
    """The live Alertmanager's alert of that name and labels, if it has one."""
    for found in alertmanager_alerts(env.live, env.namespace):
        have = found["labels"]
        if have.get("alertname") == alertname and all(have.get(k) == v for k, v in labels.items()):
            return found
    return None


def query(env: Env, promql: str) -> list[dict[str, Any]]:
    """The live Prometheus' instant vector for `promql` ([] while it cannot answer)."""
    try:
        result: list[dict[str, Any]] = prometheus_api(
            env.live, env.namespace, "query", query=promql
        )["result"]
    except (OSError, urllib.error.URLError):
        return []
    return result


def test_a_a_medium_alert_climbs_each_step_and_its_source_falls_silent(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default", "tickets", "chat", "pager")
    env.capture.set('e2e_signal{name="chain"}', 1)
    steps = [
        {"severities": ["medium"], "after": "4s", "to": "high", "silenceSource": True},
        {"severities": ["high"], "after": "4s", "to": "critical"},
    ]
    chained = policy(
        ns,
        "chain",
        [alert("E2EChain", "medium", 'e2e_signal{name="chain"} > 0')],
        {"medium": "tickets", "high": "chat", "critical": "pager"},
        # Repeats every 2s: a source that were not silenced would keep arriving.
        routing={"escalation": steps, "groupBy": ["alertname"], "repeatInterval": "2s"},
    )
    env.apply(stack(env), chained)
    wait_live(env.live, ns)
    raised = env.arrived("pager", "E2EChain")
    assert raised["labels"]["severity"] == "critical"
    assert raised["labels"]["augur_escalated_from"] == "medium"
    assert raised["labels"]["namespace"] == ns
    # Each level reached its own receiver, in the order of the chain.
    order = [
        env.capture.index(env.path(receiver), "E2EChain", severity=severity)
        for receiver, severity in (("tickets", "medium"), ("chat", "high"), ("pager", "critical"))
    ]
    assert None not in order
    assert order == sorted(order), order
    assert all(a["labels"]["severity"] == "medium" for a in env.capture.alerts(env.path("tickets")))

    # silenceSource: the high copy inhibits the medium alert it was raised from.
    def source_inhibited() -> dict[str, Any] | None:
        found = am_alert(env, "E2EChain", severity="medium")
        status = (found or {}).get("status") or {}
        return found if status.get("state") == "suppressed" and status["inhibitedBy"] else None

    wait_for("the medium source inhibited by its raised copy", source_inhibited)
    high = am_alert(env, "E2EChain", severity="high")
    assert high is not None and high["status"]["state"] == "active"

    def pages() -> int:
        return len(env.capture.firing(env.path("pager"), "E2EChain"))

    # A notification of the source already on its way may still land: count from the next
    # page on, then let the pager be paged three more times (every repeat interval).
    seen = pages()
    wait_for("the next page", lambda: pages() > seen)
    tickets = len(env.capture.alerts(env.path("tickets")))
    seen = pages()
    wait_for("three more pages", lambda: pages() >= seen + 3, timeout=120)
    assert len(env.capture.alerts(env.path("tickets"))) == tickets


def test_b_a_mute_window_holds_the_alert_back_until_it_is_lifted(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default", "chat", "pager")
    env.capture.set('e2e_signal{name="muted"}', 1)
    alerts = [
        alert("E2EMuted", "high", 'e2e_signal{name="muted"} > 0'),
        alert("E2EHeard", "critical", 'e2e_signal{name="muted"} > 0'),
    ]
    muted = policy(
        ns,
        "mute",
        alerts,
        {"high": "chat", "critical": "pager"},
        # Every day of the week: the window covers now, whenever the test runs.
        timeIntervals=[{"name": "always", "intervals": [{"weekdays": ["sunday:saturday"]}]}],
    )
    muted["spec"]["routing"]["routes"][0]["muteTimeIntervals"] = ["always"]
    env.apply(stack(env), muted)
    wait_live(env.live, ns)
    env.arrived("pager", "E2EHeard")

    def held() -> dict[str, Any] | None:
        for group in alertmanager_groups(env.live, ns):
            for found in group["alerts"]:
                if found["labels"].get("alertname") == "E2EMuted" and found["status"]["mutedBy"]:
                    return dict(found)
        return None

    found = wait_for("E2EMuted muted by the time interval", held)
    assert found["status"]["state"] == "suppressed"
    assert any("always" in name for name in found["status"]["mutedBy"])
    assert [r["name"] for r in found["receivers"]] == [f"{ns}/mute/chat"]
    assert not env.capture.firing(env.path("chat"), "E2EMuted")
    # Lifted, the window no longer holds the alert: it is delivered.
    del muted["spec"]["routing"]["routes"][0]["muteTimeIntervals"]
    env.apply(muted)
    delivered = env.arrived("chat", "E2EMuted")
    assert delivered["labels"]["severity"] == "high"


DAY = 86400.0
STEP = 30.0


def seasonal(t: float) -> float:
    """The watched series' daily shape (without noise)."""
    return 100 + 40 * math.sin(2 * math.pi * t / DAY)


def recorded_history(labels: dict[str, str], start: float, end: float) -> str:
    """OpenMetrics history of the anomaly's recorded value: the daily shape with ±3 noise,
    as the recording rule would have stored it had it run for the whole span."""
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    lines = []
    t = start
    while t <= end:
        noise = 3 if int(t // STEP) % 2 else -3
        lines.append(f"augur_anomaly:value:current{{{inner}}} {seasonal(t) + noise} {t:.3f}\n")
        t += STEP
    return "".join(lines) + "# EOF\n"


def test_c_an_anomaly_fires_on_a_spike_of_a_seasonal_series_and_not_before(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default", "chat")
    now = time.time()
    env.capture.set("e2e_seasonal", seasonal(now))
    spike = {
        "name": "E2ESpike",
        "severity": "high",
        "for": "1s",
        "anomaly": {
            "query": "sum(e2e_seasonal)",
            "seasonality": "1d",
            "window": "10m",
            "direction": "above",
        },
    }
    # The band is read one season back (a window centred on this time yesterday), from the
    # recorded series: a full day of it is written before Prometheus starts.
    labels = {"namespace": ns, "augur_policy": "anomaly", "augur_anomaly": "E2ESpike"}
    env.live.backfill(ns, STACK, recorded_history(labels, now - DAY - 3600, now - 600))
    env.apply(stack(env), policy(ns, "anomaly", [spike], {"high": "chat"}))
    wait_live(env.live, ns)
    selector = '{augur_anomaly="E2ESpike"}'

    def value_and_band() -> tuple[float, float] | None:
        # Both are recorded in one evaluation of the policy's group, the alert right after.
        current = query(env, f"augur_anomaly:value:current{selector}")
        band = query(env, f"augur_anomaly:value:upper_band{selector}")
        if not current or not band:
            return None
        return float(current[0]["value"][1]), float(band[0]["value"][1])

    current, upper = wait_for("today's value and the band from yesterday's", value_and_band)
    # Today's value follows yesterday's shape: inside the band, the alert quiet.
    assert current < upper
    assert upper - current < 20
    evaluated = rule(env.live, ns, "E2ESpike")
    assert evaluated is not None and evaluated["state"] == "inactive"
    assert not env.capture.firing(env.path("chat"), "E2ESpike")
    env.capture.set("e2e_seasonal", seasonal(time.time()) + 100)
    delivered = env.arrived("chat", "E2ESpike")
    assert delivered["labels"]["augur_anomaly"] == "E2ESpike"
    assert delivered["labels"]["severity"] == "high"


def test_d_a_kpi_burn_rate_alert_fires_on_injected_errors(env: Env) -> None:
    ns = env.namespace
    env.hooks(ns, "default")
    env.capture.rate('e2e_requests_total{code="200"}', 20)
    env.capture.rate('e2e_requests_total{code="500"}', 0)
    kpi = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "BusinessKPI",
        "metadata": {"name": "availability", "namespace": ns},
        "spec": {
            "indicator": {
                "ratio": {
                    "good": 'sum(rate(e2e_requests_total{code!~"5.."}[{{window}}]))',
                    "total": "sum(rate(e2e_requests_total[{{window}}]))",
                }
            },
            # A one-hour objective: every burn-rate window is 5m or 6m, quick to fill.
            "objective": {"target": 0.99, "window": "1h"},
            "dashboard": {"enabled": False},
        },
    }
    env.apply(stack(env), kpi)
    wait_live(env.live, ns)
    burn = 'augur_kpi:burn_rate:rate5m{augur_kpi="availability"}'
    healthy = wait_for("the KPI's burn rate, recorded", lambda: query(env, burn))
    assert float(healthy[0]["value"][1]) == pytest.approx(0.0)
    paging = rule(env.live, ns, "KPIErrorBudgetBurn")
    assert paging is not None and paging["state"] == "inactive"
    # A third of the requests fail from now: 33× the budget's pace.
    env.capture.rate('e2e_requests_total{code="500"}', 10)
    delivered = env.arrived("default", "KPIErrorBudgetBurn")
    assert delivered["labels"]["augur_kpi"] == "availability"
    assert delivered["labels"]["namespace"] == ns
    assert delivered["labels"]["severity"] == "critical"
    assert float(query(env, burn)[0]["value"][1]) > 14.4
