"""The controllers' shared state: stack workers, status writes, change coalescing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from augur.controllers import registry
from augur.controllers.promoperator import WATCHED
from augur.controllers.stack_worker import Changes
from augur.controllers.state import OperatorConfig, OperatorState, URLFile, Workers
from augur.controllers.writers import StatusWriter
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey
from augur.metrics import OperatorMetrics

READY = {"type": "Ready", "status": "True", "reason": "Loaded", "message": "m"}


class FakeKube:
    """Records status patches; fails them with `error` when set."""

    def __init__(self) -> None:
        self.patched: list[tuple[ObjectKey, dict[str, Any]]] = []
        self.error: KubeError | None = None

    def patch_status(self, key: ObjectKey, status: dict[str, Any]) -> None:
        if self.error is not None:
            raise self.error
        self.patched.append((key, status))


class Worker:
    def __init__(self) -> None:
        self.pokes = 0

    def poke(self) -> None:
        self.pokes += 1


def test_workers_are_poked_by_key_until_stopped() -> None:
    workers = Workers()
    a, b, replaced = Worker(), Worker(), Worker()
    workers.started("mon/a", replaced)
    workers.started("mon/a", a)
    workers.started("mon/b", b)
    workers.stopped("mon/a", replaced)  # an older worker ending leaves the newer one
    workers.poke(["mon/a", "mon/gone"])
    assert (a.pokes, b.pokes, replaced.pokes) == (1, 0, 0)
    workers.poke_all()
    assert (a.pokes, b.pokes) == (2, 1)
    workers.stopped("mon/a", a)
    workers.poke_all()
    assert (a.pokes, b.pokes) == (2, 2)


async def test_status_writer_skips_writes_that_change_nothing() -> None:
    kube = FakeKube()
    writer = StatusWriter(kube, OperatorMetrics.create())  # type: ignore[arg-type]
    status = {"rules": 1, "conditions": [{**READY, "lastTransitionTime": "t1"}]}
    assert await writer.write("AlertPolicy", "ops", "a", status)
    assert [key.name for key, _ in kube.patched] == ["a"]
    assert writer.known("AlertPolicy", "ops/a") == status
    again = {"rules": 1, "conditions": [{**READY, "lastTransitionTime": "t2"}]}
    assert await writer.write("AlertPolicy", "ops", "a", again)
    assert len(kube.patched) == 1
    writer.seen("AlertPolicy", "ops/a", {"rules": 5})  # someone else changed it
    assert await writer.write("AlertPolicy", "ops", "a", again)
    assert len(kube.patched) == 2


async def test_status_writer_reports_failures_and_counts_them() -> None:
    kube = FakeKube()
    metrics = OperatorMetrics.create()
    writer = StatusWriter(kube, metrics)  # type: ignore[arg-type]
    kube.error = KubeError(403, "Forbidden", "no")
    assert not await writer.write("BusinessKPI", "ops", "k", {"current": 1})
    assert writer.known("BusinessKPI", "ops/k") == {}
    text = metrics.exposition().decode()
    assert 'augur_reconcile_errors_total{kind="BusinessKPI",reason="Forbidden"} 1.0' in text
    kube.error = KubeError(404, "NotFound", "gone")  # deleted meanwhile: not an error
    assert not await writer.write("BusinessKPI", "ops", "k", {"current": 1})
    assert "NotFound" not in metrics.exposition().decode()


def test_state_indexes_bodies_and_forgets_deleted_objects() -> None:
    state = OperatorState(OperatorConfig(), FakeKube(), OperatorMetrics.create())  # type: ignore[arg-type]
    body = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "a", "namespace": "ops", "uid": "u1", "generation": 1},
        "spec": {},
        "status": {"rules": 2},
    }
    entry = state.index("AlertPolicy", body)
    assert entry.key == "ops/a"
    assert state.statuses.known("AlertPolicy", "ops/a") == {"rules": 2}
    assert state.changed(entry)
    assert not state.changed(state.parsed.entry(body))  # a status-only event
    state.forget("AlertPolicy", "ops/a", "u1")
    assert state.statuses.known("AlertPolicy", "ops/a") == {}
    assert state.changed(state.parsed.entry(body))


async def test_changes_coalesce_and_time_out() -> None:
    changes = Changes(debounce=0.01, debounce_max=0.05)
    never = lambda: False  # noqa: E731
    assert not await changes.wait(never, time.monotonic() + 0.02)  # nothing happened
    changes.poke()
    changes.poke()
    assert await changes.wait(never, time.monotonic() + 5)
    # both pokes were one change: nothing is left pending
    assert not await changes.wait(never, time.monotonic() + 0.02)


async def test_a_lone_change_is_not_held_for_the_burst_quiet_time() -> None:
    """One edit with nothing after it is acted on at once, not after `debounce`."""
    changes = Changes(debounce=30, debounce_max=60, lone=0.01)
    changes.poke()
    # the burst path would wait 30 s of quiet; the lone path returns after 0.01 s
    assert await asyncio.wait_for(changes.wait(lambda: False, time.monotonic() + 120), 10)


async def test_a_burst_is_waited_out_until_it_stops() -> None:
    changes = Changes(debounce=1.0, debounce_max=30, lone=0.5)
    done = asyncio.Event()

    async def burst() -> None:
        for _ in range(20):
            changes.poke()
            await asyncio.sleep(0.01)
        done.set()

    task = asyncio.create_task(burst())
    assert await changes.wait(lambda: False, time.monotonic() + 60)
    assert done.is_set()  # the wait ended only after the burst's last change
    await task
    assert not await changes.wait(lambda: False, time.monotonic() + 0.02)


async def test_changes_wait_ends_when_stopped() -> None:
    changes = Changes(debounce=0.01, debounce_max=0.05)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)
    assert not await changes.wait(stop.is_set, time.monotonic() + 60)


def test_every_kind_is_indexed_under_the_name_startup_reads() -> None:
    """settings.startup builds the catalog from kopf's kwargs named after the index handlers."""
    indexes = {str(h.id): h.selector.any_name for h in registry._indexing.get_all_handlers()}  # type: ignore[attr-defined]
    assert indexes == {
        "stack_index": "monitoringstacks",
        "alert_policy_index": "alertpolicies",
        "business_kpi_index": "businesskpis",
        "namespace_index": "namespaces",
        "scaling_policy_index": "scalingpolicies",
        "promoperator_prometheusrules_index": "prometheusrules",
        "promoperator_servicemonitors_index": "servicemonitors",
        "promoperator_podmonitors_index": "podmonitors",
    }
    assert {row.index_id for row in WATCHED} <= set(indexes)
    watched = {h.selector.any_name for h in registry._watching.get_all_handlers()}  # type: ignore[attr-defined]
    assert watched == set(indexes.values())


async def test_status_writes_run_concurrently_up_to_the_limit() -> None:
    import threading

    class BlockingKube:
        """Each patch waits until `limit` patches are in flight together."""

        def __init__(self, limit: int) -> None:
            self.barrier = threading.Barrier(limit, timeout=30)
            self.lock = threading.Lock()
            self.in_flight = 0
            self.most = 0
            self.patched: list[str] = []

        def patch_status(self, key: ObjectKey, status: dict[str, Any]) -> None:
            with self.lock:
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
            self.barrier.wait()  # raises (the write fails) unless `limit` run together
            with self.lock:
                self.in_flight -= 1
                self.patched.append(key.name)

    kube = BlockingKube(4)
    writer = StatusWriter(kube, OperatorMetrics.create(), concurrency=4)  # type: ignore[arg-type]
    try:
        written = await asyncio.gather(
            *(writer.write("AlertPolicy", "ops", f"p{i}", {"rules": i}) for i in range(20))
        )
    finally:
        writer.close()
    assert all(written)
    assert sorted(kube.patched) == sorted(f"p{i}" for i in range(20))
    assert kube.most == 4


def test_prometheus_urls_come_from_flags_then_the_file_as_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "urls"
    config = OperatorConfig(
        prometheus_urls={"a/one": "http://flag"}, prometheus_url_file=URLFile(path)
    )
    # No file yet: the flag, else the stack's Service.
    assert config.prometheus_url("a/one", {}) == "http://flag"
    assert config.prometheus_url("b/two", {}) == "http://two-prometheus.b.svc:9090"
    path.write_text("# comment\nb/two=http://127.0.0.1:1\nnot a mapping\na/one=http://file\n")
    assert config.prometheus_url("b/two", {}) == "http://127.0.0.1:1"
    assert config.prometheus_url("a/one", {}) == "http://flag"
    # A stack added later is learnt without a restart.
    path.write_text("b/two=http://127.0.0.1:1\nc/three=http://127.0.0.1:22\n")
    assert config.prometheus_url("c/three", {}) == "http://127.0.0.1:22"
    path.unlink()
    assert config.prometheus_url("c/three", {"prometheus": "http://svc"}) == "http://svc"
