"""Time series on a regular grid: CSV parsing and regularisation of irregular samples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Series:
    """Values at `start + i * step` (epoch seconds); NaN marks a missing sample."""

    start: float
    step: float
    values: FloatArray

    def __len__(self) -> int:
        return len(self.values)

    def time_at(self, index: int) -> float:
        """Epoch seconds of the sample at `index` (may lie past the end)."""
        return self.start + index * self.step

    def head(self, count: int) -> Series:
        """The first `count` samples."""
        return Series(self.start, self.step, self.values[:count])

    def window(self, begin: int, end: int) -> Series:
        """Samples `begin` to `end` (exclusive), keeping their timestamps."""
        begin = max(0, begin)
        return Series(self.time_at(begin), self.step, self.values[begin:end])


def parse_timestamp(text: str) -> float:
    """Epoch seconds from Unix seconds or an ISO 8601 time (UTC when no offset is given)."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_csv(text: str) -> tuple[list[float], list[float]]:
    """Timestamps and values of a `timestamp,value` CSV; empty or non-numeric values are gaps."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty CSV")
    header = [cell.strip().lower() for cell in lines[0].split(",")]
    if header[:2] != ["timestamp", "value"]:
        raise ValueError(f"CSV header must be 'timestamp,value', got {lines[0]!r}")
    times: list[float] = []
    values: list[float] = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) < 2:
            raise ValueError(f"line {number}: expected timestamp,value")
        try:
            times.append(parse_timestamp(cells[0]))
        except ValueError as error:
            raise ValueError(f"line {number}: bad timestamp {cells[0]!r}") from error
        try:
            value = float(cells[1])
        except ValueError:
            value = math.nan
        values.append(value if math.isfinite(value) else math.nan)
    return times, values


def infer_step(times: Sequence[float]) -> float:
    """The most common spacing between consecutive timestamps."""
    if len(times) < 2:
        raise ValueError("need at least two samples to infer the step")
    spacing = np.diff(np.sort(np.asarray(times, dtype=np.float64)))
    spacing = spacing[spacing > 0]
    if not len(spacing):
        raise ValueError("all timestamps are equal")
    distinct, counts = np.unique(np.round(spacing, 3), return_counts=True)
    return float(distinct[np.argmax(counts)])


def regularize(times: Sequence[float], values: Sequence[float], step: float | None) -> Series:
    """Samples snapped to a grid of `step` seconds; missing grid points become NaN.

    Several samples in one grid cell are averaged.
    """
    if len(times) != len(values):
        raise ValueError("times and values differ in length")
    if not len(times):
        raise ValueError("no samples")
    if step is None:
        step = infer_step(times)
    stamps = np.asarray(times, dtype=np.float64)
    data = np.asarray(values, dtype=np.float64)
    start = float(stamps.min())
    index = np.rint((stamps - start) / step).astype(np.int64)
    size = int(index.max()) + 1
    keep = np.isfinite(data)
    sums = np.bincount(index[keep], weights=data[keep], minlength=size)
    counts = np.bincount(index[keep], minlength=size)
    grid = np.full(size, np.nan)
    present = counts > 0
    grid[present] = sums[present] / counts[present]
    return Series(start, float(step), grid)
