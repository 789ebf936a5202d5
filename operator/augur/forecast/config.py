"""The engine's inputs, and the one adapter deriving them from a ScalingPolicy.

The engine works in seconds and in its own method names; the ScalingPolicy model
(`augur.api.scalingpolicy`) holds every default and every consistency rule. `engine_settings`
(and `forecast_config` for the forecast part alone) is the only place the two meet, so a
command or benchmark states only what it changes and lets the model supply the rest.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, replace
from typing import Any

from augur.api.durations import duration_seconds
from augur.api.scalingpolicy import ForecastSettings, ScalingPolicySpec

_ENGINE_NAMES = {
    "seasonalNaive": "seasonal_naive",
    "holtWinters": "holt_winters",
    "multiSeasonal": "multi_seasonal",
}
_API_NAMES = {engine: api for api, engine in _ENGINE_NAMES.items()}
API_METHODS: tuple[str, ...] = typing.get_args(ForecastSettings.model_fields["method"].annotation)
"""The methods a ScalingPolicy may name, in its (camelCase) spelling."""


def engine_method(name: str) -> str:
    """The engine's (snake_case) name for a method named as in the API (camelCase); each part
    of a combination (`holtWinters+linear`) is converted."""
    return "+".join(_ENGINE_NAMES.get(part, part) for part in name.split("+"))


def api_method(name: str) -> str:
    """The API's (camelCase) name for a method named as in the engine (snake_case); each part
    of a combination (`holt_winters+linear`) is converted."""
    return "+".join(_API_NAMES.get(part, part) for part in name.split("+"))


METHODS = tuple(engine_method(name) for name in API_METHODS)
"""The methods in the engine's spelling, in the API's order (`auto` first)."""


@dataclass(frozen=True)
class ForecastConfig:
    """How a series is forecast (ScalingPolicy `spec.forecast`); durations in seconds."""

    method: str
    """An engine method name (one of METHODS)."""
    history: float
    step: float
    seasonality: tuple[float, ...]
    """Seasons in seconds; empty means detect them."""
    horizon: float
    quantile: float
    floor_check: FloorCheck | None = None
    """How a floor from this forecast would steer the HPA, to judge it on held-out data; None
    (no scaling rules, e.g. `augur forecast predict`) judges the point forecast alone."""

    @property
    def horizon_steps(self) -> int:
        """Number of steps forecast ahead."""
        return max(1, round(self.horizon / self.step))

    @property
    def history_steps(self) -> int:
        """Number of steps of history the model is fitted on."""
        return max(1, round(self.history / self.step))

    def season_steps(self) -> tuple[int, ...]:
        """Configured seasons in steps, shortest first."""
        return tuple(sorted({round(s / self.step) for s in self.seasonality}))


@dataclass(frozen=True)
class ReplicaBounds:
    """ScalingPolicy `spec.replicas`."""

    min: int
    max: int

    def clamp(self, replicas: int) -> int:
        """Replicas limited to [min, max]."""
        return max(self.min, min(self.max, replicas))


@dataclass(frozen=True)
class ScaleUp:
    """ScalingPolicy `spec.scaleUp`."""

    max_step: int


@dataclass(frozen=True)
class ScaleDown:
    """ScalingPolicy `spec.scaleDown`; the window is in seconds."""

    max_step: int
    stabilization_window: float


@dataclass(frozen=True)
class ScalingRules:
    """How a forecast becomes replicas (ScalingPolicy metric capacity, replicas, headroom, steps)."""

    per_replica_capacity: float
    replicas: ReplicaBounds
    headroom: float
    scale_up: ScaleUp
    scale_down: ScaleDown


@dataclass(frozen=True)
class FloorCheck:
    """What judging a floor on held-out data takes from a policy (`ForecastConfig.floor_check`):
    how a forecast becomes replicas, when they serve and how often the floor is set."""

    rules: ScalingRules
    startup: float
    evaluation_interval: float


@dataclass(frozen=True)
class EngineSettings:
    """Everything the engine takes from one ScalingPolicy; durations in seconds."""

    forecast: ForecastConfig
    rules: ScalingRules
    startup: float
    """A new replica serves this long after it is requested (`spec.forecast.startup`)."""
    evaluation_interval: float
    """How often the policy refits and recommends."""


def forecast_config(settings: ForecastSettings) -> ForecastConfig:
    """The engine's view of a (validated) ScalingPolicy `spec.forecast`."""
    return ForecastConfig(
        method=engine_method(settings.method),
        history=duration_seconds(settings.history),
        step=duration_seconds(settings.step),
        seasonality=tuple(duration_seconds(season) for season in settings.seasonality),
        horizon=duration_seconds(settings.horizon),
        quantile=settings.quantile,
    )


def engine_settings(spec: ScalingPolicySpec) -> EngineSettings:
    """The engine's view of a (validated) ScalingPolicy spec.

    Its forecast config carries the policy's scaling rules (`floor_check`): the engine judges
    the floor a forecast would set, as the backtest does, before it lets it steer.
    """
    rules = ScalingRules(
        per_replica_capacity=spec.metric.per_replica_capacity,
        replicas=ReplicaBounds(min=spec.replicas.min, max=spec.replicas.max),
        headroom=spec.headroom,
        scale_up=ScaleUp(max_step=spec.scale_up.max_step),
        scale_down=ScaleDown(
            max_step=spec.scale_down.max_step,
            stabilization_window=duration_seconds(spec.scale_down.stabilization_window),
        ),
    )
    startup = duration_seconds(spec.forecast.startup)
    interval = duration_seconds(spec.evaluation_interval)
    check = FloorCheck(rules, startup, interval)
    return EngineSettings(
        forecast=replace(forecast_config(spec.forecast), floor_check=check),
        rules=rules,
        startup=startup,
        evaluation_interval=interval,
    )


def replay_policy(capacity: float, **fields: Any) -> ScalingPolicySpec:
    """The ScalingPolicy a recorded load trace is replayed under.

    The model's defaults apply except where `fields` (spec field names, nested parts as
    dicts, e.g. `forecast={"horizon": "1h"}`) say otherwise. A trace has no workload, so the
    target and the query are placeholders. Raises pydantic's ValidationError (a ValueError)
    when the result is not a valid policy.
    """
    body = {
        "target_ref": {"name": "trace"},
        "metric": {"query": "load", "per_replica_capacity": capacity},
        **fields,
    }
    return ScalingPolicySpec.model_validate(body)
