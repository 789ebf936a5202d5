"""A small client of Prometheus' HTTP API: instant queries, with one error type."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import aiohttp


class PromError(Exception):
    """Prometheus could not be reached, or refused the query."""


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and value."""

    labels: dict[str, str]
    value: float


class PromClient:
    """Instant queries against one Prometheus (`base_url` like http://host:9090)."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """Evaluate `expr` at `at` (Unix seconds; now when None) as an instant vector."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        url = f"{self.base_url}/api/v1/query"
        try:
            async with self.session.post(url, data=params, timeout=self.timeout) as response:
                payload: dict[str, Any] = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise PromError(f"Prometheus at {self.base_url} cannot be reached: {error}") from None
        if payload.get("status") != "success":
            raise PromError(
                f"Prometheus refused the query: {payload.get('error', 'unknown error')}"
            )
        return parse_vector(payload.get("data") or {})


def parse_vector(data: dict[str, Any]) -> list[Sample]:
    """Samples of a query result (vector or scalar); NaN values are dropped."""
    kind = data.get("resultType")
    result = data.get("result")
    samples: list[Sample] = []
    if kind == "scalar" and isinstance(result, list) and len(result) == 2:
        value = float(result[1])
        return [] if math.isnan(value) else [Sample({}, value)]
    if kind != "vector" or not isinstance(result, list):
        return samples
    for item in result:
        value = float(item["value"][1])
        if not math.isnan(value):
            samples.append(Sample(dict(item.get("metric") or {}), value))
    return samples
