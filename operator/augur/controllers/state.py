"""What the controllers share, kept in kopf's memo: clients, the catalog, stores, workers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from augur.controllers.rule_tests import RuleTestRunner, RuleTestSettings
from augur.controllers.scaling_pool import ScalingPool
from augur.controllers.tool_check import ToolChecker, ToolCheckSettings
from augur.controllers.writers import EventWriter, StatusWriter
from augur.kube.client import KubeClient
from augur.kube.sync import ApplyFence, ListScope
from augur.memory import QuietTrim
from augur.metrics import OperatorMetrics
from augur.status.catalog import Catalog, Entry, ParseCache
from augur.status.sharding import shard_of
from augur.status.stores import KPIReadings, PolicyViews, SeenStore


class URLFile:
    """A file of `NAMESPACE/STACK=URL` lines, re-read whenever it changes (one stat per look:
    cheap next to the Prometheus query the URL is looked up for)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._urls: dict[str, str] = {}

    def urls(self) -> dict[str, str]:
        """The mapping as the file says now; {} while it does not exist. Lines that are not
        NAMESPACE/STACK=URL are skipped."""
        try:
            info = self.path.stat()
        except OSError:
            return {}
        seen = (info.st_mtime_ns, info.st_size)
        if seen != self._seen:
            try:
                text = self.path.read_text()
            except OSError:
                return self._urls
            self._urls = parse_prometheus_urls(text.splitlines())
            self._seen = seen
        return self._urls


def parse_prometheus_urls(lines: list[str]) -> dict[str, str]:
    """`NAMESPACE/STACK=URL` lines as a mapping; blank, comment and malformed lines skipped."""
    urls = {}
    for line in lines:
        stack, sep, url = line.strip().partition("=")
        if sep and "/" in stack and url and not stack.startswith("#"):
            urls[stack] = url
    return urls


@dataclass
class OperatorConfig:
    """Timings and mappings of one operator process (from `augur run`'s flags)."""

    identity: str = "augur"
    debounce: float = 0.3
    """Quiet time after a change before a stack renders (changes arriving together coalesce)."""
    lone_change: float = 0.02
    """Quiet time after a change that makes it a lone change (an edit), acted on at once."""
    debounce_max: float = 2.0
    """Longest a stack waits for quiet while changes keep arriving."""
    drift_interval: float = 10.0
    """How often owned objects are checked against what augur wrote."""
    secret_refresh: float = 60.0
    """How often referenced Secrets are re-read although their users did not change."""
    kpi_interval: float = 60.0
    """How often BusinessKPIs are read from Prometheus."""
    kpi_concurrency: int = 4
    """BusinessKPIs read from Prometheus at once, across every stack (the rest wait)."""
    prometheus_urls: dict[str, str] = field(default_factory=dict)
    """Prometheus URL by stack (namespace/name), for an operator running outside the cluster."""
    namespaces: tuple[str, ...] | None = None
    """The watched namespaces (None: every namespace); only there may stack objects be listed."""
    operator_namespace: str | None = None
    """Where the operator's own pods run, for the stacks' scrape job and network policies."""
    prometheus_url_file: URLFile | None = None
    """More such URLs, from a file that may change while the operator runs."""
    scaling_concurrency: int = 1
    """ScalingPolicy fits running at once, each in its own worker process (the rest wait
    their turn); see `augur.controllers.scaling_pool`."""
    rule_tests: RuleTestSettings = field(default_factory=RuleTestSettings)
    """How AlertPolicy rule tests are run (promtool, timeout, calls at once)."""
    shard: str = ""
    """The operator shard this process serves ("": the default shard, stacks without the
    shard label); see `augur.status.sharding`."""
    tool_checks: ToolCheckSettings = field(default_factory=ToolCheckSettings)
    """How objects' output is checked with promtool and amtool before stacks load it."""

    @property
    def list_scope(self) -> ListScope:
        """Where this operator's identity may list a stack's objects."""
        return ListScope(self.namespaces, self.operator_namespace)

    def prometheus_url(self, stack_key: str, endpoints: Mapping[str, str]) -> str:
        """Where the operator reaches a stack's Prometheus: the `--prometheus-url` mapping,
        else the stack's Service (from its rendered endpoints, or by the Service's name)."""
        namespace, _, name = stack_key.partition("/")
        from_file = self.prometheus_url_file.urls() if self.prometheus_url_file else {}
        return (
            self.prometheus_urls.get(stack_key)
            or from_file.get(stack_key)
            or endpoints.get("prometheus")
            or f"http://{name}-prometheus.{namespace}.svc:9090"
        )


def now_rfc3339() -> str:
    """The current time as Kubernetes writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Pokeable(Protocol):
    """A stack worker, as far as change notification is concerned."""

    def poke(self) -> None: ...


class Workers:
    """The running workers of one kind (stacks, ScalingPolicies), by namespace/name."""

    def __init__(self) -> None:
        self._workers: dict[str, Pokeable] = {}

    def started(self, key: str, worker: Pokeable) -> None:
        """`worker` now keeps stack `key` reconciled."""
        self._workers[key] = worker

    def stopped(self, key: str, worker: Pokeable) -> None:
        """`worker` ended (unless another has replaced it already)."""
        if self._workers.get(key) is worker:
            del self._workers[key]

    def poke(self, keys: set[str] | list[str]) -> None:
        """Ask these workers to run soon (they coalesce the requests)."""
        for key in keys:
            worker = self._workers.get(key)
            if worker is not None:
                worker.poke()

    def poke_all(self) -> None:
        """Ask every worker to run soon."""
        self.poke(list(self._workers))


class OperatorState:
    """Everything the controllers share in one operator process."""

    def __init__(
        self,
        config: OperatorConfig,
        kube: KubeClient,
        metrics: OperatorMetrics,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.config = config
        self.kube = kube
        self.metrics = metrics
        self.session = session
        """For Prometheus queries; opened at startup."""
        self.catalog: Catalog | None = None
        """Set at startup, once kopf's indexes exist."""
        self.parsed = ParseCache()
        self.workers = Workers()
        """Stack workers."""
        self.scaling_workers = Workers()
        """ScalingPolicy workers."""
        self.scaling = ScalingPool(config.scaling_concurrency)
        """Where ScalingPolicy evaluations run: fit worker processes, their own I/O threads,
        a bound on evaluations in flight."""
        self.scaling_stacks: dict[str, set[str]] = {}
        """Per ScalingPolicy, the stacks that selected it when it last changed (told again
        when it changes or goes: their dashboard and count include it)."""
        self.promoperator_stacks: dict[str, set[str]] = {}
        """Per prometheus-operator object ('Kind/namespace/name'), the stacks that selected
        it when it last changed (told again when it changes or goes)."""
        self.scaling_locks: dict[str, asyncio.Lock] = {}
        """Per ScalingPolicy: held while it evaluates or is restored on deletion."""
        self.statuses = StatusWriter(kube, metrics)
        self.events = EventWriter(kube, config.identity)
        self.seen = SeenStore()
        self.policy_views = PolicyViews()
        self.kpi_readings = KPIReadings()
        self.rule_tests = RuleTestRunner(config.rule_tests)
        """Runs AlertPolicy rule tests in the background; its results go into their status."""
        self.kpi_slots = asyncio.Semaphore(config.kpi_concurrency)
        """Bounds the BusinessKPI readings running at once."""
        self.fences: dict[str, ApplyFence] = {}
        """Per stack uid: closed when the stack is being deleted, so nothing applies again."""
        self.tool_checks = ToolChecker(config.tool_checks)
        """Checks objects' output with promtool and amtool (shared by every stack)."""
        self.heap = QuietTrim()
        """Gives free heap pages back once the stacks' passes have gone quiet."""
        self.heap_ticks: asyncio.Task[None] | None = None
        """The task that ticks `heap` (started at startup)."""
        self.foreign_stack_changes = 0
        """Counts changes of other shards' stacks: who writes a shared policy's status may
        have changed with them (see `augur.status.sharding`)."""

    def in_shard(self, labels: Mapping[str, str] | Iterable[tuple[str, str]]) -> bool:
        """True when an object with these labels (a stack, a ScalingPolicy) is this
        process's to act on."""
        return shard_of(labels) == self.config.shard

    def foreign_stack_changed(self) -> None:
        """A stack of another shard changed: re-check who writes the shared statuses."""
        self.foreign_stack_changes += 1
        self.workers.poke_all()

    def index(self, kind: str, body: Any) -> Entry:
        """Parse a body (cached) and remember the status it carries."""
        entry = self.parsed.entry(body)
        self.statuses.seen(kind, entry.key, dict(body.get("status") or {}))
        return entry

    def changed(self, entry: Entry) -> bool:
        """True when `entry` differs from what was last acted on (and remember it)."""
        return self.seen.changed(entry.kind, entry.key, entry.signature)

    def forget(self, kind: str, key: str, uid: str) -> None:
        """Drop what is known of a deleted object."""
        self.seen.forget(kind, key)
        self.statuses.forget(kind, key)
        self.parsed.forget(uid)
        if kind == "AlertPolicy":
            self.rule_tests.forget(key)
        if kind == "MonitoringStack":
            self.fences.pop(uid, None)
        if kind == "BusinessKPI":
            self.kpi_readings.forget(key)
        if kind == "ScalingPolicy":
            namespace, _, name = key.partition("/")
            self.metrics.scaling.forget(namespace, name)
            self.scaling_locks.pop(key, None)

    def fence(self, uid: str) -> ApplyFence:
        """The apply fence of the stack with this uid (created on first use)."""
        return self.fences.setdefault(uid, ApplyFence())

    def scaling_lock(self, key: str) -> asyncio.Lock:
        """The lock of one ScalingPolicy (created on first use)."""
        return self.scaling_locks.setdefault(key, asyncio.Lock())
