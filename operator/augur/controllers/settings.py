"""Startup and cleanup: kopf settings chosen on purpose, clients in memo, indexes wired in."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any, cast

import aiohttp
import kopf

from augur.controllers.policy_status import write_tested_policy_status
from augur.controllers.promoperator import promoperator_indexes
from augur.controllers.registry import registry
from augur.controllers.state import OperatorState
from augur.kube.credentials import Auth, ConfigError, Credentials
from augur.status.catalog import Catalog

IDLE_WORKER_SECONDS = 0.2
"""How long kopf keeps an object's worker (and the event it last handled) with no new event."""


def configure(settings: kopf.OperatorSettings, shard: str = "") -> None:
    """kopf's settings for augur, as an instance of operator shard `shard` ("": the default)."""
    # Events for people come from augur itself; kopf only posts its own failures.
    settings.posting.level = logging.WARNING
    # Re-open watches before proxies or the API server drop them silently.
    settings.watching.server_timeout = 240
    settings.watching.client_timeout = 270
    settings.watching.connect_timeout = 10
    # Handlers are short (they only note changes); stacks render in their own workers.
    # No limit on kopf's per-object workers: each waits until every index is filled, and
    # indexing an object needs a worker, so a limit below the number of objects deadlocks
    # a (re)start with that many objects.
    queueing = settings.queueing if hasattr(settings, "queueing") else settings.batching
    queueing.worker_limit = None
    # A worker keeps its object's last event (the whole body) until it exits, by default 5 s
    # after the event: after a burst of thousands of objects that is thousands of bodies
    # held at once, and the holes they leave keep the heap large (bench/README.md).
    queueing.idle_timeout = IDLE_WORKER_SECONDS
    settings.execution.max_workers = 8
    settings.networking.request_timeout = 60
    # kopf's own bookkeeping under augur's prefix; stacks and ScalingPolicies carry it (their
    # workers and ScalingPolicy's restore on deletion need the finalizer). Each shard has its
    # own: kopf removes its finalizer from objects none of its handlers match, so shards
    # sharing one would remove each other's.
    prefix = f"{shard}.shard.augur.dev" if shard else "augur.dev"
    settings.persistence.finalizer = f"{prefix}/kopf-finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=prefix)
    settings.persistence.diffbase_storage = LeanDiffBaseStorage(
        prefix=prefix, key="last-handled-configuration"
    )
    # Stop a stack's worker promptly when the stack goes or another replica takes over.
    settings.background.instant_exit_timeout = 5


class LeanDiffBaseStorage(kopf.AnnotationsDiffBaseStorage):
    """kopf's diff base (the last handled spec, labels and annotations), built without
    deep-copying first what it then drops. kopf copies the whole body — status, managedFields,
    kubectl's last-applied copy — on every event of an object with a finalizer: for a stack,
    after each of its status writes."""

    def build(self, *, body: Any, extra_fields: Any = None) -> Any:
        extra = list(extra_fields or ())
        if extra:  # fields named by a handler (none of augur's): kopf's own way
            return super().build(body=body, extra_fields=extra)
        meta = body.get("metadata") or {}
        kept = {key: value for key, value in body.items() if key not in ("metadata", "status")}
        kept["metadata"] = {  # what the essence keeps, and what kopf's key names look at
            key: meta[key] for key in ("labels", "annotations", "ownerReferences") if key in meta
        }
        return super().build(body=kopf.Body(cast(kopf.RawBody, kept)))


@kopf.on.startup(registry=registry)
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **kwargs: Any) -> None:
    """Wire the indexes into the catalog and open the HTTP session for Prometheus."""
    state: OperatorState = memo["state"]
    configure(settings, state.config.shard)
    state.catalog = Catalog(
        kwargs["stack_index"],
        kwargs["alert_policy_index"],
        kwargs["business_kpi_index"],
        kwargs["namespace_index"],
        kwargs["scaling_policy_index"],
        promoperator_indexes(kwargs),
    )
    state.session = aiohttp.ClientSession()
    state.rule_tests.on_result = functools.partial(write_tested_policy_status, state)
    state.heap_ticks = asyncio.create_task(_trim_when_quiet(state), name="augur-heap-trim")


async def _trim_when_quiet(state: OperatorState) -> None:
    """Once a second: give free heap pages back when the stacks' passes have gone quiet."""
    while True:
        await asyncio.sleep(1.0)
        state.heap.tick(time.monotonic())


@kopf.on.cleanup(registry=registry)
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    """Close clients."""
    state: OperatorState = memo["state"]
    if state.heap_ticks is not None:
        state.heap_ticks.cancel()
    await state.rule_tests.close()
    if state.session is not None:
        await state.session.close()
    state.statuses.close()
    state.scaling.close()
    state.kube.close()


@kopf.on.login(registry=registry)
def login(memo: kopf.Memo, **_: Any) -> kopf.ConnectionInfo:
    """Log in with the very credentials augur's own client uses (kubeconfig or in-cluster).

    kopf calls this at start, when the credentials it has expire (`expiration`: an exec
    credential's, a ServiceAccount token's `exp`) and after a 401; the credentials kopf had
    already are then renewed, not handed out again."""
    state: OperatorState = memo["state"]
    info, memo["login"] = connection_info(state.kube.credentials, memo.get("login"))
    return info


def connection_info(
    credentials: Credentials, previous: Auth | None
) -> tuple[kopf.ConnectionInfo, Auth]:
    """kopf's ConnectionInfo of `credentials`, and the Auth it holds: a fresh one when
    `previous` (what kopf was given last) is still the current one (kopf asks again only when
    what it has expired or was refused)."""
    try:
        current = credentials.auth()
        if previous is not None and current is previous and credentials.renewable:
            current = credentials.renew(previous)
    except ConfigError as error:
        raise kopf.LoginError(str(error)) from None
    cert: dict[str, Any] = {}
    if current.has_client_certificate:
        cert = {
            "certificate_path": current.cert_file or None,
            "certificate_data": current.cert_data or None,
            "private_key_path": current.key_file or None,
            "private_key_data": current.key_data or None,
        }
    info = kopf.ConnectionInfo(
        server=credentials.server,
        ca_path=credentials.ca_file or None,
        ca_data=credentials.ca_data or None,
        insecure=credentials.insecure or None,
        username=current.username or None,
        password=current.password or None,
        scheme="Bearer" if current.token else None,
        token=current.token or None,
        expiration=current.expiration,
        **cert,
    )
    return info, current
