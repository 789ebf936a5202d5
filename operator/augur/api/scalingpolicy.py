"""ScalingPolicy: forecast a workload's load and raise its HPA ahead of it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from augur.api.common import (
    LIST_MAP_BY_TYPE,
    ApiModel,
    Condition,
    Duration,
    ObjectName,
    PromQL,
    cel,
    duration_seconds,
)


class TargetRef(ApiModel):
    """The workload being scaled."""

    api_version: str = "apps/v1"
    """API version of the workload."""
    kind: Literal["Deployment", "StatefulSet", "ReplicaSet"] = "Deployment"
    """Kind of the workload."""
    name: ObjectName
    """Name of the workload."""


class HPARef(ApiModel):
    """The HorizontalPodAutoscaler to steer."""

    name: ObjectName
    """Name of the HPA in the policy's namespace."""


class StackRef(ApiModel):
    """The MonitoringStack whose Prometheus a policy reads."""

    name: ObjectName
    """Name of the MonitoringStack."""
    namespace: ObjectName | None = None
    """Namespace of the MonitoringStack; unset: the policy's own namespace."""


class LoadMetric(ApiModel):
    """The load that drives replicas."""

    query: PromQL
    """PromQL returning one series: the workload's load."""
    per_replica_capacity: float = Field(gt=0)
    """Load one replica serves at its target utilisation."""


class ForecastSettings(ApiModel):
    """How the load is forecast."""

    method: Literal[
        "auto", "seasonalNaive", "holtWinters", "multiSeasonal", "linear", "ensemble"
    ] = "auto"
    """auto picks per series by backtest."""
    history: Duration = "14d"
    """History read from Prometheus."""
    step: Duration = "5m"
    """Resolution of the series."""
    seasonality: list[Duration] = Field(default_factory=list)
    """Seasons such as [1d, 1w]; empty: detected."""
    horizon: Duration = "30m"
    """Look-ahead: at least pod start-up plus scaling lag."""
    quantile: float = Field(default=0.9, ge=0.5, lt=1)
    """Upper quantile of the forecast to provision for."""
    startup: Duration = "2m"
    """How long a new replica takes to serve (scheduling, image pull, readiness); the replica
    floor covers the forecast until replicas asked for at the next evaluation are serving."""

    @model_validator(mode="after")
    def _consistent(self) -> ForecastSettings:
        step = duration_seconds(self.step)
        if step <= 0:
            raise ValueError("step must be longer than 0s")
        if duration_seconds(self.horizon) < step:
            raise ValueError(f"horizon {self.horizon} is shorter than step {self.step}")
        if duration_seconds(self.history) < 10 * step:
            raise ValueError(f"history {self.history} holds fewer than 10 steps of {self.step}")
        for season in self.seasonality:
            if duration_seconds(season) < 2 * step:
                raise ValueError(f"season {season} is shorter than two steps")
        return self


class ReplicaBounds(ApiModel):
    """Replica bounds."""

    model_config = cel(("!has(self.min) || self.min <= self.max", "min must not exceed max"))

    min: int = Field(default=1, ge=0)
    """Fewest replicas ever recommended (default 1)."""
    max: int = Field(ge=1)
    """Most replicas ever recommended; at least min."""

    @model_validator(mode="after")
    def _ordered(self) -> ReplicaBounds:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class ScaleUp(ApiModel):
    """Limits on raising replicas."""

    max_step: int = Field(default=10, ge=1)
    """Most replicas added per evaluation."""


class ScaleDown(ApiModel):
    """Limits on lowering replicas."""

    max_step: int = Field(default=2, ge=1)
    """Most replicas removed per evaluation."""
    stabilization_window: Duration = "5m"
    """Use the highest recommendation of this window when scaling down. The default is the
    HPA's own scale-down stabilization window: the HPA bounds its own (stabilized) desire by
    minReplicas, so a lowered floor applies at once, and a floor held longer than the HPA
    holds its replicas mostly costs replica-hours (bench/README.md: against 15m, 5m saved up to
    13 points of extra replica-hours on the recorded traces for at most 4 points less cut in
    under-provisioned time)."""


class ScalingPolicySpec(ApiModel):
    """Forecast-driven scaling of one workload."""

    model_config = cel(
        (
            "!has(self.mode) || self.mode != 'apply' || has(self.hpaRef)",
            "mode apply needs hpaRef (the HPA whose minReplicas augur raises)",
        )
    )

    target_ref: TargetRef
    """The workload being scaled (Deployment, StatefulSet or ReplicaSet in the policy's
    namespace)."""
    hpa_ref: HPARef | None = None
    """The HPA to steer in mode apply. When a KEDA ScaledObject owns it, augur steers the
    ScaledObject's minReplicaCount instead (KEDA would undo a change to its HPA)."""
    stack_ref: StackRef | None = None
    """The MonitoringStack whose Prometheus the load is read from. Needed only when several
    stacks select the policy's namespace; unset, the one stack that selects it is read."""
    metric: LoadMetric
    """The load metric as PromQL, and how much of it one replica serves."""
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    """How the load is forecast: history read, step, horizon, method and quantile."""
    replicas: ReplicaBounds
    """Bounds of the replica recommendation (min and max)."""
    headroom: float = Field(default=0, ge=0, le=10)
    """Extra capacity over the forecast's upper quantile, e.g. 0.15 for 15%. The default is 0:
    `perReplicaCapacity` is already the load one replica serves at its target, and
    `forecast.quantile` is already the allowance for the forecast's uncertainty, so headroom
    on top counts it twice (bench/README.md: against 0.1, 0 saved 8 to 16 points of extra
    replica-hours on every recorded trace for 4 to 8 points less cut in under-provisioned
    time). Set it for margins the forecast cannot know about."""
    scale_up: ScaleUp = Field(default_factory=ScaleUp)
    """How fast the recommendation may rise; default 10 replicas per evaluation."""
    scale_down: ScaleDown = Field(default_factory=ScaleDown)
    """How fast the recommendation may fall; default 2 replicas per evaluation, after a 5m
    stabilization window."""
    mode: Literal["recommend", "apply"] = "recommend"
    """recommend: status and metrics only, the HPA is never touched; apply: raise the HPA's
    minReplicas to the recommendation (server-side apply of that one field, field manager
    augur-scaling), recording the original in the annotation augur.dev/original-min-replicas
    and restoring it on recommend, on the annotation augur.dev/paused: "true", on deletion,
    on an untrusted forecast and after Prometheus failed 3 evaluations in a row."""
    evaluation_interval: Duration = "5m"
    """How often to refit and recommend."""

    @model_validator(mode="after")
    def _apply_needs_hpa(self) -> ScalingPolicySpec:
        if self.mode == "apply" and self.hpa_ref is None:
            raise ValueError("mode apply needs hpaRef (the HPA whose minReplicas augur raises)")
        return self


class ForecastPoint(ApiModel):
    """One step of the forecast: the point forecast and its band."""

    t: str
    """Time of the forecast step (RFC 3339)."""
    value: float
    """The point forecast (median) of the load at t, in the metric's unit."""
    lower: float
    """Lower bound of the interval."""
    upper: float
    """Upper bound (the asked quantile)."""


class ForecastSummary(ApiModel):
    """The latest forecast."""

    peak: float | None = None
    """Highest upper bound over the horizon."""
    peak_at: str | None = None
    """When the forecast's highest upper-quantile value is reached (RFC 3339)."""
    points: list[ForecastPoint] = Field(default_factory=list)
    """The forecast over the horizon, one point per step."""


class ModelInfo(ApiModel):
    """The model in use."""

    method: str | None = None
    """Forecasting method in use (the one auto selected, or the one set)."""
    seasonality: str | None = None
    """Seasonal periods the model uses, e.g. 1d,1w; unset: none."""
    fitted_at: str | None = None
    """When it was fitted."""
    training_points: int | None = None
    """Points it was fitted on."""


class Accuracy(ApiModel):
    """Past forecasts against what happened."""

    mase: float | None = None
    """Mean absolute scaled error (below 1 beats seasonal naive)."""
    smape: float | None = None
    """Symmetric mean absolute percentage error."""
    coverage: float | None = None
    """Share of actual values inside the interval."""
    window: str | None = None
    """How far back past forecasts were compared with what happened (a duration)."""


class AppliedReplicas(ApiModel):
    """What was last written to the HPA."""

    min_replicas: int | None = None
    """minReplicas set on the HPA."""
    at: str | None = None
    """When augur raised the HPA's minimum to this value (RFC 3339)."""


class PastRecommendationStatus(ApiModel):
    """One recommendation of the forecast, kept for the scale-down stabilization window."""

    at: str
    """When the recommendation was made (RFC 3339)."""
    replicas: int
    """Replicas the forecast alone asked for."""


class EvaluationState(ApiModel):
    """What one evaluation leaves for the next, so a restarted operator resumes where the
    last one stopped (written by augur; not for people)."""

    selected_method: str | None = None
    """The method auto selected last (engine spelling); reused until a day has passed."""
    selected_at: str | None = None
    """When it was selected."""
    forecast_floor: int | None = None
    """The forecast's floor last recommended: where the next step limits start."""
    recent_recommendations: list[PastRecommendationStatus] = Field(default_factory=list)
    """Recommendations within the scale-down stabilization window."""
    failed_queries: int | None = None
    """Evaluations in a row in which Prometheus could not answer."""
    steered: str | None = None
    """Kind/name of the object whose minimum augur holds raised."""


class ScalingPolicyStatus(ApiModel):
    """The forecast and recommendation."""

    observed_generation: int | None = None
    """Generation of the spec last handled."""
    target: str | None = None
    """The workload scaled, as kind/name (spec.targetRef), e.g. Deployment/checkout."""
    recommended_replicas: int | None = None
    """Replicas recommended ahead of the forecast load, within spec.replicas and the step
    limits."""
    current_replicas: int | None = None
    """Replicas the workload has."""
    forecast: ForecastSummary | None = None
    """The latest forecast of the load, with its peak."""
    model: ModelInfo | None = None
    """The forecasting model in use: method, seasonality, when and on how much it was fitted."""
    accuracy: Accuracy | None = None
    """Accuracy of past forecasts."""
    applied: AppliedReplicas | None = None
    """The minimum augur holds raised on the HPA, and since when; unset while not raised."""
    evaluation: EvaluationState | None = None
    """State carried from one evaluation to the next."""
    conditions: list[Condition] = Field(
        default_factory=list, max_length=16, json_schema_extra=LIST_MAP_BY_TYPE
    )
    """Ready (evaluated, with a recommendation), ForecastHealthy (the forecast can be trusted)
    and Applied (the HPA minimum is steered, in mode apply)."""
