"""The BusinessKPI reader against a stand-in Prometheus: readings run off the reconcile path,
concurrently within a bound; each KPI's failure (garbage answers among them) becomes that
KPI's condition and never stops the others; the queries are restricted to the KPI's tenant."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from augur.api.resources import BusinessKPI, MonitoringStack, Problem
from augur.controllers import kpi_reader
from augur.controllers.kpi_reader import KPIReader
from augur.controllers.state import OperatorConfig, OperatorState
from augur.kube.ownership import ObjectKey
from augur.metrics import OperatorMetrics
from augur.status.catalog import Catalog, ParseCache

STACK = "mon/main"
NS = "shop"


def vector(value: float) -> str:
    result = [{"metric": {}, "value": [0, str(value)]}]
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})


@dataclass
class FakePrometheus:
    """Answers /api/v1/query: `answers` maps a text the query contains to (HTTP status, body);
    other queries get 0.99. While `gate` is clear, answers wait (counted in `in_flight`)."""

    answers: dict[str, tuple[int, str]] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: int = 0
    most_in_flight: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        query = str((await request.post())["query"])
        self.queries.append(query)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.gate.wait()
        finally:
            self.in_flight -= 1
        for text, (status, body) in self.answers.items():
            if text in query:
                return web.Response(status=status, text=body, content_type="application/json")
        return web.Response(text=vector(0.99), content_type="application/json")


class FakeKube:
    def __init__(self) -> None:
        self.statuses: dict[str, dict[str, Any]] = {}

    def patch_status(self, key: ObjectKey, status: dict[str, Any]) -> None:
        self.statuses[f"{key.namespace}/{key.name}"] = status


def kpi_body(name: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "BusinessKPI",
        "metadata": {"name": name, "namespace": NS, "uid": f"u-{name}", "generation": 1},
        "spec": {"indicator": {"value": value}, "objective": {"target": 0.9}},
    }


@dataclass
class Setup:
    state: OperatorState
    kube: FakeKube
    prometheus: FakePrometheus
    stack: MonitoringStack
    kpis: dict[str, list[Any]]
    cache: ParseCache = field(default_factory=ParseCache)

    def add(self, name: str, value: str) -> BusinessKPI:
        entry = self.cache.entry(kpi_body(name, value))
        assert isinstance(entry.resource, BusinessKPI), entry.problems
        self.kpis[entry.key] = [entry]
        return entry.resource

    def ready(self, name: str) -> dict[str, Any]:
        status = self.kube.statuses[f"{NS}/{name}"]
        return next(c for c in status["conditions"] if c["type"] == "Ready")


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    fake = FakePrometheus()
    app = web.Application()
    app.router.add_post("/api/v1/query", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    config = OperatorConfig(
        prometheus_urls={STACK: f"http://127.0.0.1:{port}"}, kpi_concurrency=3, kpi_interval=0
    )
    kube = FakeKube()
    state = OperatorState(config, kube, OperatorMetrics.create())  # type: ignore[arg-type]
    cache = ParseCache()
    entry = cache.entry(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "main", "namespace": "mon", "uid": "s1", "generation": 1},
            "spec": {
                "namespaceSelector": {"any": True},
                "tenancy": {"enforceNamespaceLabel": "tenant"},
            },
        }
    )
    assert isinstance(entry.resource, MonitoringStack), entry.problems
    kpis: dict[str, list[Any]] = {}
    state.catalog = Catalog({STACK: [entry]}, {}, kpis, {NS: [{}], "mon": [{}]})
    async with aiohttp.ClientSession() as session:
        state.session = session
        yield Setup(state, kube, fake, entry.resource, kpis, cache)
    fake.gate.set()  # a held answer would keep the server's shutdown waiting
    await runner.cleanup()


async def until(check: Callable[[], bool]) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def test_readings_run_off_the_reconcile_path_concurrently_within_the_bound(
    setup: Setup,
) -> None:
    kpis = [setup.add(f"k{i}", f"max(metric_k{i})") for i in range(7)]
    reader = KPIReader(setup.state, STACK)
    task = reader.read_when_due(setup.stack, kpis, {})  # returns at once: nothing awaited
    assert task is not None and not task.done()
    assert reader.read_when_due(setup.stack, kpis, {}) is None  # one reading at a time
    await until(lambda: setup.prometheus.in_flight == 3)
    await asyncio.sleep(0.2)  # room for a fourth query, were the bound not kept
    assert setup.prometheus.most_in_flight == 3
    setup.prometheus.gate.set()
    await task
    assert setup.prometheus.most_in_flight == 3
    assert len(setup.kube.statuses) == 7
    assert all(setup.ready(f"k{i}")["reason"] == "Evaluated" for i in range(7))
    assert setup.kube.statuses[f"{NS}/k0"]["current"] == 0.99


async def test_garbage_answers_become_each_kpis_condition_and_the_others_are_read(
    setup: Setup,
) -> None:
    garbage = {
        "metric_bad_value": vector(1).replace('"1"', '"not a number"'),
        "metric_bad_sample": json.dumps(
            {"status": "success", "data": {"resultType": "vector", "result": [{"value": 7}]}}
        ),
        "metric_no_data": json.dumps({"status": "success", "data": "nothing"}),
        "metric_bad_labels": json.dumps(
            {
                "status": "success",
                "data": {"resultType": "vector", "result": [{"metric": [1], "value": [0, "1"]}]},
            }
        ),
        "metric_html": "<html>proxy error</html>",
    }
    setup.prometheus.answers = {name: (200, body) for name, body in garbage.items()}
    setup.prometheus.answers["metric_refused"] = (
        400,
        json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error"}),
    )
    names = [*garbage, "metric_refused", "metric_good"]
    kpis = [setup.add(name.replace("_", "-"), f"max({name})") for name in names]
    setup.prometheus.gate.set()
    task = KPIReader(setup.state, STACK).read_when_due(setup.stack, kpis, {})
    assert task is not None
    await task
    reasons = {name: setup.ready(name.replace("_", "-"))["reason"] for name in names}
    assert reasons == {
        "metric_bad_value": "PrometheusAnswerInvalid",
        "metric_bad_sample": "PrometheusAnswerInvalid",
        "metric_no_data": "PrometheusAnswerInvalid",
        "metric_bad_labels": "PrometheusAnswerInvalid",
        "metric_html": "PrometheusUnreachable",
        "metric_refused": "PrometheusError",
        "metric_good": "Evaluated",
    }
    message = setup.ready("metric-bad-value")["message"]
    assert "not an instant vector or scalar" in message and "ValueError" in message


async def test_a_kpi_that_fails_unexpectedly_says_so_and_stops_no_other(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_query = kpi_reader.kpi_query

    def query(kpi: BusinessKPI, stack: MonitoringStack) -> str:
        if kpi.name == "unbuildable":
            raise ValueError("cannot be restricted")
        return real_query(kpi, stack)

    real_worst = kpi_reader.worst

    def worst(spec: Any, samples: Any) -> Any:
        if spec.indicator.value == "max(metric_boom)":
            raise RuntimeError("boom")
        return real_worst(spec, samples)

    monkeypatch.setattr(kpi_reader, "kpi_query", query)
    monkeypatch.setattr(kpi_reader, "worst", worst)
    kpis = [setup.add("unbuildable", "max(x)"), setup.add("boom", "max(metric_boom)")]
    kpis.append(setup.add("fine", "max(metric_fine)"))
    setup.prometheus.gate.set()
    task = KPIReader(setup.state, STACK).read_when_due(setup.stack, kpis, {})
    assert task is not None
    await task
    assert setup.ready("unbuildable")["reason"] == "QueryInvalid"
    assert setup.ready("boom")["reason"] == "EvaluationFailed"
    assert "RuntimeError: boom" in setup.ready("boom")["message"]
    assert setup.ready("fine")["reason"] == "Evaluated"


async def test_the_first_reading_is_due_at_once_on_a_machine_just_started(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The monotonic clock counts from boot: a reader made ten seconds after it must not
    wait out the interval (an hour here) before its first reading."""
    monkeypatch.setattr(kpi_reader, "time", SimpleNamespace(monotonic=lambda: 10.0, time=time.time))
    setup.state.config.kpi_interval = 3600
    kpi = setup.add("fresh", "max(metric_fresh)")
    setup.prometheus.gate.set()
    reader = KPIReader(setup.state, STACK)
    task = reader.read_when_due(setup.stack, [kpi], {})
    assert task is not None
    await task
    assert setup.ready("fresh")["reason"] == "Evaluated"
    assert reader.read_when_due(setup.stack, [kpi], {}) is None  # and then not for an hour


async def test_a_kpi_reads_only_its_own_namespace_under_tenancy(setup: Setup) -> None:
    kpi = setup.add("stolen", 'secret_metric{namespace="ml"}')
    setup.prometheus.gate.set()
    task = KPIReader(setup.state, STACK).read_when_due(setup.stack, [kpi], {})
    assert task is not None
    await task
    assert setup.prometheus.queries
    assert all(
        q == 'min(secret_metric{namespace="ml", tenant="shop"})' for q in setup.prometheus.queries
    )


async def test_a_reading_is_due_once_per_interval_and_cancelled_with_its_stack(
    setup: Setup,
) -> None:
    setup.state.config.kpi_interval = 3600
    kpi = setup.add("k", "max(metric_k)")
    reader = KPIReader(setup.state, STACK)
    task = reader.read_when_due(setup.stack, [kpi], {})
    assert task is not None
    await until(lambda: setup.prometheus.in_flight == 1)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert reader.read_when_due(setup.stack, [kpi], {}) is None  # not due for an hour


async def test_a_kpi_the_stack_left_out_says_why_and_is_not_queried(setup: Setup) -> None:
    spoofing = setup.add("spoofing", "max(metric_spoofing)")
    fine = setup.add("fine", "max(metric_fine)")
    problem = Problem("spec.alerting.labels.tenant", "label 'tenant' is reserved")
    setup.prometheus.gate.set()
    reader = KPIReader(setup.state, STACK)
    task = reader.read_when_due(
        setup.stack, [spoofing, fine], {}, {f"BusinessKPI/{NS}/spoofing": [problem]}
    )
    assert task is not None
    await task
    status = setup.kube.statuses[f"{NS}/spoofing"]
    accepted = next(c for c in status["conditions"] if c["type"] == "Accepted")
    assert (accepted["status"], accepted["reason"]) == ("False", "Rejected")
    assert accepted["message"] == "spec.alerting.labels.tenant: label 'tenant' is reserved"
    assert setup.ready("fine")["reason"] == "Evaluated"
    assert all("metric_spoofing" not in q for q in setup.prometheus.queries)


def with_policy_ref(body: dict[str, Any], policy: str) -> dict[str, Any]:
    body["spec"]["alerting"] = {"breach": {"for": "5m"}, "policyRef": {"name": policy}}
    return body


async def test_a_policy_ref_the_stack_does_not_load_is_a_routed_false_condition(
    setup: Setup,
) -> None:
    made = []
    for _name, body in [
        ("routed", with_policy_ref(kpi_body("routed", "max(a)"), "payments")),
        ("dangling", with_policy_ref(kpi_body("dangling", "max(b)"), "gone")),
        ("plain", kpi_body("plain", "max(c)")),
    ]:
        entry = setup.cache.entry(body)
        assert isinstance(entry.resource, BusinessKPI), entry.problems
        setup.kpis[entry.key] = [entry]
        made.append(entry.resource)
    setup.prometheus.gate.set()
    task = KPIReader(setup.state, STACK).read_when_due(
        setup.stack, made, {}, None, {f"{NS}/payments", f"{NS}/other"}
    )
    assert task is not None
    await task

    def routed(name: str) -> tuple[str, str, str]:
        status = setup.kube.statuses[f"{NS}/{name}"]
        cond = next(c for c in status["conditions"] if c["type"] == "Routed")
        return cond["status"], cond["reason"], cond["message"]

    assert routed("routed")[:2] == ("True", "PolicyRoute")
    status, reason, message = routed("dangling")
    assert (status, reason) == ("False", "PolicyNotLoaded")
    assert f"AlertPolicy {NS}/gone" in message and STACK in message
    assert routed("plain")[:2] == ("True", "StackDefaultRoute")
    assert setup.ready("dangling")["reason"] == "Evaluated"  # still read: only its route is off
