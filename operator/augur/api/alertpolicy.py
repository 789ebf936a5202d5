"""AlertPolicy: alerts, anomaly detection, routing, escalation, receivers, inhibition, tests."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from augur.api.common import (
    LIST_MAP_BY_TYPE,
    SEVERITY_RANK,
    AlertAnnotations,
    AlertName,
    AlertTemplate,
    ApiModel,
    Condition,
    Duration,
    GroupBy,
    HttpURL,
    ItemName,
    LabelName,
    PositiveDuration,
    PromLabels,
    RulePromQL,
    Severity,
    UserLabels,
    cel,
)
from augur.api.durations import MAX_DURATION, MAX_NANOS, duration_millis
from augur.api.escalation import MAX_STEPS, EscalationStep, escalation_cycle, escalations
from augur.api.matchers import MatcherString
from augur.api.monitoringstack import LIST_MAP_BY_NAME
from augur.api.receivers import Receiver
from augur.api.templates import reloader_reference
from augur.api.timeintervals import NamedTimeInterval


class AlertDefaults(ApiModel):
    """Values every alert of the policy takes unless it sets its own."""

    for_: Duration | None = Field(default=None, alias="for")
    """How long the condition must hold before the alert fires."""
    keep_firing_for: Duration | None = None
    """How long the alert keeps firing after the condition clears."""
    labels: UserLabels = Field(default_factory=dict)
    """Labels added to every alert."""


class Anomaly(ApiModel):
    """A dynamic threshold: the alert fires when the query leaves its usual band."""

    query: RulePromQL
    """The series to watch (an instant vector or a scalar)."""
    algorithm: Literal["zscore", "robust"] = "zscore"
    """zscore: mean ± k·stddev; robust: median ± k·MAD (resists outliers)."""
    sensitivity: float = Field(default=3.0, gt=0, le=100)
    """k: how many deviations away counts as anomalous."""
    seasonality: Literal["none", "1d", "1w"] = "none"
    """Compare with the same time one period back."""
    direction: Literal["above", "below", "both"] = "both"
    """Which side of the band alerts."""
    minimum: float | None = Field(default=None, allow_inf_nan=False)
    """Ignore values below this (quiet series)."""
    window: PositiveDuration = "1h"
    """Window the band's statistics are computed over."""


class Alert(ApiModel):
    """One alert: a PromQL condition (expr) or a dynamic threshold (anomaly)."""

    model_config = cel(
        ("has(self.expr) != has(self.anomaly)", "set exactly one of expr and anomaly")
    )

    name: AlertName
    """Alert name (the alertname label); unique within the policy."""
    severity: Severity
    """critical pages; info never notifies unless a route says so."""
    expr: RulePromQL | None = None
    """The condition: the alert fires for every series it returns (an instant vector or a
    scalar)."""
    anomaly: Anomaly | None = None
    """A dynamic threshold instead of expr."""
    for_: Duration | None = Field(default=None, alias="for")
    """How long the condition must hold before the alert fires."""
    keep_firing_for: Duration | None = None
    """How long the alert keeps firing after the condition clears."""
    summary: AlertTemplate | None = None
    """One line (Prometheus template)."""
    description: AlertTemplate | None = None
    """Details shown in notifications (annotation `description`): an Alertmanager-style
    Prometheus template such as `{{ $value | humanizePercentage }}`; unset: none."""
    runbook_url: HttpURL | None = Field(default=None, alias="runbookURL")
    """Link to what to do when the alert fires (annotation `runbook_url`, an http(s) URL);
    unset: none."""
    labels: UserLabels = Field(default_factory=dict)
    """Labels added to this alert (on top of `defaults.labels`), for routing and grouping; the
    reserved labels namespace, severity and augur_* are refused. Default: none."""
    annotations: AlertAnnotations = Field(default_factory=dict)
    """Annotations added to this alert (summary, description and runbook_url have fields of
    their own; Prometheus templates). Default: none."""

    @model_validator(mode="after")
    def _expr_or_anomaly(self) -> Alert:
        if (self.expr is None) == (self.anomaly is None):
            raise ValueError("set exactly one of expr and anomaly")
        return self


METRIC_NAME_PATTERN = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"


class Record(ApiModel):
    """A recording rule: the value of an expression kept as a series of its own."""

    record: str = Field(pattern=METRIC_NAME_PATTERN, max_length=256)
    """Name of the recorded series (a Prometheus metric name; colons by the
    `level:metric:operations` convention). Prometheus' own ALERTS and ALERTS_FOR_STATE and
    names starting with augur (augur's own series) are refused."""
    expr: RulePromQL
    """The expression recorded (an instant vector or a scalar)."""
    labels: UserLabels = Field(default_factory=dict)
    """Labels added to the recorded series; the reserved labels namespace, severity and augur_*
    are refused. Default: none."""

    @field_validator("record")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        # escalation and KPI rules read these series: a record must not write into them
        if name in ("ALERTS", "ALERTS_FOR_STATE") or name.startswith("augur"):
            raise ValueError(f"{name!r} is a series Prometheus or augur writes itself")
        return name


class Route(ApiModel):
    """A route; routes are tried in order and the first match wins."""

    severities: list[Severity] = Field(default_factory=list)
    """Severities taken; empty: all."""
    matchers: list[MatcherString] = Field(default_factory=list)
    """Extra Alertmanager matchers, e.g. service="checkout"."""
    receivers: list[str] = Field(min_length=1)
    """Receivers (of the policy, or the stack's defaultReceiver); several: each gets it."""
    mute_time_intervals: list[str] = Field(default_factory=list)
    """Time intervals during which this route is silent."""
    active_time_intervals: list[str] = Field(default_factory=list)
    """Time intervals outside which this route is silent."""
    continue_: bool = Field(default=False, alias="continue")
    """Keep trying later routes after this one matched."""
    group_by: GroupBy | None = None
    """Grouping for this route; default: the policy's."""


class Routing(ApiModel):
    """How the policy's alerts are delivered."""

    group_by: GroupBy = Field(default_factory=lambda: ["alertname"])
    """Labels notifications are grouped by."""
    group_wait: Duration | None = None
    """Wait before the first notification of a group; default: the stack's."""
    group_interval: PositiveDuration | None = None
    """Wait before notifying of new alerts in a group; default: the stack's."""
    repeat_interval: PositiveDuration | None = None
    """Wait before repeating a notification; default: the stack's."""
    routes: list[Route] = Field(default_factory=list)
    """Ordered routes; alerts no route takes go to the stack's defaultReceiver."""
    escalation: list[EscalationStep] = Field(default_factory=list, max_length=MAX_STEPS)
    """Escalation steps. They chain: an alert raised to a severity is raised again by the
    step that starts at that severity, after that step's delay (medium → high after 4h, then
    high → critical after 1h: critical 5h after the medium alert fired). Each severity an
    alert reaches is one more alert: the same alertname and labels, `severity` set to the
    higher one, `augur_escalated_from` to the alert's own severity and `augur_escalated`
    "true", and an `escalation` annotation such as "escalated from medium after 4h". It
    fires while the alert it came from fires and resolves with it; the alert it came from
    keeps notifying unless the step sets silenceSource or an inhibition mutes it. When two
    chains reach one severity, the quicker one counts. Steps must raise severity, so they
    never form a cycle."""

    @field_validator("escalation", mode="before")
    @classmethod
    def _no_cycle(cls, steps: Any) -> Any:
        # before the steps themselves: a cycle is named as a whole, not as one lowering step
        if isinstance(steps, list) and len(steps) <= MAX_STEPS:
            cycle = escalation_cycle(steps)
            if cycle is not None:
                raise ValueError(cycle)
        return steps

    @model_validator(mode="after")
    def _silenced_sources_are_identifiable(self) -> Routing:
        silencing = [i for i, step in enumerate(self.escalation) if step.silence_source]
        if silencing and "..." in self.group_by:
            raise ValueError(
                f"escalation[{silencing[0]}].silenceSource needs groupBy to name the labels "
                "that tell alerts apart, not `...`"
            )
        return self

    @model_validator(mode="after")
    def _chains_in_range(self) -> Routing:
        # each level's `for:` is the sum of its chain's delays: one Prometheus duration
        for origin in SEVERITY_RANK:
            for chain in escalations(self.escalation, origin):
                millis = sum(duration_millis(step.after) for _, step in chain.steps)
                if millis * 10**6 > MAX_NANOS:
                    raise ValueError(
                        f"escalation from {origin} to {chain.severity} takes the sum of its "
                        f"steps' delays, longer than Prometheus accepts (at most {MAX_DURATION})"
                    )
        return self


class Inhibition(ApiModel):
    """While a source alert fires, matching target alerts are not notified."""

    source_matchers: list[MatcherString] = Field(min_length=1)
    """Matchers of the inhibiting alert."""
    target_matchers: list[MatcherString] = Field(min_length=1)
    """Matchers of the inhibited alerts."""
    equal: list[LabelName] = Field(default_factory=list)
    """Labels that must be equal in source and target."""


class InputSeries(ApiModel):
    """A series fed to a rule test, in promtool's expanding notation."""

    series: str = Field(min_length=1)
    """The series, e.g. http_requests_total{code="500"}."""
    values: str
    """Values, e.g. 0+10x30 or 1 _ 3 stale."""


class ExpectedAlert(ApiModel):
    """An alert expected (or not) at a point of a test."""

    alert: AlertName
    """Name of an alert of this policy expected to fire (or, with an empty list, not to)."""
    at: Duration
    """Time since the test start at which to check."""
    labels: PromLabels = Field(default_factory=dict)
    """Labels the firing alert must carry (a subset of its labels)."""
    annotations: dict[str, str] = Field(default_factory=dict)
    """Annotations the firing alert must carry (a subset)."""
    firing: bool = True
    """false: no such alert may be firing at `at`."""


class RuleTest(ApiModel):
    """A rule unit test, run with promtool by `augur test` and by the operator (the results in
    status.tests and the TestsPassed condition)."""

    name: ItemName
    """Name of the test, unique in the policy; status.tests reports each test under it."""
    interval: Duration = "1m"
    """Step between input samples."""
    input_series: list[InputSeries] = Field(min_length=1)
    """Series the test feeds to the rules, in promtool's notation (at least one)."""
    expect_alerts: list[ExpectedAlert] = Field(min_length=1)
    """What must fire at which time offset (at least one expectation)."""


class AlertPolicySpec(ApiModel):
    """Alerts of a team and where they go."""

    defaults: AlertDefaults = Field(default_factory=AlertDefaults)
    """Defaults for every alert."""
    alerts: list[Alert] = Field(default_factory=list, json_schema_extra=LIST_MAP_BY_NAME)
    """Alerting rules (static `expr` or `anomaly`), each named uniquely in the policy. Default:
    none (a policy may exist for routing only)."""
    records: list[Record] = Field(default_factory=list)
    """Recording rules the policy's alerts (or dashboards) read, evaluated before the alerts in
    the policy's rule group. The series keep the labels their expression gives them; under the
    stack's tenancy the expression sees only the namespace's series and the series carry the
    namespace (so the namespace's own, restricted, rules find them). Default: none."""
    routing: Routing = Field(default_factory=Routing)
    """How the policy's alerts are grouped, routed to receivers, and escalated; default: grouped
    by alertname, everything to the stack's defaultReceiver."""
    receivers: list[Receiver] = Field(default_factory=list, json_schema_extra=LIST_MAP_BY_NAME)
    """Notification targets the policy's routes name, each with one or more channels; unique
    names. Default: none (routes then use the stack's defaultReceiver)."""
    inhibitions: list[Inhibition] = Field(default_factory=list)
    """Rules muting some of the policy's alerts while others fire (Alertmanager inhibit rules,
    scoped to the policy). Default: none."""
    time_intervals: list[NamedTimeInterval] = Field(
        default_factory=list, json_schema_extra=LIST_MAP_BY_NAME
    )
    """Named time intervals for mute and active windows."""
    tests: list[RuleTest] = Field(default_factory=list, json_schema_extra=LIST_MAP_BY_NAME)
    """promtool rule unit tests of the policy's alerts; the operator runs them and reports the
    result in status.tests and the TestsPassed condition. Default: none."""

    @model_validator(mode="after")
    def _names_and_references(self) -> AlertPolicySpec:
        for what, names in (
            ("alert", [a.name for a in self.alerts]),
            ("receiver", [r.name for r in self.receivers]),
            ("time interval", [t.name for t in self.time_intervals]),
            ("test", [t.name for t in self.tests]),
        ):
            duplicates = sorted(n for n, count in Counter(names).items() if count > 1)
            if duplicates:
                raise ValueError(f"duplicate {what} name(s): {', '.join(duplicates)}")
        intervals = {t.name for t in self.time_intervals}
        for index, route in enumerate(self.routing.routes):
            for name in route.mute_time_intervals + route.active_time_intervals:
                if name not in intervals:
                    raise ValueError(
                        f"routing.routes[{index}]: time interval {name!r} is not in timeIntervals"
                    )
        for part in ("routing", "inhibitions", "time_intervals"):
            found = _reloader_reference(getattr(self, part))
            if found is not None:
                raise ValueError(
                    f"{part}: {found} would be replaced by the configuration reloader "
                    "(an environment variable) and refused when unset; write it otherwise"
                )
        alert_names = {a.name for a in self.alerts}
        for test in self.tests:
            for expected in test.expect_alerts:
                if expected.alert not in alert_names:
                    raise ValueError(
                        f"tests[{test.name}]: alert {expected.alert!r} is not an alert of this policy"
                    )
        return self


def _reloader_reference(value: Any) -> str | None:
    """A `$(NAME)` anywhere in the strings of `value` (models, lists, mappings)."""
    if isinstance(value, str):
        return reloader_reference(value)
    if isinstance(value, ApiModel):
        value = value.model_dump()
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for item in items:
        found = _reloader_reference(item)
        if found is not None:
            return found
    return None


class InvalidItem(ApiModel):
    """An item of the spec that could not be loaded."""

    alert: str | None = None
    """The alert concerned, if any."""
    message: str
    """What is wrong with the item, as field path and reason."""


class RuleTestOutcome(ApiModel):
    """One rule test's result from its last run."""

    name: str
    """The test's name in spec.tests."""
    passed: bool
    """True when every expectation held."""
    message: str | None = Field(default=None, max_length=1024)
    """What differed (expected against firing alerts), or promtool's error, when it failed."""


class AlertPolicyStatus(ApiModel):
    """What augur observed and did."""

    observed_generation: int | None = None
    """Generation of the spec last handled."""
    conditions: list[Condition] = Field(
        default_factory=list, max_length=16, json_schema_extra=LIST_MAP_BY_TYPE
    )
    """Ready, Accepted, SecretsResolved and TestsPassed (True: AllPassed or NoTests; False:
    TestsFailed, naming the failed tests; Unknown: Pending, NotLoaded, PromtoolUnavailable,
    TimedOut, PromtoolFailed)."""
    stacks: list[str] = Field(default_factory=list)
    """Stacks (namespace/name) that load this policy."""
    rules: int = 0
    """Prometheus rules rendered from this policy."""
    invalid: list[InvalidItem] = Field(default_factory=list)
    """Items of the spec that were not loaded, each with why (empty when everything loaded)."""
    tests: list[RuleTestOutcome] = Field(default_factory=list)
    """One entry per test of spec.tests from their last run with promtool. The operator runs
    them when the policy or its rendered rules change, against the rules of the first stack
    (by namespace/name) that loads the policy, tenancy included, as `augur test` does."""
    tests_failed: int | None = None
    """How many tests failed in the last run (unset while there are no results)."""
