"""kopf's following of CRDs, as augur mends it: a CRD event's rescan made again later, and a
watch of a kind no longer served waiting instead of ending the operator (end to end in
e2e/test_promoperator_monitors.py)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from augur.controllers import crd_following


class NotFound(Exception):
    pass


@pytest.fixture(autouse=True)
def no_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crd_following, "RESCAN_DELAYS", (0.0, 0.0))
    monkeypatch.setattr(crd_following, "RETRY_DELAYS", (0.0,))


def test_a_crd_event_is_rescanned_after_each_delay() -> None:
    calls: list[dict[str, Any]] = []

    async def rescan(**kwargs: Any) -> None:
        calls.append(kwargs)

    wrapped = crd_following.rescanning(rescan)
    event = {"type": "MODIFIED", "object": {"spec": {"group": "monitoring.coreos.com"}}}
    asyncio.run(wrapped(raw_event=event, settings="s"))
    assert calls == [{"raw_event": event, "settings": "s"}] * 3


def test_the_initial_listing_is_not_rescanned_again() -> None:
    calls: list[dict[str, Any]] = []

    async def rescan(**kwargs: Any) -> None:
        calls.append(kwargs)

    asyncio.run(crd_following.rescanning(rescan)(raw_event={"type": None, "object": {}}))
    assert len(calls) == 1


def _watch(script: list[Any]) -> Any:
    """A stand-in for kopf's watch: each call plays the next entry of `script` (a list of
    events to yield, or an exception to raise)."""
    starts: list[int] = []

    async def infinite_watch(**_: Any) -> AsyncIterator[Any]:
        starts.append(1)
        step = script.pop(0)
        if isinstance(step, BaseException):
            raise step
        for event in step:
            yield event

    infinite_watch.starts = starts  # type: ignore[attr-defined]
    return infinite_watch


async def _collect(stream: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in stream]


def test_a_watch_of_a_kind_not_served_waits_and_watches_again() -> None:
    original = _watch([NotFound("404"), NotFound("404"), ["a", "b"]])
    wrapped = crd_following.retrying_unserved(original, NotFound)
    events = asyncio.run(_collect(wrapped(resource="podmonitors", settings=None)))
    assert events == ["a", "b"]
    assert len(original.starts) == 3


def test_other_errors_still_end_the_watch() -> None:
    original = _watch([RuntimeError("boom")])
    wrapped = crd_following.retrying_unserved(original, NotFound)
    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(_collect(wrapped(resource="podmonitors")))


def test_install_wraps_kopfs_functions_once(monkeypatch: pytest.MonkeyPatch) -> None:
    observation = importlib.import_module("kopf._core.reactor.observation")
    watching = importlib.import_module("kopf._cogs.clients.watching")
    queueing = importlib.import_module("kopf._core.reactor.queueing")
    rescan = observation.process_discovered_resource_event
    watch = watching.infinite_watch
    watcher = queueing.watcher
    # restored after the test, whatever install does
    monkeypatch.setattr(observation, "process_discovered_resource_event", rescan)
    monkeypatch.setattr(watching, "infinite_watch", watch)
    monkeypatch.setattr(queueing, "watcher", watcher)

    assert crd_following.install()
    assert crd_following.install()  # again: not wrapped twice
    wrapped_rescan = observation.process_discovered_resource_event
    wrapped_watch = watching.infinite_watch
    assert wrapped_rescan is not rescan and wrapped_watch is not watch
    original_rescan = getattr(rescan, "__augur_wrapped__", rescan)
    original_watch = getattr(watch, "__augur_wrapped__", watch)
    assert wrapped_rescan.__augur_wrapped__ is original_rescan
    assert wrapped_watch.__augur_wrapped__ is original_watch
    assert queueing.watcher.__augur_wrapped__ is getattr(watcher, "__augur_wrapped__", watcher)


def test_install_leaves_an_unknown_kopf_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    watching = importlib.import_module("kopf._cogs.clients.watching")
    monkeypatch.delattr(watching, "infinite_watch")
    observation = importlib.import_module("kopf._core.reactor.observation")
    before = observation.process_discovered_resource_event
    assert crd_following.install() is False
    assert observation.process_discovered_resource_event is before


def test_rescans_run_one_at_a_time() -> None:
    """Two CRDs' events at once: the second rescan starts only once the first is applied."""
    running: list[int] = []
    overlaps: list[int] = []

    async def rescan(**_: Any) -> None:
        running.append(1)
        overlaps.append(len(running))
        await asyncio.sleep(0.01)
        running.pop()

    wrapped = crd_following.rescanning(rescan)

    async def both() -> None:
        event = {"type": "ADDED", "object": {"spec": {"group": "g"}}}
        await asyncio.gather(wrapped(raw_event=event), wrapped(raw_event=event))

    asyncio.run(both())
    assert len(overlaps) == 6 and max(overlaps) == 1


# kopf holds every object's handling until each indexed kind has been listed once (a toggle per
# kind in `operator_indexed`). A kind whose watch never lists (its CRD removed before or while
# it was listed, or not served yet) must not hold the operator: these run kopf's own
# orchestration and watcher with a stand-in for the watch stream alone.


def _resource() -> Any:
    references = importlib.import_module("kopf._cogs.structs.references")
    return references.Resource(
        group="monitoring.coreos.com",
        version="v1",
        plural="podmonitors",
        kind="PodMonitor",
        namespaced=True,
        verbs=["list", "watch"],
    )


async def _watchers_of(resource: Any, watch: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """kopf's ensemble with one indexed kind's watcher spawned, its watch `watch`."""
    orchestration = importlib.import_module("kopf._core.reactor.orchestration")
    aiotoggles = importlib.import_module("kopf._cogs.aiokits.aiotoggles")
    configuration = importlib.import_module("kopf._cogs.configs.configuration")
    watching = importlib.import_module("kopf._cogs.clients.watching")
    monkeypatch.setattr(watching, "infinite_watch", watch)
    ensemble = orchestration.Ensemble(
        operator_indexed=aiotoggles.ToggleSet(all),
        operator_paused=aiotoggles.ToggleSet(any),
        peering_missing=aiotoggles.Toggle(),
    )

    async def processor(**_: Any) -> None:
        return None

    await orchestration.spawn_missing_watchers(
        processor=processor,
        settings=configuration.OperatorSettings(),
        indexed_resources={resource},
        watched_resources={resource},
        watched_namespaces={None},
        ensemble=ensemble,
    )
    return ensemble


def test_a_kind_dropped_before_its_listing_does_not_hold_the_operator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orchestration = importlib.import_module("kopf._core.reactor.orchestration")
    queueing = importlib.import_module("kopf._core.reactor.queueing")
    monkeypatch.setattr(queueing, "watcher", crd_following.releasing_readiness(queueing.watcher))
    resource = _resource()

    async def never_listed(**_: Any) -> AsyncIterator[Any]:
        await asyncio.Event().wait()  # the listing never ends
        yield None

    async def scenario() -> tuple[bool, bool]:
        ensemble = await _watchers_of(resource, never_listed, monkeypatch)
        await asyncio.sleep(0.01)
        held = ensemble.operator_indexed.is_on()
        # the CRD goes: kopf's rescan stops the kind's watcher
        await orchestration.terminate_redundancies(
            remaining_resources=set(), remaining_namespaces={None}, ensemble=ensemble
        )
        return held, ensemble.operator_indexed.is_on()

    held, after = asyncio.run(scenario())
    assert held is False  # while its watcher lists, the kind holds the operator, as kopf wants
    assert after is True


def test_a_kind_not_served_counts_as_listed_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    watching = importlib.import_module("kopf._cogs.clients.watching")
    resource = _resource()

    async def unserved(**_: Any) -> AsyncIterator[Any]:
        raise NotFound("404")
        yield None

    watch = crd_following.retrying_unserved(unserved, NotFound, watching.Bookmark.LISTED)

    async def scenario() -> bool:
        ensemble = await _watchers_of(resource, watch, monkeypatch)
        for _ in range(100):
            await asyncio.sleep(0.001)
            if ensemble.operator_indexed.is_on():
                break
        on = ensemble.operator_indexed.is_on()
        for task in ensemble.watcher_tasks.values():
            task.cancel()
        await asyncio.gather(*ensemble.watcher_tasks.values(), return_exceptions=True)
        return on

    assert asyncio.run(scenario()) is True
