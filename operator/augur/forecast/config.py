"""The engine's inputs: plain dataclasses mirroring ScalingPolicy's forecast and scaling fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from augur.forecast.durations import parse_duration

METHODS = ("auto", "seasonal_naive", "holt_winters", "multi_seasonal", "linear", "ensemble")
_ALIASES = {
    "seasonalNaive": "seasonal_naive",
    "holtWinters": "holt_winters",
    "multiSeasonal": "multi_seasonal",
}


def normalize_method(name: str) -> str:
    """The engine's name for a method given in API (camelCase) or engine (snake_case) spelling."""
    method = _ALIASES.get(name, name)
    if method not in METHODS:
        raise ValueError(f"unknown forecast method {name!r}; expected one of {', '.join(METHODS)}")
    return method


@dataclass(frozen=True)
class ForecastConfig:
    """How a series is forecast (ScalingPolicy `spec.forecast`); durations in seconds."""

    method: str = "auto"
    history: float = 14 * 86400.0
    step: float = 300.0
    seasonality: tuple[float, ...] = ()
    """Seasons in seconds; empty means detect them."""
    horizon: float = 1800.0
    quantile: float = 0.9

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", normalize_method(self.method))
        if self.step <= 0:
            raise ValueError("step must be positive")
        if self.horizon < self.step:
            raise ValueError("horizon must be at least one step")
        if not 0.5 <= self.quantile < 1:
            raise ValueError("quantile must be in [0.5, 1)")
        if any(season < 2 * self.step for season in self.seasonality):
            raise ValueError("every season must span at least two steps")

    @classmethod
    def from_strings(
        cls,
        *,
        method: str = "auto",
        history: str = "14d",
        step: str = "5m",
        seasonality: tuple[str, ...] = (),
        horizon: str = "30m",
        quantile: float = 0.9,
    ) -> ForecastConfig:
        """A config from API-style duration strings such as `5m` and `1d`."""
        return cls(
            method=method,
            history=parse_duration(history),
            step=parse_duration(step),
            seasonality=tuple(parse_duration(s) for s in seasonality),
            horizon=parse_duration(horizon),
            quantile=quantile,
        )

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

    min: int = 1
    max: int = 1_000_000

    def clamp(self, replicas: int) -> int:
        """Replicas limited to [min, max]."""
        return max(self.min, min(self.max, replicas))


@dataclass(frozen=True)
class ScaleUp:
    """ScalingPolicy `spec.scaleUp`."""

    max_step: int = 10


@dataclass(frozen=True)
class ScaleDown:
    """ScalingPolicy `spec.scaleDown`; the window is in seconds."""

    max_step: int = 2
    stabilization_window: float = 900.0


@dataclass(frozen=True)
class ScalingRules:
    """How a forecast becomes replicas (ScalingPolicy metric capacity, replicas, headroom, steps)."""

    per_replica_capacity: float
    replicas: ReplicaBounds = field(default_factory=ReplicaBounds)
    headroom: float = 0.1
    scale_up: ScaleUp = field(default_factory=ScaleUp)
    scale_down: ScaleDown = field(default_factory=ScaleDown)

    def __post_init__(self) -> None:
        if self.per_replica_capacity <= 0:
            raise ValueError("per_replica_capacity must be positive")
        if self.headroom < 0:
            raise ValueError("headroom must not be negative")
        if self.replicas.min > self.replicas.max:
            raise ValueError("replicas.min must not exceed replicas.max")
