"""Plain-data inputs of a ScalingPolicy evaluation: a spec, a load history and an HPA."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from augur.api.scalingpolicy import ScalingPolicySpec
from augur.forecast.series import Series
from augur.scaling.evaluate import Observed
from augur.scaling.inputs import FloorHolder, hpa_holder

DAY = 288  # 5-minute steps in a day
STEP = 300.0
NOW = 1_700_000_100.0  # a multiple of STEP

SpecMaker = Callable[..., ScalingPolicySpec]
HistoryMaker = Callable[..., Series]
HpaMaker = Callable[..., FloorHolder]
ObservedMaker = Callable[..., Observed]


def make_spec(**overrides: Any) -> ScalingPolicySpec:
    body: dict[str, Any] = {
        "targetRef": {"name": "web"},
        "hpaRef": {"name": "web"},
        "metric": {"query": "sum(rate(requests_total[5m]))", "perReplicaCapacity": 10},
        "forecast": {"history": "7d", "step": "5m", "horizon": "30m", "quantile": 0.9},
        "replicas": {"min": 2, "max": 40},
        "mode": "apply",
    }
    body.update(overrides)
    return ScalingPolicySpec.model_validate(body)


def make_history(days: float = 7, level: float = 100.0, end: float = NOW) -> Series:
    """A daily sine around `level` (amplitude half of it, a load whose rises a reactive HPA
    lags behind, so that a floor pays) with seeded noise, ending at `end`."""
    size = int(days * DAY)
    positions = np.arange(size, dtype=np.float64)
    values = level + level / 2 * np.sin(2 * np.pi * positions / DAY)
    values = values + np.random.default_rng(3).normal(0, level / 50, size)
    return Series(end - (size - 1) * STEP, STEP, values)


def make_hpa(
    min_replicas: int | None = 3, max_replicas: int = 30, original: int | None = None
) -> FloorHolder:
    metadata: dict[str, Any] = {"name": "web", "namespace": "shop"}
    if original is not None:
        metadata["annotations"] = {"augur.dev/original-min-replicas": str(original)}
    spec: dict[str, Any] = {"maxReplicas": max_replicas, "scaleTargetRef": {"name": "web"}}
    if min_replicas is not None:
        spec["minReplicas"] = min_replicas
    return hpa_holder({"apiVersion": "autoscaling/v2", "metadata": metadata, "spec": spec})


def make_observed(**overrides: Any) -> Observed:
    fields: dict[str, Any] = {
        "history": make_history(),
        "target_found": True,
        "current_replicas": 9,
        "holder": make_hpa(),
    }
    fields.update(overrides)
    return Observed(**fields)


@pytest.fixture
def spec() -> SpecMaker:
    """A ScalingPolicy spec (mode apply, capacity 10, replicas 2-40) with camelCase overrides."""
    return make_spec


@pytest.fixture
def history() -> HistoryMaker:
    """Days of a noisy daily sine ending at NOW, on a 5-minute grid."""
    return make_history


@pytest.fixture
def hpa() -> HpaMaker:
    """The HPA `shop/web` (min 3, max 30 unless told), raised by augur when `original` is set."""
    return make_hpa


@pytest.fixture
def observed() -> ObservedMaker:
    """What the controller read: seven days of history, the target at 9 replicas, the HPA."""
    return make_observed


@pytest.fixture
def now() -> float:
    """The evaluation time: the history's last point."""
    return NOW
