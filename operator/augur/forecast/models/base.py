"""What every fitted model offers: forecasts from any origin at or after its training data."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from augur.forecast.series import FloatArray

IntArray = npt.NDArray[np.int64]

ERROR_CLIP = 6.0
"""While running forward, a one-step error beyond this many robust deviations is clipped."""


class FittedModel(Protocol):
    """A model fitted on `values[:end]`; it carries its state forward over later values."""

    @property
    def method(self) -> str:
        """The model's method name."""
        ...

    @property
    def seasons(self) -> tuple[int, ...]:
        """Seasons (in steps) the model uses."""
        ...

    @property
    def end(self) -> int:
        """Length of the training data; forecasts start at or after it."""
        ...

    def paths(self, values: FloatArray, origins: IntArray, horizon: int) -> FloatArray:
        """Forecasts of shape (len(origins), horizon) made at each origin from `values[:origin]`.

        Origins are ascending and at least `end`; `values` extends the training data and may
        hold NaN (missing samples: the state is carried without an update).
        """
        ...


@runtime_checkable
class TailAware(Protocol):
    """A model that runs its latest points from another series without running it all again."""

    def paths_with_raw_tails(
        self,
        cleaned: FloatArray,
        raw: FloatArray,
        origins: IntArray,
        horizon: int,
        tails: IntArray,
    ) -> FloatArray:
        """`paths` over `cleaned`, except that the forecast at `origins[row]` is made from
        `raw` at positions `tails[row]` to the origin (`tails[row] == origins[row]`: none).

        The same numbers as running `paths` once per such origin over `cleaned` with that
        stretch replaced by `raw`, without running the state from the start each time.
        """
        ...


def tail_starts(tails: IntArray, origins: IntArray, end: int) -> list[int]:
    """Where the raw stretches of `tails` begin for a model fitted up to `end`, in order."""
    return sorted(
        {max(end, t) for t, o in zip(tails.tolist(), origins.tolist(), strict=True) if t < o}
    )


def robust_scale(changes: FloatArray) -> float:
    """Typical size of step-to-step changes: the larger of a MAD-like and the mean size.

    The mean keeps the limit from collapsing on smooth or stepwise series, whose median
    change is near zero.
    """
    finite = np.abs(changes[np.isfinite(changes)])
    if not len(finite):
        return 0.0
    return max(float(np.median(finite)) * 1.4826, float(np.mean(finite)))
