"""Rendering benchmarks: one function per measured thing, `main` runs them all (median of 5
runs each; processor seconds are the figure to read on a shared machine).

Run: .venv/bin/python bench/render.py
"""

from __future__ import annotations

import datetime
import gc
import os
import platform
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from augur.api.resources import AlertPolicy, BusinessKPI, MonitoringStack
from augur.render.rules.files import render_rule_files, render_rules_component
from augur.render.selection import StackInputs

POLICIES = 1000
ALERTS_PER_POLICY = 10
KPIS = 500
NAMESPACES = 50


def _alert(index: int) -> dict[str, Any]:
    if index % 5 == 4:
        return {
            "name": f"Anomaly{index}",
            "severity": "medium",
            "anomaly": {
                "query": f'sum(rate(http_requests_total{{service="s{index}"}}[5m]))',
                "algorithm": "robust" if index % 2 else "zscore",
                "seasonality": "1d",
                "minimum": 1,
            },
            "for": "10m",
        }
    return {
        "name": f"Alert{index}",
        "severity": ["critical", "high", "medium", "low"][index % 4],
        "expr": (
            f'sum by (job) (rate(http_requests_total{{code=~"5..", route="/r{index}"}}[5m]))'
            f' / sum by (job) (rate(http_requests_total{{route="/r{index}"}}[5m])) > 0.05'
        ),
        "for": "5m",
        "summary": "Error rate above 5%",
        "labels": {"team": "api"},
    }


def workload() -> StackInputs:
    """1,000 policies × 10 alerts (2 anomaly) with escalation, 500 KPIs, under tenancy."""
    stack = MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "platform", "namespace": "monitoring"},
            "spec": {
                "namespaceSelector": {"any": True},
                "tenancy": {"enforceNamespaceLabel": "namespace"},
            },
        }
    )
    policies = [
        AlertPolicy.model_validate(
            {
                "apiVersion": "augur.dev/v1alpha1",
                "kind": "AlertPolicy",
                "metadata": {"name": f"p{i}", "namespace": f"ns{i % NAMESPACES}"},
                "spec": {
                    "alerts": [_alert(a) for a in range(ALERTS_PER_POLICY)],
                    "routing": {
                        "escalation": [{"severities": ["high"], "after": "30m", "to": "critical"}]
                    },
                },
            }
        )
        for i in range(POLICIES)
    ]
    kpis = [
        BusinessKPI.model_validate(
            {
                "apiVersion": "augur.dev/v1alpha1",
                "kind": "BusinessKPI",
                "metadata": {"name": f"k{i}", "namespace": f"ns{i % NAMESPACES}"},
                "spec": _kpi_spec(i),
            }
        )
        for i in range(KPIS)
    ]
    return StackInputs(stack=stack, alert_policies=policies, business_kpis=kpis)


def _kpi_spec(index: int) -> dict[str, Any]:
    alerting = {"breach": {"for": "15m"}, "forecastBreach": {"horizon": "3d"}}
    if index % 2:
        return {
            "indicator": {"value": f'avg(score{{model="m{index}"}})'},
            "objective": {"target": 0.8},
            "alerting": alerting,
        }
    return {
        "indicator": {
            "ratio": {
                "good": f'sum(rate(req_total{{svc="s{index}",code!~"5.."}}[{{{{window}}}}]))',
                "total": f'sum(rate(req_total{{svc="s{index}"}}[{{{{window}}}}]))',
            }
        },
        "objective": {"target": 0.999, "window": "30d"},
        "alerting": alerting,
    }


def _measure(step: Callable[[], object], runs: int) -> tuple[float, float, object]:
    walls, cpus = [], []
    result: object = None
    for _ in range(runs):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        result = step()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def bench_rules(runs: int = 5) -> list[tuple[str, float, float]]:
    """Rule rendering: rules as data, then as rule-file text; with the peak memory of one run."""
    inputs = workload()
    rows = []
    wall, cpu, rendered = _measure(lambda: render_rule_files(inputs), runs)
    rows.append(("rules as data (render_rule_files)", wall, cpu))
    wall, cpu, output = _measure(lambda: render_rules_component(inputs), runs)
    rows.append(("rule files as text (render_rules_component)", wall, cpu))
    tracemalloc.start()
    render_rules_component(inputs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    files = output.files  # type: ignore[attr-defined]
    size = sum(len(text) for text in files.values())
    print(f"rules: {len(files)} files, {output.rule_count} rules, {size:,} bytes")  # type: ignore[attr-defined]
    print(f"rules: peak traced memory of one text render {peak / 2**20:.0f} MiB")
    del rendered
    return rows


def main() -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    load_before = os.getloadavg()[0]
    rows = bench_rules()
    print(
        f"load average (1 min) at the start and end: {load_before:.2f} → {os.getloadavg()[0]:.2f}"
    )
    print("| step | wall s | processor s |\n|---|---|---|")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {maxrss:.0f} MiB")


if __name__ == "__main__":
    main()
