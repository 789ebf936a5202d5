"""BusinessKPI: a KPI as PromQL with a target over a window."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from augur.api.common import (
    LIST_MAP_BY_TYPE,
    ApiModel,
    Condition,
    Duration,
    LabelName,
    ObjectName,
    PositiveDuration,
    PromQLTemplate,
    RulePromQL,
    Severity,
    UserLabels,
    cel,
    duration_seconds,
)
from augur.api.promql import PromQLError, check_rule_expression

WINDOW_PLACEHOLDER = "{{window}}"


def substitute_window(query: str, window: str) -> str:
    """Replace the `{{window}}` placeholder literally (never through a template engine)."""
    return query.replace(WINDOW_PLACEHOLDER, window)


class RatioIndicator(ApiModel):
    """good / total events; both queries contain `{{window}}` where the rate window goes."""

    model_config = cel(
        (
            "self.good.contains('{{window}}') && self.total.contains('{{window}}')",
            "good and total must contain {{window}} where the rate window goes",
        )
    )

    good: PromQLTemplate
    """Rate of good events, e.g. sum(rate(requests_total{code!~"5.."}[{{window}}]))."""
    total: PromQLTemplate
    """Rate of all events."""

    @field_validator("good", "total")
    @classmethod
    def _window_placeholder(cls, value: str) -> str:
        if WINDOW_PLACEHOLDER not in value:
            raise ValueError(f"must contain {WINDOW_PLACEHOLDER} where the rate window goes")
        try:
            check_rule_expression(substitute_window(value, "5m"))
        except PromQLError as error:
            raise ValueError(f"{error} (with {WINDOW_PLACEHOLDER} replaced by 5m)") from None
        return value


class Indicator(ApiModel):
    """What is measured: exactly one of ratio and value."""

    model_config = cel(("has(self.ratio) != has(self.value)", "set exactly one of ratio and value"))

    ratio: RatioIndicator | None = None
    """A ratio of good to total events (an SLI)."""
    value: RulePromQL | None = None
    """A value, e.g. avg(prompt_effectiveness_score) (an instant vector or a scalar)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Indicator:
        if (self.ratio is None) == (self.value is None):
            raise ValueError("set exactly one of ratio and value")
        return self


class Objective(ApiModel):
    """The target the KPI is held to."""

    target: float = Field(allow_inf_nan=False)
    """Target value, e.g. 0.95."""
    comparison: Literal[">=", "<=", ">", "<"] = ">="
    """Which side of the target is good."""
    window: PositiveDuration = "30d"
    """Window the objective is measured over."""


class BurnRateAlerting(ApiModel):
    """Multiwindow, multi-burn-rate alerts (ratio KPIs)."""

    enabled: bool = True
    """Generate the multiwindow burn-rate alerts (default true); only ratio KPIs have an error
    budget to burn."""
    page_severity: Severity = "critical"
    """Severity of the fast-burn alerts."""
    ticket_severity: Severity = "medium"
    """Severity of the slow-burn alerts."""


class BreachAlerting(ApiModel):
    """Alert while the current value is on the wrong side of the target."""

    for_: Duration = Field(default="15m", alias="for")
    """How long the breach must last."""
    severity: Severity = "high"
    """Severity of the breach alert; default high."""


class ForecastBreachAlerting(ApiModel):
    """Alert when the trend will cross the target within the horizon."""

    horizon: Duration = "7d"
    """How far ahead to look."""
    severity: Severity = "medium"
    """Severity of the forecast-breach alert; default medium."""


class PolicyRef(ApiModel):
    """An AlertPolicy in the KPI's own namespace, whose routing the KPI's alerts share."""

    name: ObjectName
    """Name of the AlertPolicy (always in the KPI's namespace: a KPI cannot route through
    another namespace's policy)."""


class KPIAlerting(ApiModel):
    """The KPI's alerts, and where they are delivered."""

    burn_rate: BurnRateAlerting = Field(default_factory=BurnRateAlerting)
    """Burn-rate alerts (ratio KPIs)."""
    breach: BreachAlerting | None = None
    """Alert while the current value is on the wrong side of the target; unset: no breach alert."""
    forecast_breach: ForecastBreachAlerting | None = None
    """Alert when the linear trend will cross the target within `horizon`; unset: no
    forecast-breach alert."""
    labels: UserLabels = Field(default_factory=dict)
    """Extra labels on every alert of the KPI."""
    policy_ref: PolicyRef | None = None
    """The AlertPolicy of the KPI's namespace whose routing delivers the KPI's alerts: they
    carry its augur_policy label, so its routes (by severity and matchers), receivers,
    inhibitions and mute windows apply to them as to the policy's own alerts; a stack must
    select the policy too. Unset: the alerts go to the stack's defaultReceiver."""


class KPIDashboard(ApiModel):
    """The KPI's place in Grafana."""

    enabled: bool = True
    """Show the KPI on the Business KPIs dashboard."""
    folder: str = "Business KPIs"
    """Grafana folder of the KPI's dashboard; default Business KPIs. Each folder gets a
    dashboard per namespace."""


class BusinessKPISpec(ApiModel):
    """A KPI with a target."""

    display_name: str | None = None
    """Name shown to people."""
    description: str | None = None
    """What the KPI means."""
    unit: str = Field(default="any", max_length=64)
    """ratio, percent, seconds, count, currency:USD or any string."""
    owner: str | None = None
    """Team that owns the KPI."""
    indicator: Indicator
    """What is measured: a ratio of good to total events, or a single value (exactly one)."""
    group_by: list[LabelName] = Field(default_factory=list)
    """Labels giving one KPI series per dimension, e.g. [model]."""
    objective: Objective
    """The target the KPI is held to: value, comparison and window."""
    alerting: KPIAlerting = Field(default_factory=KPIAlerting)
    """The KPI's alerts (burn rate, breach, forecast breach) and where they are delivered;
    default: burn-rate alerts only, to the stack's defaultReceiver."""
    dashboard: KPIDashboard = Field(default_factory=KPIDashboard)
    """Whether and where the KPI appears in Grafana; default: on the Business KPIs dashboard."""

    @model_validator(mode="after")
    def _ratio_objective(self) -> BusinessKPISpec:
        if self.indicator.ratio is not None:
            target = self.objective.target
            if not 0 < target < 1:
                raise ValueError(f"objective.target of a ratio KPI must be in (0, 1), not {target}")
            if self.alerting.burn_rate.enabled and self.objective.comparison not in (">=", ">"):
                raise ValueError("burn-rate alerts need objective.comparison >= (or >)")
        if self.alerting.forecast_breach is not None and duration_seconds(
            self.alerting.forecast_breach.horizon
        ) > duration_seconds(self.objective.window):
            raise ValueError("alerting.forecastBreach.horizon is longer than objective.window")
        return self


class KPIDimension(ApiModel):
    """The KPI's value for one dimension."""

    labels: dict[str, str]
    """The groupBy labels of this dimension, e.g. {region: eu}."""
    value: float
    """The KPI's current value in this dimension, in the KPI's unit."""


class BusinessKPIStatus(ApiModel):
    """The KPI's live value."""

    observed_generation: int | None = None
    """Generation of the spec last handled."""
    current: float | None = None
    """Current value (the worst dimension with groupBy)."""
    target: float | None = None
    """The objective's target value (spec.objective.target), in the KPI's unit."""
    achievement: float | None = None
    """current / target (inverted for <=)."""
    error_budget_remaining: float | None = None
    """Share of the error budget left (ratio KPIs)."""
    trend: Literal["improving", "stable", "declining"] | None = None
    """Now against one tenth of the window ago."""
    last_evaluated: str | None = None
    """When the value was read (RFC 3339)."""
    dimensions: list[KPIDimension] = Field(default_factory=list)
    """The worst dimensions with groupBy."""
    by_stack: dict[str, float] = Field(default_factory=dict)
    """Current value per stack (namespace/name) when several stacks select the KPI."""
    conditions: list[Condition] = Field(
        default_factory=list, max_length=16, json_schema_extra=LIST_MAP_BY_TYPE
    )
    """Accepted (the spec is valid), Ready (the value was read from Prometheus) and ObjectiveMet
    (the value is on the good side of the target)."""
