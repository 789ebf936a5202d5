"""ScalingPolicy: forecast a workload's load and raise its HPA ahead of it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from augur.api.common import (
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
    """Fewest replicas."""
    max: int = Field(ge=1)
    """Most replicas."""

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
    stabilization_window: Duration = "15m"
    """Use the highest recommendation of this window when scaling down."""


class ScalingPolicySpec(ApiModel):
    """Forecast-driven scaling of one workload."""

    model_config = cel(
        (
            "!has(self.mode) || self.mode != 'apply' || has(self.hpaRef)",
            "mode apply needs hpaRef (the HPA whose minReplicas augur raises)",
        )
    )

    target_ref: TargetRef
    """The workload."""
    hpa_ref: HPARef | None = None
    """The HPA to steer in mode apply."""
    metric: LoadMetric
    """The load."""
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    """Forecasting."""
    replicas: ReplicaBounds
    """Replica bounds."""
    headroom: float = Field(default=0.1, ge=0, le=10)
    """Extra capacity over the forecast, e.g. 0.15 for 15%."""
    scale_up: ScaleUp = Field(default_factory=ScaleUp)
    """Scale-up limits."""
    scale_down: ScaleDown = Field(default_factory=ScaleDown)
    """Scale-down limits."""
    mode: Literal["recommend", "apply"] = "recommend"
    """recommend: status and metrics only; apply: raise the HPA's minReplicas."""
    evaluation_interval: Duration = "5m"
    """How often to refit and recommend."""

    @model_validator(mode="after")
    def _apply_needs_hpa(self) -> ScalingPolicySpec:
        if self.mode == "apply" and self.hpa_ref is None:
            raise ValueError("mode apply needs hpaRef (the HPA whose minReplicas augur raises)")
        return self


class ForecastPoint(ApiModel):
    """One forecast step."""

    t: str
    """Time (RFC 3339)."""
    value: float
    """Point forecast."""
    lower: float
    """Lower bound of the interval."""
    upper: float
    """Upper bound (the asked quantile)."""


class ForecastSummary(ApiModel):
    """The latest forecast."""

    peak: float | None = None
    """Highest upper bound over the horizon."""
    peak_at: str | None = None
    """When."""
    points: list[ForecastPoint] = Field(default_factory=list)
    """The forecast."""


class ModelInfo(ApiModel):
    """The model in use."""

    method: str | None = None
    """Method chosen."""
    seasonality: str | None = None
    """Seasons used."""
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
    """Window measured over."""


class AppliedReplicas(ApiModel):
    """What was last written to the HPA."""

    min_replicas: int | None = None
    """minReplicas set on the HPA."""
    at: str | None = None
    """When."""


class ScalingPolicyStatus(ApiModel):
    """The forecast and recommendation."""

    observed_generation: int | None = None
    """Generation of the spec last handled."""
    recommended_replicas: int | None = None
    """Recommended replicas."""
    current_replicas: int | None = None
    """Replicas the workload has."""
    forecast: ForecastSummary | None = None
    """The latest forecast."""
    model: ModelInfo | None = None
    """The model."""
    accuracy: Accuracy | None = None
    """Accuracy of past forecasts."""
    applied: AppliedReplicas | None = None
    """Last change to the HPA."""
    conditions: list[Condition] = Field(default_factory=list)
    """Ready, ForecastHealthy, Applied."""
