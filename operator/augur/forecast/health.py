"""Whether a fitted forecast may steer the HPA: its floor judged on held-out data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from augur.forecast.config import FloorCheck
from augur.forecast.recommend import lead_steps
from augur.forecast.replay import HpaBehaviour, floor_misses
from augur.forecast.selection import Calibrated, skilful


@dataclass(frozen=True)
class FloorVerdict:
    """Whether a forecast sets a floor, and what the held-out data said."""

    sets_floor: bool
    reactive_misses: int
    """Held-out steps the reactive HPA alone under-provisions (-1: not judged)."""
    floor_misses: int
    """...and with the floor the forecast would have set at each of them (-1: not judged)."""

    @property
    def judged(self) -> bool:
        """Whether the floor itself was judged (False: the point forecast was, for lack of
        scaling rules)."""
        return self.reactive_misses >= 0


def judge_floor(
    result: Calibrated, check: FloorCheck | None, step: float, quantile: float | None = None
) -> FloorVerdict:
    """Whether `result`'s forecasts may set a floor under the HPA.

    With the policy's scaling rules (`check`), the floor is judged by what it does: replayed
    over the held-out window (the floor each held-out forecast would have set over the lead
    steps, against the load as it came), it must under-provision fewer steps than the
    reactive HPA alone; otherwise it would cost replicas and buy nothing, and there is no
    floor. The point forecast's own accuracy is not asked: a forecast no closer than the last
    value can still carry calibrated insurance the reactive HPA lacks. Without rules, the
    point forecast must beat repeating the last value (`selection.skilful`). `quantile`
    judges the floor of another quantile than the one calibrated (`Calibrated.intervals_at`).
    """
    if check is None:
        return FloorVerdict(skilful(result.accuracy), -1, -1)
    intervals = result.intervals if quantile is None else result.intervals_at(quantile)
    upper = intervals.apply(result.held_out_point)[1]
    if not len(upper):
        return FloorVerdict(False, 0, 0)
    lead = min(upper.shape[1], lead_steps(check.startup, step, check.evaluation_interval))
    # the floor set at held-out step t carries the forecast made from the data up to t, the
    # one of the next origin
    peaks = np.full(len(upper), np.nan)
    peaks[:-1] = upper[1:, :lead].max(axis=1)
    behaviour = HpaBehaviour(check.startup, check.rules.scale_down.stabilization_window)
    reactive, floored = floor_misses(result.held_out_load, peaks, step, check.rules, behaviour)
    return FloorVerdict(floored < reactive, reactive, floored)
