"""Range queries: one series over a long history, read in chunks Prometheus accepts."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from augur.forecast.series import FloatArray, Series
from augur.prom.client import PromClient, PromError, PromInvalidAnswer

Sample = tuple[float, float]
"""(Unix seconds, value) of one sample of a range vector."""

MAX_POINTS_PER_QUERY = 11_000
"""Prometheus refuses a range query of more than 11,000 steps per series; a chunk asks for at
most this many points (10,999 steps), so it stays under the limit."""


class NoSeries(PromError):
    """The query returned no series over the whole range."""

    reason = "QueryReturnedNoSeries"


class SeveralSeries(PromError):
    """The query returned more than one series where one was expected."""

    reason = "QueryReturnedSeveralSeries"

    def __init__(self, message: str, count: int) -> None:
        super().__init__(message)
        self.count = count


@dataclass(frozen=True)
class RangeSeries:
    """The one series a range query returned, on the query's grid."""

    labels: dict[str, str]
    series: Series
    """Values at `start + i * step`; NaN where Prometheus had no sample (gaps stay gaps)."""
    non_finite: int
    """Samples Prometheus returned as NaN or ±Inf, kept as gaps."""


def range_chunks(
    start: float, end: float, step: float, max_points: int = MAX_POINTS_PER_QUERY
) -> list[tuple[float, float]]:
    """(start, end) of consecutive queries covering the grid `start + k * step` up to `end`.

    Each chunk holds at most `max_points` grid points; chunks neither overlap nor skip a
    point, and every chunk starts on the grid, so their answers join into one series.
    """
    if step <= 0:
        raise ValueError("step must be positive")
    if end < start:
        raise ValueError("end is before start")
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    points = _grid_points(start, end, step)
    chunks = []
    for first in range(0, points, max_points):
        last = min(points, first + max_points) - 1
        chunks.append((start + first * step, start + last * step))
    return chunks


def _grid_points(start: float, end: float, step: float) -> int:
    return math.floor((end - start) / step + 1e-9) + 1


async def query_range(
    client: PromClient,
    expr: str,
    *,
    start: float,
    end: float,
    step: float,
    max_points: int = MAX_POINTS_PER_QUERY,
) -> RangeSeries:
    """The one series `expr` yields from `start` to `end` (Unix seconds) every `step` seconds.

    The range is read in chunks of at most `max_points` points, in order. Raises
    PromUnreachable / PromRefused (see the client), NoSeries when no chunk returned a
    series, and SeveralSeries (naming how many) when the answers hold more than one.
    """
    chunks = range_chunks(start, end, step, max_points)
    collected: dict[tuple[tuple[str, str], ...], list[Sample]] = {}
    for chunk_start, chunk_end in chunks:
        params = {
            "query": expr,
            "start": _stamp(chunk_start),
            "end": _stamp(chunk_end),
            "step": _stamp(step),
        }
        for labels, values in _matrix(await client.call("query_range", params)):
            collected.setdefault(labels, []).extend(values)
    if not collected:
        raise NoSeries(
            f"the query returned no series between {_stamp(start)} and {_stamp(end)}: {expr}"
        )
    if len(collected) > 1:
        shown = ", ".join(_show(labels) for labels in list(collected)[:3])
        more = " …" if len(collected) > 3 else ""
        raise SeveralSeries(
            f"the query returned {len(collected)} series where one is needed "
            f"(aggregate it, e.g. with sum()): {shown}{more}",
            len(collected),
        )
    [(labels, samples)] = collected.items()
    grid, non_finite = _on_grid(samples, start, step, _grid_points(start, end, step))
    return RangeSeries(dict(labels), Series(start, step, grid), non_finite)


def _stamp(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def _show(labels: tuple[tuple[str, str], ...]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels) + "}"


def _matrix(data: dict[str, Any]) -> list[tuple[tuple[tuple[str, str], ...], list[Sample]]]:
    """The series of a range query's answer, each sample a finite-or-not (time, value) pair.
    Raises PromInvalidAnswer for anything else (whatever shape it has), so a broken answer
    reaches the policy's status as one, never as a failure of the evaluation."""
    if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
        raise PromInvalidAnswer(
            f"expected a range vector (matrix), got {str(data.get('resultType'))[:40]!r}"
        )
    series = []
    try:
        for item in data["result"]:
            metric = item.get("metric") or {}
            if not isinstance(metric, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metric.items()
            ):
                raise TypeError(f"labels {str(metric)[:80]}")
            values = item.get("values") or []
            if not isinstance(values, list):
                raise TypeError(f"values of type {type(values).__name__}")
            samples = [(float(stamp), float(text)) for stamp, text in values]
            series.append((tuple(sorted(metric.items())), samples))
    except (AttributeError, TypeError, ValueError) as error:
        detail = f"{type(error).__name__}: {error}"[:200]
        raise PromInvalidAnswer(f"the answer is not a range vector ({detail})") from None
    return series


def _on_grid(samples: list[Sample], start: float, step: float, size: int) -> tuple[FloatArray, int]:
    """The samples on the grid of `size` points from `start` every `step` (NaN where none;
    the last finite sample of a point wins), and how many in-range samples were NaN or
    infinite. Samples at non-finite times or off the grid are dropped."""
    grid = np.full(size, np.nan)
    if not samples:
        return grid, 0
    flat = itertools.chain.from_iterable(samples)
    pairs = np.fromiter(flat, np.float64, 2 * len(samples)).reshape(len(samples), 2)
    stamps, values = pairs[:, 0], pairs[:, 1]
    timed = np.isfinite(stamps)
    index = np.full(len(samples), -1.0)
    with np.errstate(invalid="ignore", over="ignore"):
        index[timed] = np.round((stamps[timed] - start) / step)  # half to even, as round()
    placed = timed & (index >= 0) & (index < size)
    finite = np.isfinite(values)
    non_finite = int(np.count_nonzero(placed & ~finite))
    kept = placed & finite
    points, found = index[kept].astype(np.int64), values[kept]
    if points.size:
        # the last sample of each point: the first of the reversed order
        _, first = np.unique(points[::-1], return_index=True)
        last = points.size - 1 - first
        grid[points[last]] = found[last]
    return grid, non_finite
