"""One worker per MonitoringStack: coalesces changes, then gathers → renders → applies → status."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from augur.api.resources import MonitoringStack
from augur.handlers.catalog import Catalog, Entry
from augur.handlers.kpi_status import evaluate_kpis
from augur.handlers.runtime import Runtime, now_rfc3339
from augur.handlers.statuses import (
    WORKLOAD_KINDS,
    PolicyView,
    StackOutcome,
    component_name,
    component_status,
    policy_status,
    service_endpoints,
    stack_status,
)
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey, object_key
from augur.kube.sync import StackObjects, SyncResult
from augur.render.alertmanager.credentials import Credentials, gather_credentials
from augur.render.component_output import ComponentOutput
from augur.render.k8s.labels import StackRef
from augur.render.selection import StackInputs, inputs_for, stack_selects_labels
from augur.render.stack import StackMemo, desired_objects, rerender_stack

logger = logging.getLogger("augur.operator")


class StackWorker:
    """Keeps one stack's objects and status current."""

    def __init__(self, runtime: Runtime, key: str) -> None:
        self.runtime = runtime
        self.key = key
        self.poked = asyncio.Event()
        self.objects: StackObjects | None = None
        self.inputs: StackInputs | None = None
        self.output: ComponentOutput | None = None
        self.memo: StackMemo | None = None
        """What the last render keeps for the next (rule files, Alertmanager configuration)."""
        self.sources: dict[str, dict[str, str] | None] = {}
        self.sources_read = 0.0
        self.kpis_read = 0.0
        self.policies: set[str] = set()
        self.statuses: dict[str, tuple[Any, ...]] = {}
        """Per selected AlertPolicy, the facts its status was last made current from (its
        entry and every stack's view), so an unchanged policy's status is not built again."""

    def poke(self) -> None:
        """Something the stack depends on changed."""
        self.poked.set()

    @property
    def catalog(self) -> Catalog:
        assert self.runtime.catalog is not None, "indexes are set up at startup"
        return self.runtime.catalog

    async def run(self, stopped: Callable[[], bool]) -> None:
        """Reconcile now, then on every (coalesced) change and on every drift tick."""
        config = self.runtime.config
        render = True
        next_live_check = 0.0
        while not stopped():
            check_live = time.monotonic() >= next_live_check
            if check_live:
                next_live_check = time.monotonic() + config.drift_interval
            try:
                await self.reconcile(render=render, check_live=check_live)
            except Exception as error:  # never let one stack take the operator down
                logger.exception("reconcile of %s failed", self.key)
                self.runtime.metrics.reconcile_errors.labels(
                    "MonitoringStack", type(error).__name__
                ).inc()
            render = await self._wait(stopped, next_live_check)

    async def _wait(self, stopped: Callable[[], bool], until: float) -> bool:
        """Wait for a change (True, after it settles) or the next tick (False)."""
        config = self.runtime.config
        while not stopped() and time.monotonic() < until:
            try:
                await asyncio.wait_for(
                    self.poked.wait(), timeout=min(1.0, until - time.monotonic())
                )
            except TimeoutError:
                continue
            first = time.monotonic()
            while time.monotonic() - first < config.debounce_max and not stopped():
                self.poked.clear()
                try:
                    await asyncio.wait_for(self.poked.wait(), timeout=config.debounce)
                except TimeoutError:
                    break
            self.poked.clear()
            return True
        return False

    # -- one pass ----------------------------------------------------------------------

    async def reconcile(self, *, render: bool, check_live: bool) -> None:
        """Gather → render → apply → status."""
        entry = self.catalog.stack(self.key)
        if entry is None or entry.deleting:
            return
        if not isinstance(entry.resource, MonitoringStack):
            await self._invalid(entry)
            return
        stack = entry.resource
        ref = StackRef(
            entry.resource.api_version, "MonitoringStack", entry.namespace, entry.name, entry.uid
        )
        if self.objects is None or self.objects.stack != ref:
            self.objects = StackObjects(self.runtime.kube, ref)
            check_live = True
        started = time.monotonic()
        outcome = StackOutcome(generation=entry.generation)
        if render or self.output is None:
            self.inputs = inputs_for(stack, self.catalog.inventory())
            renderer = functools.partial(rerender_stack, whole=self.catalog.policy_models())
            try:
                self.output, self.memo = await asyncio.to_thread(renderer, self.inputs, self.memo)
            except Exception as error:  # a renderer bug must not stop the others
                logger.exception("render of %s failed", self.key)
                outcome.render_error = f"render failed: {type(error).__name__}: {error}"
                self.runtime.metrics.reconcile_errors.labels(
                    "MonitoringStack", "RenderFailed"
                ).inc()
                await self._finish(entry, outcome, None)
                return
        assert self.inputs is not None and self.output is not None
        credentials = await self._credentials(force=render)
        objects = desired_objects(
            self.output.manifests,
            ref,
            credentials,
            needs_credentials=bool(self.output.secret_keys) or stack.spec.alertmanager.enabled,
            is_namespaced=self._is_namespaced,
        )
        sync = self.objects.sync
        try:
            result = await asyncio.to_thread(sync, objects, check_live=check_live)
        except KubeError as error:
            result = SyncResult(failures={ObjectKey("", "cluster", "", ""): error})
        self._fill(outcome, objects, result, credentials)
        outcome.components = await asyncio.to_thread(self._components, objects, entry.name)
        await self._finish(entry, outcome, result)
        await self._policy_statuses(credentials)
        self.runtime.metrics.reconcile_duration.labels(self.key).observe(time.monotonic() - started)
        await self._kpis(stack, outcome.endpoints)

    def _is_namespaced(self, api_version: str, kind: str) -> bool:
        try:
            return self.runtime.kube.resource_info(api_version, kind).namespaced
        except KubeError:
            return True

    async def _credentials(self, *, force: bool) -> Credentials:
        """Copy the referenced keys; Secrets are re-read when users change and on a timer."""
        assert self.output is not None
        needed = {source for source, _ in self.output.secret_keys.values()}
        stale = time.monotonic() - self.sources_read > self.runtime.config.secret_refresh
        if force or stale or not needed <= set(self.sources):
            self.sources = await asyncio.to_thread(self._read_sources, needed)
            self.sources_read = time.monotonic()
        return gather_credentials(
            self.output.secret_keys, self.sources, self.key, self.output.secret_users
        )

    def _read_sources(self, needed: set[str]) -> dict[str, dict[str, str] | None]:
        found: dict[str, dict[str, str] | None] = {}
        for source in sorted(needed):
            namespace, _, name = source.partition("/")
            try:
                found[source] = self.runtime.kube.read_secret(namespace, name)
            except KubeError as error:
                logger.warning("Secret %s not read: %s", source, error.reason)
                found[source] = None
        return found

    def _fill(
        self,
        outcome: StackOutcome,
        objects: list[dict[str, Any]],
        result: SyncResult,
        credentials: Credentials,
    ) -> None:
        assert self.inputs is not None and self.output is not None
        stack = self.inputs.stack
        invalid = [
            e
            for e in self.catalog.alert_policies() + self.catalog.business_kpis()
            if e.resource is None
            and stack_selects_labels(
                stack, e.namespace, dict(e.labels), self.inputs.namespace_labels
            )
        ]
        outcome.policies = len(self.inputs.alert_policies)
        outcome.kpis = len(self.inputs.business_kpis)
        outcome.scaling_policies = len(self.inputs.scaling_policies)
        outcome.rules = self.output.rule_count
        outcome.rejected = len(self.output.rejected) + len(invalid)
        outcome.objects = len(objects)
        outcome.apply_errors = [f"{key}: {error.message}" for key, error in result.failures.items()]
        outcome.missing_secrets = sorted({m for ms in credentials.missing.values() for m in ms})
        outcome.endpoints = service_endpoints(
            [o for o in objects if o.get("kind") == "Service"], stack.name
        )
        metrics = self.runtime.metrics
        metrics.managed_objects.labels(self.key).set(len(objects))
        metrics.rules_rendered.labels(self.key).set(outcome.rules)
        metrics.selected_policies.labels(self.key, "selected").set(outcome.policies)
        metrics.selected_policies.labels(self.key, "rejected").set(outcome.rejected)
        for error in result.failures.values():
            metrics.reconcile_errors.labels("MonitoringStack", error.reason or "Unknown").inc()

    def _components(
        self, objects: list[dict[str, Any]], stack_name: str
    ) -> dict[str, dict[str, Any]]:
        components = {}
        for obj in objects:
            if obj.get("kind") not in WORKLOAD_KINDS:
                continue
            try:
                live = self.runtime.kube.get(object_key(obj))
            except KubeError:
                live = None
            components[component_name(obj, stack_name)] = component_status(live, obj)
        return components

    async def _finish(self, entry: Entry, outcome: StackOutcome, result: SyncResult | None) -> None:
        runtime = self.runtime
        existing = runtime.live_status.get(("MonitoringStack", self.key)) or {}
        status = stack_status(outcome, existing, now_rfc3339())
        await runtime.write_status("MonitoringStack", entry.namespace, entry.name, status)
        args = ("MonitoringStack", entry.namespace, entry.name)
        if outcome.render_error:
            await runtime.event(*args, "Warning", "RenderFailed", outcome.render_error, entry.uid)
        if result is None:
            return
        if result.failures:
            await runtime.event(
                *args, "Warning", "ApplyFailed", "; ".join(outcome.apply_errors[:3]), entry.uid
            )
        if result.applied or result.deleted:
            message = f"applied {len(result.applied)} objects, pruned {len(result.deleted)}"
            if result.recreated:
                message += f", recreated {', '.join(str(k) for k in result.recreated)}"
            logger.info("stack %s: %s", self.key, message)
            await runtime.event(*args, "Normal", "Reconciled", message, entry.uid)
        if outcome.missing_secrets:
            await runtime.event(
                *args, "Warning", "SecretMissing", "; ".join(outcome.missing_secrets[:5]), entry.uid
            )

    async def _invalid(self, entry: Entry) -> None:
        message = "; ".join(str(p) for p in entry.problems)
        outcome = StackOutcome(generation=entry.generation, render_error=f"invalid spec: {message}")
        await self._finish(entry, outcome, None)

    async def _policy_statuses(self, credentials: Credentials) -> None:
        """Tell each selected AlertPolicy whether this stack loads it."""
        assert self.inputs is not None and self.output is not None and self.memo is not None
        runtime = self.runtime
        views: dict[str, PolicyView] = {}
        for policy in self.inputs.alert_policies:
            views[policy.key] = PolicyView(
                rules=self.memo.rule_count("AlertPolicy", policy.key),
                problems=tuple(self.output.rejected.get(f"AlertPolicy/{policy.key}", [])),
                missing_secrets=tuple(credentials.missing.get(policy.key, [])),
            )
        for kind_key, problems in self.output.rejected.items():
            kind, _, key = kind_key.partition("/")
            if kind == "AlertPolicy" and key not in views:
                views[key] = PolicyView(problems=tuple(problems))
        touched = set(views) | self.policies
        for key in self.policies - set(views):
            runtime.policy_views.get(key, {}).pop(self.key, None)
        for key, view in views.items():
            runtime.policy_views.setdefault(key, {})[self.key] = view
        self.policies = set(views)
        by_key = {e.key: e for e in self.catalog.alert_policies()}
        current: dict[str, tuple[Any, ...]] = {}
        for key in sorted(touched):
            entry = by_key.get(key)
            if entry is None or entry.deleting:
                continue
            facts = (entry, tuple(sorted(runtime.policy_views.get(key, {}).items())))
            live = runtime.live_status.get(("AlertPolicy", key)) or {}
            if self.statuses.get(key) == facts and live.get("observedGeneration") == (
                entry.generation
            ):
                current[key] = facts  # written from these very facts: nothing would change
                continue
            if await write_policy_status(runtime, entry):
                current[key] = facts
        self.statuses = current

    async def _kpis(self, stack: MonitoringStack, endpoints: dict[str, str]) -> None:
        assert self.inputs is not None
        if time.monotonic() - self.kpis_read < self.runtime.config.kpi_interval:
            return
        self.kpis_read = time.monotonic()
        url = (
            self.runtime.config.prometheus_urls.get(self.key)
            or endpoints.get("prometheus")
            or f"http://{stack.metadata.name}-prometheus.{stack.metadata.namespace}.svc:9090"
        )
        await evaluate_kpis(self.runtime, stack, self.inputs.business_kpis, url)


async def write_policy_status(runtime: Runtime, entry: Entry) -> bool:
    """Write an AlertPolicy's status from its parse result and every stack's view of it;
    False when the write failed."""
    slot = ("AlertPolicy", entry.key)
    views = runtime.policy_views.get(entry.key, {})
    status = policy_status(
        entry.generation,
        entry.problems,
        dict(views),
        runtime.live_status.get(slot) or {},
        now_rfc3339(),
        entry.alert_names,
    )
    before = runtime.live_status.get(slot) or {}
    written = await runtime.write_status("AlertPolicy", entry.namespace, entry.name, status)
    accepted = next((c for c in status["conditions"] if c["type"] == "Accepted"), None)
    was = next((c for c in before.get("conditions") or [] if c.get("type") == "Accepted"), None)
    if (
        accepted
        and accepted["status"] == "False"
        and (was or {}).get("message") != accepted["message"]
    ):
        await runtime.event(
            "AlertPolicy",
            entry.namespace,
            entry.name,
            "Warning",
            str(accepted["reason"]),
            str(accepted["message"]),
            entry.uid,
        )
    return written
