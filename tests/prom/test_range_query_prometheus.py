"""query_range against the real Prometheus: a backfilled series read back in chunks."""

from __future__ import annotations

import math
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from augur.dev.processes import free_port, start, stop, wait_until
from augur.prom.client import PromClient
from augur.prom.range_query import NoSeries, SeveralSeries, query_range

pytestmark = pytest.mark.tools

STEP = 60
POINTS = 360  # six hours of one sample a minute
GAP = range(100, 130)  # thirty minutes without samples


def _openmetrics(first: int) -> str:
    """`augur_test_load` = its sample index, twice (two instances), with one gap."""
    lines = ["# TYPE augur_test_load gauge"]
    for instance in ("a", "b"):
        for k in range(POINTS):
            if k not in GAP:
                t = first + k * STEP
                lines.append(f'augur_test_load{{instance="{instance}"}} {k} {t}')
    return "\n".join([*lines, "# EOF", ""])


@pytest.fixture(scope="module")
def backfilled(
    tmp_path_factory: pytest.TempPathFactory, promtool: Path, prometheus_binary: Path
) -> Iterator[tuple[str, int]]:
    """A Prometheus serving the backfilled series; yields its URL and the first sample time."""
    root = tmp_path_factory.mktemp("prometheus")
    now = int(time.time()) // STEP * STEP
    first = now - 7 * 3600  # well inside the head-free past, within the default retention
    source = root / "load.om"
    source.write_text(_openmetrics(first))
    data = root / "data"
    subprocess.run(
        [str(promtool), "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    config = root / "prometheus.yml"
    config.write_text("global: {}\n")
    port = free_port()
    process = start(
        "prometheus",
        [
            str(prometheus_binary),
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        root / "logs",
        die_with_parent=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: urllib.request.urlopen(f"{url}/-/ready", timeout=2).status == 200,
            process,
            "ready",
            timeout=60,
        )
        yield url, first
    finally:
        stop(
            {"prometheus": process.pid},
            children={process.pid: process.popen} if process.popen else None,
        )


async def test_a_backfilled_series_reads_back_in_chunks_with_its_gap(
    backfilled: tuple[str, int],
) -> None:
    url, first = backfilled
    async with aiohttp.ClientSession() as session:
        client = PromClient(url, session, timeout=10)
        result = await query_range(
            client,
            'augur_test_load{instance="a"}',
            start=first,
            end=first + (POINTS - 1) * STEP,
            step=STEP,
            max_points=50,  # eight chunks for 360 points
        )
    values = result.series.values
    assert len(values) == POINTS
    assert result.labels == {"__name__": "augur_test_load", "instance": "a"}
    assert [values[k] for k in range(GAP.start)] == [float(k) for k in range(GAP.start)]
    assert [values[k] for k in range(GAP.stop, POINTS)] == [
        float(k) for k in range(GAP.stop, POINTS)
    ]
    # inside the gap the last sample is seen for at most Prometheus' 5m lookback, then nothing
    assert all(math.isnan(values[k]) for k in range(GAP.start + 5, GAP.stop))


async def test_the_real_prometheus_answers_are_refused_as_expected(
    backfilled: tuple[str, int],
) -> None:
    url, first = backfilled
    end = first + (POINTS - 1) * STEP
    async with aiohttp.ClientSession() as session:
        client = PromClient(url, session, timeout=10)
        with pytest.raises(SeveralSeries) as several:
            await query_range(client, "augur_test_load", start=first, end=end, step=STEP)
        with pytest.raises(NoSeries):
            await query_range(client, "augur_absent", start=first, end=end, step=STEP)
        total = await query_range(
            client, "sum(augur_test_load)", start=first, end=end, step=STEP, max_points=100
        )
    assert several.value.count == 2
    assert total.series.values[10] == 20.0
