"""query_range against a small stand-in Prometheus on 127.0.0.1: chunks, gaps and errors."""

from __future__ import annotations

import math
import random
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import numpy as np
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from augur.prom import client as client_module
from augur.prom.client import PromClient, PromError, PromInvalidAnswer, PromRefused, PromUnreachable
from augur.prom.range_query import (
    MAX_POINTS_PER_QUERY,
    NoSeries,
    SeveralSeries,
    _on_grid,
    query_range,
    range_chunks,
)

STEP = 300.0
START = 1_700_000_100.0  # a multiple of STEP


@dataclass
class FakePrometheus:
    """Answers /api/v1/query_range from `series` (labels -> value at a time, None = absent)
    and refuses ranges over Prometheus' 11,000-step limit the way Prometheus does."""

    series: dict[str, Callable[[float], float | str | None]] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    answer: tuple[int, str] | None = None  # a canned (HTTP status, body) instead

    async def handle(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append(form)
        if self.answer is not None:
            status, body = self.answer
            return web.Response(status=status, text=body)
        start, end, step = float(form["start"]), float(form["end"]), float(form["step"])
        if (end - start) / step > 11_000:
            return web.json_response(
                {
                    "status": "error",
                    "errorType": "bad_data",
                    "error": "exceeded maximum resolution of 11,000 points per timeseries",
                },
                status=400,
            )
        result = []
        for name, value_at in self.series.items():
            values = []
            for k in range(round((end - start) / step) + 1):
                t = start + k * step
                value = value_at(t)
                if value is not None:
                    values.append([t, str(value)])
            if values:
                result.append({"metric": {"series": name} if name else {}, "values": values})
        return web.json_response(
            {"status": "success", "data": {"resultType": "matrix", "result": result}}
        )


@pytest.fixture
async def prometheus() -> AsyncIterator[tuple[FakePrometheus, PromClient]]:
    fake = FakePrometheus()
    app = web.Application()
    app.router.add_post("/api/v1/query_range", fake.handle)
    app.router.add_post("/api/v1/query", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield fake, PromClient(f"http://127.0.0.1:{port}", session, timeout=5)
    await runner.cleanup()


def _index(t: float) -> int:
    return round((t - START) / STEP)


async def test_a_long_history_is_read_in_ordered_chunks_under_the_limit(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    fake, client = prometheus
    fake.series[""] = lambda t: float(_index(t))
    points = 25_000
    end = START + (points - 1) * STEP
    result = await query_range(client, "load", start=START, end=end, step=STEP)
    assert [float(r["start"]) for r in fake.requests] == [
        START,
        START + 11_000 * STEP,
        START + 22_000 * STEP,
    ]
    assert all(
        (float(r["end"]) - float(r["start"])) / STEP + 1 <= MAX_POINTS_PER_QUERY
        for r in fake.requests
    )
    assert result.series.start == START
    assert result.series.step == STEP
    np.testing.assert_array_equal(result.series.values, np.arange(points, dtype=np.float64))
    assert result.labels == {}


async def test_gaps_and_non_finite_samples_stay_gaps(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    fake, client = prometheus

    def value_at(t: float) -> float | str | None:
        k = _index(t)
        if 10 <= k < 20:
            return None  # no sample: a scrape outage
        return {3: "NaN", 4: "+Inf", 5: "-Inf"}.get(k, float(k))

    fake.series[""] = value_at
    end = START + 29 * STEP
    result = await query_range(client, "load", start=START, end=end, step=STEP, max_points=7)
    values = result.series.values
    assert len(values) == 30
    missing = [k for k in range(30) if math.isnan(values[k])]
    assert missing == [3, 4, 5, *range(10, 20)]
    assert values[29] == 29.0
    assert result.non_finite == 3
    assert len(fake.requests) == 5  # 30 points in chunks of 7


async def test_a_chunk_without_the_series_is_a_gap_not_an_error(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    fake, client = prometheus
    fake.series[""] = lambda t: 1.0 if _index(t) >= 10 else None
    result = await query_range(
        client, "load", start=START, end=START + 19 * STEP, step=STEP, max_points=5
    )
    assert np.isnan(result.series.values[:10]).all()
    assert (result.series.values[10:] == 1.0).all()


async def test_no_series_at_all_is_its_own_error(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    _, client = prometheus
    with pytest.raises(NoSeries) as caught:
        await query_range(client, "absent_metric", start=START, end=START + STEP, step=STEP)
    assert caught.value.reason == "QueryReturnedNoSeries"
    assert "absent_metric" in str(caught.value)


async def test_several_series_are_refused_naming_how_many(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    fake, client = prometheus
    fake.series["a"] = lambda t: 1.0
    fake.series["b"] = lambda t: 2.0
    # the third appears only in the second chunk: still a series of the answer
    fake.series["c"] = lambda t: 3.0 if _index(t) >= 5 else None
    with pytest.raises(SeveralSeries) as caught:
        await query_range(
            client, "load", start=START, end=START + 9 * STEP, step=STEP, max_points=5
        )
    assert caught.value.count == 3
    assert caught.value.reason == "QueryReturnedSeveralSeries"
    assert "returned 3 series" in str(caught.value)
    assert 'series="c"' in str(caught.value)


async def test_without_chunks_prometheus_refuses_the_range_with_its_message(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    fake, client = prometheus
    fake.series[""] = lambda t: 1.0
    end = START + 12_000 * STEP
    with pytest.raises(PromRefused) as caught:
        await query_range(client, "load", start=START, end=end, step=STEP, max_points=12_001)
    assert "HTTP 400" in str(caught.value)
    assert "exceeded maximum resolution of 11,000 points" in str(caught.value)
    assert caught.value.reason == "PrometheusError"


async def test_a_status_error_carries_prometheus_message(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    fake, client = prometheus
    fake.answer = (
        422,
        '{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}',
    )
    with pytest.raises(PromRefused, match="execution: many-to-many matching not allowed"):
        await query_range(client, "a / b", start=START, end=START + STEP, step=STEP)


async def test_an_http_error_without_json_names_the_status(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    fake, client = prometheus
    fake.answer = (502, "Bad Gateway from the ingress")
    with pytest.raises(PromRefused, match="HTTP 502: Bad Gateway from the ingress"):
        await query_range(client, "load", start=START, end=START + STEP, step=STEP)


async def test_an_instant_answer_where_a_matrix_is_due_is_an_error(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    fake, client = prometheus
    fake.answer = (200, '{"status":"success","data":{"resultType":"vector","result":[]}}')
    with pytest.raises(PromInvalidAnswer, match="expected a range vector"):
        await query_range(client, "load", start=START, end=START + STEP, step=STEP)


_MATRIX = '{"status":"success","data":{"resultType":"matrix","result":%s}}'
GARBAGE = {
    "deeply nested JSON": "[" * 100_000,
    "truncated JSON": _MATRIX[:40],
    "a page of HTML": "<html><body>Sign in</body></html>",
    "data is a list": '{"status":"success","data":[1,2]}',
    "result is a string": _MATRIX % '"many"',
    "a series is a number": _MATRIX % "[1, 2]",
    "labels are not strings": _MATRIX % '[{"metric":{"a":1},"values":[[1,"2"]]}]',
    "values is an object": _MATRIX % '[{"metric":{},"values":{"a":1}}]',
    "a sample is not a pair": _MATRIX % '[{"metric":{},"values":[[1,2,3]]}]',
    "a value is not a number": _MATRIX % '[{"metric":{},"values":[[1,"many"]]}]',
    "a time is not a number": _MATRIX % '[{"metric":{},"values":[["then","1"]]}]',
}


@pytest.mark.parametrize("body", GARBAGE.values(), ids=GARBAGE.keys())
async def test_garbage_from_prometheus_is_an_error_of_the_query_never_a_crash(
    prometheus: tuple[FakePrometheus, PromClient], body: str
) -> None:
    """Whatever a broken Prometheus (or a proxy in front of it) answers, the caller gets a
    PromError with a reason for the status, not a Python error from the parsing."""
    fake, client = prometheus
    fake.answer = (200, body)
    with pytest.raises(PromError) as caught:
        await query_range(client, "load", start=START, end=START + STEP, step=STEP)
    assert caught.value.reason in ("PrometheusUnreachable", "PrometheusAnswerInvalid")
    with pytest.raises(PromError):
        await client.query("load")


async def test_an_answer_past_the_size_bound_is_refused_unread(
    prometheus: tuple[FakePrometheus, PromClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, client = prometheus
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 1000)
    fake.series[""] = lambda t: 1.0
    with pytest.raises(PromInvalidAnswer, match="larger than"):
        await query_range(client, "load", start=START, end=START + 200 * STEP, step=STEP)
    result = await query_range(client, "load", start=START, end=START + 5 * STEP, step=STEP)
    assert len(result.series.values) == 6


async def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # the port was free a moment ago and nothing listens on it now
    async with aiohttp.ClientSession() as session:
        client = PromClient(f"http://127.0.0.1:{port}", session, timeout=5)
        with pytest.raises(PromUnreachable) as caught:
            await query_range(client, "load", start=START, end=START + STEP, step=STEP)
    assert caught.value.reason == "PrometheusUnreachable"
    assert f"127.0.0.1:{port}" in str(caught.value)


async def test_instant_queries_still_parse_vectors(
    prometheus: tuple[FakePrometheus, PromClient],
) -> None:
    fake, client = prometheus
    body = '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"2.5"]}]}}'
    fake.answer = (200, body)
    [sample] = await client.query("x")
    assert sample.labels == {"a": "1"}
    assert sample.value == 2.5


@given(
    points=st.integers(min_value=1, max_value=5000),
    max_points=st.integers(min_value=1, max_value=700),
)
def test_chunks_cover_the_grid_once_in_order(points: int, max_points: int) -> None:
    end = START + (points - 1) * STEP
    chunks = range_chunks(START, end, STEP, max_points)
    covered: list[int] = []
    for chunk_start, chunk_end in chunks:
        first, last = _index(chunk_start), _index(chunk_end)
        assert last - first + 1 <= max_points
        covered.extend(range(first, last + 1))
    assert covered == list(range(points))


def test_chunks_refuse_a_reversed_range() -> None:
    with pytest.raises(ValueError, match="end is before start"):
        range_chunks(START, START - STEP, STEP)


def _on_grid_one_by_one(
    samples: list[tuple[float, float]], start: float, step: float, size: int
) -> tuple[list[float], int]:
    """The grid as it is defined, sample by sample (what `_on_grid` computes at once)."""
    grid = [math.nan] * size
    non_finite = 0
    for stamp, value in samples:
        if not math.isfinite(stamp):
            continue
        index = round((stamp - start) / step)
        if not 0 <= index < size:
            continue
        if math.isfinite(value):
            grid[index] = value
        else:
            non_finite += 1
    return grid, non_finite


def test_samples_land_on_the_grid_as_one_by_one_the_last_finite_one_winning() -> None:
    rng = random.Random(7)
    specials = [math.nan, math.inf, -math.inf]
    for _ in range(300):
        start, step, size = rng.uniform(0, 1e9), rng.choice([1.0, 15.0, 300.0]), rng.randint(1, 40)
        samples = []
        for _ in range(rng.randint(0, 60)):
            # on the grid, between points (half-way ones included), off either end, repeated
            offset = rng.choice([rng.randint(-3, size + 3), rng.randint(0, size) + 0.5])
            offset += rng.choice([0.0, 0.0, 0.49, -0.49])
            stamp = start + offset * step if rng.random() > 0.05 else rng.choice(specials)
            value = rng.uniform(-1e6, 1e6) if rng.random() > 0.2 else rng.choice(specials)
            samples.append((stamp, value))
        grid, non_finite = _on_grid(samples, start, step, size)
        want, want_non_finite = _on_grid_one_by_one(samples, start, step, size)
        assert non_finite == want_non_finite
        np.testing.assert_array_equal(grid, np.array(want))
