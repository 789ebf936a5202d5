"""A small client of Prometheus' HTTP API: instant queries, with one error family."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import aiohttp


class PromError(Exception):
    """Prometheus could not be reached, or refused the query.

    `reason` is a CamelCase word for a status condition; subclasses narrow it down.
    """

    reason = "PrometheusError"


class PromUnreachable(PromError):
    """No answer: connection refused, timed out, or not an HTTP answer Prometheus would give."""

    reason = "PrometheusUnreachable"


class PromRefused(PromError):
    """Prometheus answered with an error (HTTP status or `status: error`), e.g. bad PromQL."""

    reason = "PrometheusError"


class PromInvalidAnswer(PromError):
    """Prometheus answered `success` with something that is not a query result."""

    reason = "PrometheusAnswerInvalid"


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and value."""

    labels: dict[str, str]
    value: float


MAX_ANSWER_BYTES = 64 << 20
"""The largest answer read: a range query at the 11,000-point limit is well under 1 MiB per
series; anything past this is not an answer augur asked for, and is never held in memory."""


class PromClient:
    """Queries against one Prometheus (`base_url` like http://host:9090)."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """Evaluate `expr` at `at` (Unix seconds; now when None) as an instant vector."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return parse_vector(await self.call("query", params))

    async def call(self, endpoint: str, params: dict[str, str]) -> dict[str, Any]:
        """The `data` of a successful `/api/v1/<endpoint>` answer (form-encoded POST).

        Raises PromUnreachable when no answer comes, PromRefused when Prometheus answers
        with an error, with its own message.
        """
        url = f"{self.base_url}/api/v1/{endpoint}"
        try:
            async with self.session.post(url, data=params, timeout=self.timeout) as response:
                status = response.status
                body = await _bounded_body(response, MAX_ANSWER_BYTES)
        except (aiohttp.ClientError, TimeoutError) as error:
            detail = str(error) or type(error).__name__
            raise PromUnreachable(
                f"Prometheus at {self.base_url} cannot be reached: {detail}"
            ) from None
        if body is None:
            raise PromInvalidAnswer(
                f"the answer of {self.base_url} is larger than {MAX_ANSWER_BYTES:,} bytes"
            )
        return _answer(self.base_url, status, body.decode("utf-8", errors="replace"))


async def _bounded_body(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(base_url: str, status: int, text: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # deep nesting is refused by recursion, not ValueError
        payload = None
    if not isinstance(payload, dict):
        if status >= 400:
            raise PromRefused(f"Prometheus at {base_url} answered HTTP {status}: {text[:200]}")
        raise PromUnreachable(f"{base_url} did not answer as Prometheus does (not JSON)")
    if payload.get("status") != "success":
        kind = payload.get("errorType")
        error = payload.get("error", "unknown error")
        detail = f"{kind}: {error}" if kind else str(error)
        raise PromRefused(f"Prometheus refused the query (HTTP {status}): {detail}")
    data = payload.get("data")
    return data if isinstance(data, dict) else {}


def parse_vector(data: dict[str, Any]) -> list[Sample]:
    """Samples of a query result (vector or scalar); NaN values are dropped. Raises
    PromInvalidAnswer when the answer is not an instant vector or a scalar as Prometheus
    writes them."""
    kind = data.get("resultType")
    result = data.get("result")
    try:
        if kind == "scalar" and isinstance(result, list) and len(result) == 2:
            value = float(result[1])
            return [] if math.isnan(value) else [Sample({}, value)]
        if kind != "vector" or not isinstance(result, list):
            raise TypeError(f"resultType {kind!r} with a {type(result).__name__} result")
        samples: list[Sample] = []
        for item in result:
            _, text = item["value"]
            value = float(text)
            metric = item.get("metric") or {}
            if not isinstance(metric, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metric.items()
            ):
                raise TypeError(f"labels {metric!r}")
            if not math.isnan(value):
                samples.append(Sample(dict(metric), value))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        detail = f"{type(error).__name__}: {error}"[:200]
        raise PromInvalidAnswer(
            f"the answer is not an instant vector or scalar ({detail})"
        ) from None
    return samples
