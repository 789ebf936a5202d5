"""The tenancy injector against the real Prometheus: a tenant's expression, restricted to its
namespace, reads nothing of another namespace.

Two Prometheus servers are backfilled with the same series of namespace `shop`; one also holds
the series of namespace `ml` and series without a namespace. Metric names include every PromQL
keyword that can be one, in three cases. Every expression of the corpus (the keyword bypasses
found before, plus generated ones) is restricted to `shop` and evaluated on both at two
instants: the answers must be equal (no aggregate mixes in `ml`'s data), and no answer may
carry `ml`. The same expressions unrestricted show the test can tell: most of them answer
differently once `ml`'s series are there.
"""

from __future__ import annotations

import json
import math
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from promql_strategies import METRIC_NAMES, expressions, keyword_regressions

from augur.dev.processes import Process, free_port, start, stop, wait_until
from augur.render.rules.tenancy import inject_matcher

pytestmark = pytest.mark.tools

TENANT = "shop"
OTHER = "ml"
STEP = 60
POINTS = 120


def _series(include_other: bool) -> Iterator[tuple[str, dict[str, str], int]]:
    """(metric name, labels, index) of every series; `shop`'s are in both data sets."""
    namespaces = [TENANT, OTHER] if include_other else [TENANT]
    for index, name in enumerate(METRIC_NAMES):
        for namespace in namespaces:
            for job in ("a", "b"):
                for instance in ("i0", "i1"):
                    labels = {"namespace": namespace, "job": job, "instance": instance}
                    yield name, labels, index
        if include_other:
            yield name, {"job": "a", "instance": "i9"}, index  # no namespace at all


def _openmetrics(first: int, include_other: bool) -> str:
    """Every series, one sample a minute: a counter whose rate depends on the series (`ml`'s
    and the namespace-less ones grow much faster, so they change any aggregate they join)."""
    lines: list[str] = []
    families: dict[str, list[str]] = {}
    for name, labels, index in _series(include_other):
        slope = 1 + index % 7 + (labels["job"] == "b") + 2 * (labels["instance"] == "i1")
        if labels.get("namespace") != TENANT:
            slope += 1000
        text = ",".join(f'{k}="{v}"' for k, v in labels.items())
        family = families.setdefault(name, [])
        family += [f"{name}{{{text}}} {k * slope} {first + k * STEP}" for k in range(POINTS)]
    for name, samples in families.items():
        lines.append(f"# TYPE {name} gauge")
        lines += samples
    return "\n".join([*lines, "# EOF", ""])


def _prometheus(
    root: Path, name: str, om: str, promtool: Path, binary: Path
) -> tuple[str, Process]:
    folder = root / name
    folder.mkdir()
    source = folder / "series.om"
    source.write_text(om)
    data = folder / "data"
    subprocess.run(
        [str(promtool), "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    config = folder / "prometheus.yml"
    config.write_text("global: {}\n")
    port = free_port()
    process = start(
        f"prometheus-{name}",
        [
            str(binary),
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        folder / "logs",
        die_with_parent=True,
    )
    return f"http://127.0.0.1:{port}", process


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, promtool: Path, prometheus_binary: Path
) -> Iterator[tuple[str, str, list[float]]]:
    """(URL of the Prometheus with every namespace, URL of the one with only `shop`'s series,
    the instants to evaluate at)."""
    root = tmp_path_factory.mktemp("tenancy-prometheus")
    first = (int(time.time()) // STEP * STEP) - 3 * 3600
    started: list[tuple[str, Process]] = []
    try:
        for name, include_other in (("all", True), ("tenant", False)):
            om = _openmetrics(first, include_other)
            started.append(_prometheus(root, name, om, promtool, prometheus_binary))
        for url, process in started:
            wait_until(
                lambda url=url: urllib.request.urlopen(f"{url}/-/ready", timeout=2).status == 200,
                process,
                "ready",
                timeout=60,
            )
        last = first + (POINTS - 1) * STEP
        yield started[0][0], started[1][0], [float(last), float(last - 50 * STEP)]
    finally:
        for _, process in started:
            owned = {process.pid: process.popen} if process.popen is not None else None
            stop({process.name: process.pid}, children=owned)


def _query(url: str, expr: str, at: float) -> dict[str, Any]:
    params = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"}).encode()
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query", params, timeout=30) as response:
            payload: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as error:
        payload = json.load(error)
    return payload


def _answer(payload: dict[str, Any]) -> tuple[Any, ...]:
    """A comparable form of a query's answer: the error's type, or the samples in order."""
    if payload.get("status") != "success":
        return ("error", payload.get("errorType"))
    data = payload["data"]
    result = data["result"]
    if data["resultType"] in ("scalar", "string"):
        return (data["resultType"], result[1])
    samples = []
    for item in result:
        labels = tuple(sorted(item["metric"].items()))
        values = [item["value"]] if "value" in item else item["values"]
        samples.append((labels, tuple(v for _, v in values)))
    return (data["resultType"], tuple(sorted(samples)))


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal answers; values equal as floats up to summation order (NaN equals NaN)."""
    if a[0] != b[0] or a[0] == "error":
        return a == b
    if a[0] in ("scalar", "string"):
        return _close(a[1], b[1]) if a[0] == "scalar" else a[1] == b[1]
    if [labels for labels, _ in a[1]] != [labels for labels, _ in b[1]]:
        return False
    return all(
        len(x) == len(y) and all(_close(p, q) for p, q in zip(x, y, strict=True))
        for (_, x), (_, y) in zip(a[1], b[1], strict=True)
    )


def _close(a: str, b: str) -> bool:
    x, y = float(a), float(b)
    return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


def _names_other_namespace(payload: dict[str, Any]) -> bool:
    if payload.get("status") != "success":
        return OTHER in str(payload.get("error", ""))
    result = payload["data"]["result"]
    if payload["data"]["resultType"] in ("scalar", "string"):
        return False
    return any(OTHER in item["metric"].values() for item in result)


def corpus() -> list[str]:
    """The keyword bypasses found before, then 300 generated expressions (the same each run)."""
    generated: list[str] = []

    @settings(
        max_examples=300,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(expressions)
    def collect(expr: str) -> None:
        generated.append(expr)

    collect()
    return list(dict.fromkeys(keyword_regressions() + generated))


def test_restricted_expressions_read_nothing_of_another_namespace(
    servers: tuple[str, str, list[float]],
) -> None:
    everything, tenant_only, instants = servers
    tried = leaky_unrestricted = answered = 0
    bypasses: list[str] = []
    for expr in corpus():
        restricted = inject_matcher(expr, "namespace", TENANT)
        tried += 1
        differs_unrestricted = False
        for at in instants:
            seen = _query(everything, restricted, at)
            alone = _query(tenant_only, restricted, at)
            answered += seen.get("status") == "success"
            if _names_other_namespace(seen) or not _same(_answer(seen), _answer(alone)):
                bypasses.append(f"{expr!r} → {restricted!r} at {at}: {seen} != {alone}")
            differs_unrestricted |= not _same(
                _answer(_query(everything, expr, at)), _answer(_query(tenant_only, expr, at))
            )
        leaky_unrestricted += differs_unrestricted
    print(
        f"tenancy differential: {tried} expressions, {answered} answered of "
        f"{tried * len(instants)} queries, {leaky_unrestricted} read another namespace "
        f"unrestricted, {len(bypasses)} bypasses"
    )
    assert not bypasses, "\n".join(bypasses[:10])
    assert tried >= 300
    # the comparison has teeth: unrestricted, most expressions read the other namespace
    assert leaky_unrestricted > tried * 0.6
    assert answered > tried * len(instants) * 0.8
