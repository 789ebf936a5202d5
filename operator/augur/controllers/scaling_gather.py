"""The gather step of a ScalingPolicy: its load history from the stack's Prometheus, its
target's replicas and the object whose minimum augur steers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from augur.api.resources import MonitoringStack, ScalingPolicy
from augur.controllers.state import OperatorState
from augur.forecast.series import Series
from augur.kube.ownership import ObjectKey
from augur.prom.client import PromClient, PromError
from augur.prom.range_query import query_range
from augur.scaling.evaluate import Observed
from augur.scaling.inputs import (
    HPA_API_VERSION,
    SCALED_OBJECT_API_VERSION,
    FloorHolder,
    QueryProblem,
    StackChoice,
    history_window,
    hpa_holder,
    is_paused,
    keda_owner,
    load_query,
    scaled_object_holder,
)

PROMETHEUS_TIMEOUT = 15.0
"""Seconds one range query may take: a slow Prometheus counts as unreachable, not as a
stuck evaluation."""


class ScalingGather:
    """Reads what one evaluation of a policy starts from (the Kubernetes reads in threads)."""

    def __init__(self, state: OperatorState) -> None:
        self.state = state

    async def observe(
        self, policy: ScalingPolicy, choice: StackChoice, annotations: Mapping[str, str], now: float
    ) -> Observed:
        """History (or why there is none), the target's replicas and the floor holder."""
        scale, holder = await self.state.scaling.io(self.read_cluster, policy)
        target_found = scale is not None
        history: Series | QueryProblem
        non_finite = 0
        if not target_found:
            history = QueryProblem("NotRead", "the target does not exist")
        else:
            history, non_finite = await self.history(policy, choice, now)
        replicas = ((scale or {}).get("status") or {}).get("replicas")
        return Observed(
            history=history,
            target_found=target_found,
            current_replicas=int(replicas) if isinstance(replicas, int) else None,
            holder=holder,
            paused=is_paused({"annotations": dict(annotations)}),
            non_finite_samples=non_finite,
        )

    async def history(
        self, policy: ScalingPolicy, choice: StackChoice, now: float
    ) -> tuple[Series | QueryProblem, int]:
        """The load over `forecast.history` and the count of NaN/Inf samples in it."""
        if choice.stack is None:
            assert choice.problem is not None
            return choice.problem, 0
        catalog = self.state.catalog
        entry = catalog.stack(choice.stack) if catalog is not None else None
        stack = entry.resource if entry is not None else None
        if not isinstance(stack, MonitoringStack):
            return QueryProblem("StackNotValid", f"MonitoringStack {choice.stack} is not valid"), 0
        if not stack.spec.prometheus.enabled:
            return QueryProblem(
                "PrometheusDisabled", f"MonitoringStack {choice.stack} runs no Prometheus"
            ), 0
        try:
            query = load_query(policy.spec, policy.namespace, stack)
        except ValueError as error:
            return QueryProblem("InvalidQuery", f"spec.metric.query: {error}"), 0
        endpoints = self.state.statuses.known("MonitoringStack", choice.stack).get("endpoints")
        url = self.state.config.prometheus_url(
            choice.stack, endpoints if isinstance(endpoints, dict) else {}
        )
        session = self.state.session
        assert session is not None, "the HTTP session is opened at startup"
        window = history_window(policy.spec, now)
        client = PromClient(url, session, timeout=PROMETHEUS_TIMEOUT)
        try:
            result = await query_range(
                client, query, start=window.start, end=window.end, step=window.step
            )
        except PromError as error:
            return QueryProblem(error.reason, str(error)), 0
        return result.series, result.non_finite

    def read_cluster(
        self, policy: ScalingPolicy
    ) -> tuple[dict[str, Any] | None, FloorHolder | None]:
        """The target's scale subresource and the floor holder (None when missing)."""
        kube = self.state.kube
        target = policy.spec.target_ref
        scale = kube.get_scale(
            ObjectKey(target.api_version, target.kind, policy.namespace, target.name)
        )
        hpa_ref = policy.spec.hpa_ref
        if hpa_ref is None:
            return scale, None
        return scale, read_holder(self.state, policy.namespace, hpa_ref.name)


def read_holder(state: OperatorState, namespace: str, hpa_name: str) -> FloorHolder | None:
    """The HPA `hpa_name`, or the KEDA ScaledObject that owns it; None when the HPA is missing."""
    hpa = state.kube.get(ObjectKey(HPA_API_VERSION, "HorizontalPodAutoscaler", namespace, hpa_name))
    if hpa is None:
        return None
    owner = keda_owner(hpa)
    if owner is not None:
        scaled = state.kube.get(
            ObjectKey(SCALED_OBJECT_API_VERSION, "ScaledObject", namespace, owner)
        )
        if scaled is not None:
            return scaled_object_holder(scaled)
    return hpa_holder(hpa)
