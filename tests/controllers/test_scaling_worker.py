"""The ScalingPolicy controller against a stand-in API server and Prometheus: what it reads,
what it writes to the HPA, and what it restores."""

from __future__ import annotations

import asyncio
import copy
import logging
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from augur.controllers.scaling_pool import PoolBroken
from augur.controllers.scaling_steer import restore_steered
from augur.controllers.scaling_worker import ScalingWorker
from augur.controllers.state import OperatorConfig, OperatorState
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey
from augur.metrics import OperatorMetrics
from augur.scaling.evaluate import PROMETHEUS_GRACE_EVALUATIONS
from augur.scaling.inputs import ORIGINAL_MIN_ANNOTATION
from augur.scaling.steering import FIELD_MANAGER
from augur.status.catalog import Catalog, ParseCache

NS = "shop"
STACK = "mon/main"


def load_at(t: float) -> float:
    """A daily cycle between 120 and 180: 12 to 18 replicas of capacity 10, at any hour above
    the HPA's max of 8."""
    return 150 + 30 * math.sin(2 * math.pi * t / 86400)


@dataclass
class FakePrometheus:
    """Answers every range query with `load_at` on the asked grid; `down` refuses to answer."""

    queries: list[str] = field(default_factory=list)
    down: bool = False

    async def handle(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503, text="unavailable")
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.queries.append(form["query"])
        start, end, step = float(form["start"]), float(form["end"]), float(form["step"])
        values = [
            [start + k * step, str(load_at(start + k * step))]
            for k in range(round((end - start) / step) + 1)
        ]
        result = [{"metric": {}, "values": values}]
        return web.json_response(
            {"status": "success", "data": {"resultType": "matrix", "result": result}}
        )


class FakeKube:
    """Objects by (kind, namespace, name); server-side apply of the steered field only."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.applied: list[tuple[dict[str, Any], str | None, bool]] = []
        self.statuses: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.fail_apply: KubeError | None = None

    def put(self, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self.objects[(obj["kind"], meta["namespace"], meta["name"])] = obj

    def get(self, key: ObjectKey) -> dict[str, Any] | None:
        found = self.objects.get((key.kind, key.namespace, key.name))
        return copy.deepcopy(found) if found is not None else None

    def get_scale(self, key: ObjectKey) -> dict[str, Any] | None:
        target = self.objects.get((key.kind, key.namespace, key.name))
        if target is None:
            return None
        return {"spec": target["spec"], "status": {"replicas": target["spec"]["replicas"]}}

    def apply(
        self, obj: dict[str, Any], *, force: bool = True, field_manager: str | None = None
    ) -> dict[str, Any]:
        if self.fail_apply is not None:
            raise self.fail_apply
        self.applied.append((obj, field_manager, force))
        live = self.objects[(obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"])]
        live["spec"].update(obj["spec"])
        annotations = live["metadata"].setdefault("annotations", {})
        wanted = obj["metadata"].get("annotations") or {}
        annotations.pop(ORIGINAL_MIN_ANNOTATION, None)  # the manager's field set is replaced
        annotations.update(wanted)
        return live

    def patch_status(self, key: ObjectKey, status: dict[str, Any]) -> None:
        self.statuses.append(status)

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.events.append(obj)
        return obj

    def hpa(self, name: str = "web") -> dict[str, Any]:
        return self.objects[("HorizontalPodAutoscaler", NS, name)]


def hpa(name: str, min_replicas: int, max_replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"minReplicas": min_replicas, "maxReplicas": max_replicas},
    }


def policy_body(generation: int, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "ScalingPolicy",
        "metadata": {"name": "web", "namespace": NS, "uid": "p1", "generation": generation},
        "spec": {
            "targetRef": {"name": "web"},
            "metric": {"query": "sum(rate(requests_total[5m]))", "perReplicaCapacity": 10},
            "forecast": {"method": "holtWinters", "seasonality": ["1d"]},
            "replicas": {"min": 1, "max": 30},
            "evaluationInterval": "10s",
            **spec,
        },
    }


@dataclass
class Setup:
    state: OperatorState
    kube: FakeKube
    prometheus: FakePrometheus
    policies: dict[str, list[Any]]
    cache: ParseCache
    generation: int = 0

    def policy(self, **spec: Any) -> None:
        """The policy, as kopf's index would now hold it (each call a new generation)."""
        self.generation += 1
        entry = self.cache.entry(policy_body(self.generation, **spec))
        assert entry.resource is not None, entry.problems
        self.policies.clear()
        self.policies[entry.key] = [entry]

    def status(self) -> dict[str, Any]:
        return self.state.statuses.known("ScalingPolicy", f"{NS}/web")

    def condition(self, type_: str) -> dict[str, Any]:
        return next(c for c in self.status()["conditions"] if c["type"] == type_)


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    fake = FakePrometheus()
    app = web.Application()
    app.router.add_post("/api/v1/query_range", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    kube = FakeKube()
    kube.put(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {"replicas": 3},
        }
    )
    kube.put(hpa("web", 2, 8))
    config = OperatorConfig(prometheus_urls={STACK: f"http://127.0.0.1:{port}"})
    state = OperatorState(config, kube, OperatorMetrics.create())  # type: ignore[arg-type]
    cache = ParseCache()
    stack = cache.entry(
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
    assert stack.resource is not None, stack.problems
    policies: dict[str, list[Any]] = {}
    state.catalog = Catalog({STACK: [stack]}, {}, {}, {NS: [{}], "mon": [{}]}, policies)
    async with aiohttp.ClientSession() as session:
        state.session = session
        yield Setup(state, kube, fake, policies, cache)
    await runner.cleanup()


def worker(setup: Setup, annotations: dict[str, str] | None = None) -> ScalingWorker:
    return ScalingWorker(setup.state, f"{NS}/web", lambda: annotations or {})


async def test_recommend_writes_status_and_metrics_and_leaves_the_hpa_alone(
    setup: Setup,
) -> None:
    setup.policy()
    interval = await worker(setup).evaluate(lambda: False)
    assert interval == 10.0
    status = setup.status()
    assert status["currentReplicas"] == 3
    assert isinstance(status["recommendedReplicas"], int), status["conditions"]
    assert status["model"]["method"] == "holtWinters"
    assert status["evaluation"]["failedQueries"] == 0
    assert setup.condition("Ready")["status"] == "True"
    assert setup.condition("Applied")["reason"] == "ModeRecommend"
    assert setup.kube.applied == []
    assert setup.kube.hpa()["spec"]["minReplicas"] == 2
    text = setup.state.metrics.exposition().decode()
    expected = status["recommendedReplicas"]
    assert (
        f'augur_scaling_recommended_replicas{{namespace="shop",scaling_policy="web"}} '
        f"{float(expected)}" in text
    )


async def test_the_query_is_restricted_to_the_policy_namespace_under_tenancy(
    setup: Setup,
) -> None:
    setup.policy()
    await worker(setup).evaluate(lambda: False)
    assert setup.prometheus.queries == ['sum(rate(requests_total{tenant="shop"}[5m]))']


async def test_apply_raises_the_floor_clamped_to_the_hpa_max_and_restores_on_recommend(
    setup: Setup,
) -> None:
    setup.policy(mode="apply", hpaRef={"name": "web"})
    await worker(setup).evaluate(lambda: False)
    [(patch, manager, force)] = setup.kube.applied
    assert (manager, force) == (FIELD_MANAGER, True)
    assert patch["spec"] == {"minReplicas": 8}  # the HPA's max, below the recommendation
    assert setup.kube.hpa()["metadata"]["annotations"][ORIGINAL_MIN_ANNOTATION] == "2"
    assert setup.condition("Applied")["reason"] == "ClampedToHPAMax"
    assert setup.status()["applied"]["minReplicas"] == 8
    assert setup.status()["evaluation"]["steered"] == "HorizontalPodAutoscaler/web"
    assert "FloorRaised" in [e["reason"] for e in setup.kube.events]

    await worker(setup).evaluate(lambda: False)  # nothing changed: nothing written
    assert len(setup.kube.applied) == 1

    setup.policy(mode="recommend", hpaRef={"name": "web"})
    await worker(setup).evaluate(lambda: False)
    assert setup.kube.applied[-1][0]["spec"] == {"minReplicas": 2}
    assert ORIGINAL_MIN_ANNOTATION not in setup.kube.hpa()["metadata"]["annotations"]
    assert setup.status()["applied"] is None
    assert "FloorRestored" in [e["reason"] for e in setup.kube.events]


async def test_the_pause_annotation_restores(setup: Setup) -> None:
    setup.policy(mode="apply", hpaRef={"name": "web"})
    await worker(setup).evaluate(lambda: False)
    assert setup.kube.hpa()["spec"]["minReplicas"] == 8
    await worker(setup, {"augur.dev/paused": "true"}).evaluate(lambda: False)
    assert setup.kube.hpa()["spec"]["minReplicas"] == 2
    assert setup.condition("Applied")["reason"] == "Paused"


async def test_prometheus_down_holds_the_floor_through_the_grace_then_restores(
    setup: Setup,
) -> None:
    setup.policy(mode="apply", hpaRef={"name": "web"})
    await worker(setup).evaluate(lambda: False)
    setup.prometheus.down = True
    for _ in range(PROMETHEUS_GRACE_EVALUATIONS - 1):
        await worker(setup).evaluate(lambda: False)
        assert setup.kube.hpa()["spec"]["minReplicas"] == 8
        assert setup.condition("ForecastHealthy")["status"] == "False"
        assert setup.condition("Applied")["reason"] == "HeldThroughOutage"
    await worker(setup).evaluate(lambda: False)
    assert setup.kube.hpa()["spec"]["minReplicas"] == 2
    assert setup.condition("ForecastHealthy")["reason"] == "PrometheusError"
    assert setup.condition("Applied")["status"] == "False"


async def test_a_changed_hpa_ref_restores_the_old_hpa(setup: Setup) -> None:
    setup.kube.put(hpa("other", 1, 20))
    setup.policy(mode="apply", hpaRef={"name": "web"})
    await worker(setup).evaluate(lambda: False)
    setup.policy(mode="apply", hpaRef={"name": "other"})
    await worker(setup).evaluate(lambda: False)
    assert setup.kube.hpa("web")["spec"]["minReplicas"] == 2
    assert setup.kube.hpa("other")["spec"]["minReplicas"] > 1
    assert setup.status()["evaluation"]["steered"] == "HorizontalPodAutoscaler/other"


async def test_a_missing_target_or_hpa_says_so_without_writing(setup: Setup) -> None:
    setup.policy(mode="apply", hpaRef={"name": "absent"})
    await worker(setup).evaluate(lambda: False)
    assert setup.condition("Ready")["reason"] == "HPANotFound"
    setup.policy(mode="apply", hpaRef={"name": "web"}, targetRef={"name": "absent"})
    await worker(setup).evaluate(lambda: False)
    assert setup.condition("Ready")["reason"] == "TargetNotFound"
    assert setup.kube.applied == []


async def test_a_refused_apply_is_reported_not_claimed(setup: Setup) -> None:
    setup.policy(mode="apply", hpaRef={"name": "web"})
    setup.kube.fail_apply = KubeError(403, "Forbidden", "no")
    await worker(setup).evaluate(lambda: False)
    assert setup.condition("Applied")["reason"] == "ApplyFailed"
    reasons = [e["reason"] for e in setup.kube.events]
    assert "ApplyFailed" in reasons and "FloorRaised" not in reasons


async def test_deletion_restores_the_original_minimum(setup: Setup) -> None:
    setup.policy(mode="apply", hpaRef={"name": "web"})
    await worker(setup).evaluate(lambda: False)
    steered = setup.status()["evaluation"]["steered"]
    notes = await restore_steered(setup.state, NS, steered, "web")
    assert setup.kube.hpa()["spec"]["minReplicas"] == 2
    assert [n.reason for n in notes] == ["FloorRestored"]
    assert await restore_steered(setup.state, NS, steered, "web") == []  # nothing left


async def test_several_stacks_without_stack_ref_is_a_condition(setup: Setup) -> None:
    assert setup.state.catalog is not None
    other = setup.cache.entry(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "second", "namespace": "mon", "uid": "s2", "generation": 1},
            "spec": {"namespaceSelector": {"any": True}},
        }
    )
    stacks = setup.state.catalog._stacks
    assert isinstance(stacks, dict)
    stacks["mon/second"] = [other]
    setup.policy()
    await worker(setup).evaluate(lambda: False)
    assert setup.condition("Ready")["reason"] == "SeveralStacksSelectNamespace"
    setup.policy(stackRef={"name": "main", "namespace": "mon"})
    await worker(setup).evaluate(lambda: False)
    assert setup.condition("Ready")["status"] == "True"


async def test_a_dead_fit_worker_is_a_warning_and_a_counted_error(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    setup.policy()
    calls: list[int] = []

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        calls.append(1)
        raise PoolBroken("the forecast worker running this evaluation died")

    monkeypatch.setattr(setup.state.scaling, "fit", broken)
    # Stop after the first try (the wait after it checks `stopped`).
    with caplog.at_level(logging.WARNING, logger="augur.operator"):
        await asyncio.wait_for(worker(setup).run(lambda: len(calls) >= 1), timeout=30)
    records = [r for r in caplog.records if "died" in r.getMessage()]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert records[0].exc_info is None  # a sentence, not a traceback
    text = setup.state.metrics.exposition().decode()
    assert 'augur_reconcile_errors_total{kind="ScalingPolicy",reason="PoolBroken"} 1.0' in text
