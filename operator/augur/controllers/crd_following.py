"""kopf follows CustomResourceDefinitions that appear and go while it runs; two gaps in how it
does so are closed here, so that a user who installs or removes prometheus-operator's CRDs
under a running augur is neither ignored nor stopped.

- **A new kind left unwatched.** On each CRD event kopf reads the API server's discovery once
  and watches what it finds. Discovery can lag a CRD's last event (Established), and the
  rescans of two CRDs created together race (a scan read first may be applied last), so a
  kind whose CRD was just created could stay unwatched until some other CRD changed: its
  objects were never loaded. Here rescans run one at a time, and every CRD event's rescan is
  made again after `RESCAN_DELAYS`: the last scan applied is a late one.
- **The operator stopped by a removed kind.** When a watched kind's CRD is deleted, its watch
  is refused (404) before kopf's rescan has stopped the watcher, and kopf lets that error end
  the whole operator. Here the watcher waits and tries again (`RETRY_DELAYS`) until kopf stops
  it, or the kind is served again.
- **The operator held forever by a kind never listed.** kopf handles no object of any kind
  until every indexed kind has been listed once (a toggle per kind, dropped at the end of its
  first listing). A kind not served is never listed, and a watcher stopped before its listing
  ended (its CRD removed) never drops its toggle: every event of every object then waited
  forever. Here a kind not served counts as listed (it has no objects), and a watcher that ends
  drops its kind's toggle.

All wrap kopf functions that kopf looks up by module attribute when it starts: `install()`
must run before `kopf.operator`. Where kopf has no such function (another version), nothing is
wrapped and the log says so. Reproduced end to end in e2e/test_promoperator_monitors.py.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

logger = logging.getLogger(__name__)

RESCAN_DELAYS = (1.0, 4.0)
"""Seconds after a CRD event (and after each other) at which its rescan is made again."""
RETRY_DELAYS = (1.0, 2.0, 5.0)
"""Seconds between watches of a kind that is not served (the last repeated)."""

_OBSERVATION = "kopf._core.reactor.observation"
_RESCAN = "process_discovered_resource_event"
_WATCHING = "kopf._cogs.clients.watching"
_WATCH = "infinite_watch"
_ERRORS = "kopf._cogs.clients.errors"
_QUEUEING = "kopf._core.reactor.queueing"
_WATCHER = "watcher"
_WRAPPED = "__augur_wrapped__"


def rescanning(
    original: Callable[..., Coroutine[Any, Any, None]],
) -> Callable[..., Coroutine[Any, Any, None]]:
    """kopf's handler of a CRD event, made again after each of `RESCAN_DELAYS` (not for the
    initial listing, which kopf itself skips)."""

    lock: asyncio.Lock | None = None

    async def once(*args: Any, **kwargs: Any) -> None:
        # one rescan at a time: a scan read earlier is never applied after a later one
        nonlocal lock
        lock = lock or asyncio.Lock()
        async with lock:
            await original(*args, **kwargs)

    async def process_discovered_resource_event(*args: Any, **kwargs: Any) -> None:
        await once(*args, **kwargs)
        raw_event = kwargs.get("raw_event") or {}
        if raw_event.get("type") is None:
            return
        for delay in RESCAN_DELAYS:
            await asyncio.sleep(delay)
            await once(*args, **kwargs)

    setattr(process_discovered_resource_event, _WRAPPED, original)
    return process_discovered_resource_event


def retrying_unserved(
    original: Callable[..., AsyncIterator[Any]],
    not_found: type[BaseException],
    listed: object = None,
) -> Callable[..., AsyncIterator[Any]]:
    """kopf's endless watch of one kind, going on after `not_found` (the kind is not served)
    instead of ending; it ends as kopf's own does (when kopf cancels it). Each refusal yields
    `listed` (kopf's end-of-listing mark) when given: a kind not served has no objects, and its
    listing is complete."""

    async def infinite_watch(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        refused = 0
        while True:
            try:
                async for event in original(*args, **kwargs):
                    refused = 0
                    yield event
                return
            except not_found:
                delay = RETRY_DELAYS[min(refused, len(RETRY_DELAYS) - 1)]
                if refused == 0:
                    logger.info(
                        "%s is not served (its CRD removed?): watching it again every %g s "
                        "until it is served or no longer watched",
                        kwargs.get("resource"),
                        RETRY_DELAYS[-1],
                    )
                refused += 1
                if listed is not None:
                    yield listed
                await asyncio.sleep(delay)

    setattr(infinite_watch, _WRAPPED, original)
    return infinite_watch


def releasing_readiness(
    original: Callable[..., Coroutine[Any, Any, None]],
) -> Callable[..., Coroutine[Any, Any, None]]:
    """kopf's watcher of one kind, dropping the kind's hold on the operator's readiness
    (`resource_indexed` in `operator_indexed`) when it ends, however it ends."""

    async def watcher(*args: Any, **kwargs: Any) -> None:
        try:
            await original(*args, **kwargs)
        finally:
            toggles = kwargs.get("operator_indexed")
            toggle = kwargs.get("resource_indexed")
            if toggles is not None and toggle is not None:
                # shielded: a watcher cancelled twice still lets its kind go
                await asyncio.shield(toggles.drop_toggle(toggle))

    setattr(watcher, _WRAPPED, original)
    return watcher


def install() -> bool:
    """Wrap kopf's functions (once); False when this kopf lacks one of them."""
    try:
        observation = importlib.import_module(_OBSERVATION)
        watching = importlib.import_module(_WATCHING)
        queueing = importlib.import_module(_QUEUEING)
        not_found = importlib.import_module(_ERRORS).APINotFoundError
        rescan = getattr(observation, _RESCAN)
        watch = getattr(watching, _WATCH)
        listed = watching.Bookmark.LISTED
        watcher = getattr(queueing, _WATCHER)
    except (ImportError, AttributeError):
        logger.warning("this kopf is not the one expected: CRDs appearing may go unnoticed")
        return False
    if not hasattr(rescan, _WRAPPED):
        setattr(observation, _RESCAN, rescanning(rescan))
    if not hasattr(watch, _WRAPPED):
        setattr(watching, _WATCH, retrying_unserved(watch, not_found, listed))
    if not hasattr(watcher, _WRAPPED):
        setattr(queueing, _WATCHER, releasing_readiness(watcher))
    return True
