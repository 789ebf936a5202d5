"""Side by side: augur and prometheus-operator v0.85.0 on one local control plane.

Run: nice -n 10 .venv/bin/python bench/versus.py [--kubeconfig PATH] [--objects 1000]
         [--more 4000 ...] [--edits 50] [--only augur|prometheus-operator] [--json OUT]

Without --kubeconfig a local control plane is started (the test set's tools must be built:
`augur dev tools --build --for-tests`); prometheus-operator is built on first use (about 2
minutes after the test set, progress on stderr). augur's CRDs and prometheus-operator's
(Prometheus, PrometheusRule, ServiceMonitor, PodMonitor, Probe) are installed.

Each operator runs in turn, back to back, in a fresh namespace it alone watches, as a child
process that dies with this one, and is measured the same way under the same load:

- augur (`augur run --standalone`): one MonitoringStack, then AlertPolicies of 10 alerts each
  (bench/scale.py's);
- prometheus-operator, out of cluster (KUBECONFIG; no admission webhook registered with the
  API server, no kubelet controller): one `Prometheus` selecting PrometheusRules, then one
  PrometheusRule per AlertPolicy holding exactly the rule file augur renders for it (augur's
  pure renderer: same groups, same rules, same expressions).

Measured for each: RSS idle (the base object only); a burst of `--objects` objects written by
16 writers, until every object's rules are in the rule ConfigMaps (augur's
`<stack>-prometheus-rules-<n>`, prometheus-operator's `prometheus-<name>-rulefiles-<n>`) and the
processor time (user + system, /proc) it took; RSS then; `--edits` single-object edits, each
until the edited expression is in its ConfigMap in the API server (p50, p99) and processor time
per edit; then for each `--more N` N more objects: time until all rules are loaded (or the
count stops growing), how many, the number of rule ConfigMaps, and RSS. The 1-minute load
average is recorded at each step. Progress goes to stderr, results to stdout (a Markdown table
with the ratios augur / prometheus-operator and the issue's goals).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from augur.api.resources import AlertPolicy, MonitoringStack
from augur.dev import processes
from augur.kube.client import KubeClient
from augur.kube.credentials import load_credentials
from augur.kube.ownership import ObjectKey
from augur.render.prometheus.rule_shards import config_map_key
from augur.render.rules.files import RuleFile, render_rule_file, rule_file_path, stack_scope
from augur.render.selection import StackInputs
from scale import (
    AUGUR,
    Bench,
    augur_run_args,
    cpu_seconds,
    install_augur_crds,
    local_control_plane,
    percentile,
    policy,
    rss_mib,
    stack,
)

ROOT = Path(__file__).resolve().parent.parent
AUGUR_NAME = "augur"
PO_NAME = "prometheus-operator"
PROMETHEUS = "bench"
"""Name of prometheus-operator's Prometheus object."""
RULE_LABELS = {"augur.dev/bench": "versus"}
"""Labels of the PrometheusRules, and the Prometheus object's rule selector."""
PO_KINDS = ("Prometheus", "PrometheusRule", "ServiceMonitor", "PodMonitor", "Probe")
"""prometheus-operator's CRDs installed: its Prometheus controller watches all five."""
WRITERS = 16
ALERTS = 10

_RULE_LINE = re.compile(r"^\s*- (?:alert|record|expr):", re.MULTILINE)


def say(message: str) -> None:
    """A progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load() -> float:
    return os.getloadavg()[0]


# --- the objects: augur's, and prometheus-operator's holding exactly augur's rules ----------


def object_name(index: int) -> str:
    """The name of object `index` (an AlertPolicy, or the PrometheusRule standing for it)."""
    return str(policy("x", index)["metadata"]["name"])


def augur_rule_file(namespace: str, index: int, token: str = "0") -> RuleFile:
    """The rule file augur renders for bench/scale.py's AlertPolicy `index` in a stack of the
    same namespace (augur's pure renderer, as the operator calls it)."""
    stack_model = MonitoringStack.model_validate(stack(namespace))
    policy_model = AlertPolicy.model_validate(policy(namespace, index, token))
    scope = stack_scope(StackInputs(stack=stack_model), namespace)
    rendered = render_rule_file(policy_model, scope)
    if not isinstance(rendered, RuleFile):
        raise ValueError(f"policy {index} does not render: {rendered}")
    return rendered


def prometheus_rule(namespace: str, name: str, rule_file: RuleFile) -> dict[str, Any]:
    """A PrometheusRule holding exactly the groups of one augur rule file."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(RULE_LABELS)},
        "spec": {"groups": json.loads(json.dumps(rule_file.groups))},
    }


def prometheus(namespace: str) -> dict[str, Any]:
    """prometheus-operator's one Prometheus, loading the PrometheusRules of its namespace."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Prometheus",
        "metadata": {"name": PROMETHEUS, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "ruleSelector": {"matchLabels": dict(RULE_LABELS)},
            # selects no ServiceMonitor: the operator writes the Prometheus configuration, as
            # in any real use (without a selector it leaves it unmanaged)
            "serviceMonitorSelector": {"matchLabels": dict(RULE_LABELS)},
        },
    }


def count_rules(text: str) -> int:
    """Rules in a rule file as either operator writes it: augur's block YAML (each rule's
    first key `alert` or `record`) and prometheus-operator's (sigs.k8s.io/yaml: keys sorted,
    so an alerting rule starts with `alert` and a recording rule with `expr`)."""
    return len(_RULE_LINE.findall(text))


def po_object_name(data_key: str, namespace: str) -> str | None:
    """The PrometheusRule a key of prometheus-operator's rule ConfigMaps holds:
    `<namespace>-<name>-<uid>.yaml`, the uid 36 characters."""
    prefix, suffix = f"{namespace}-", ".yaml"
    if not (data_key.startswith(prefix) and data_key.endswith(suffix)):
        return None
    middle = data_key[len(prefix) : -len(suffix)]
    if len(middle) < 38 or middle[-37] != "-":
        return None
    return middle[:-37]


def po_command(binary: Path, namespace: str, port: int) -> list[str]:
    """prometheus-operator out of cluster, against the kubeconfig in $KUBECONFIG (it has no
    --kubeconfig flag): only the bench's namespace, no kubelet Endpoints controller (no
    --kubelet-service), metrics and its admission handlers on a local port (no webhook is
    registered with the API server, so none is called)."""
    return [
        str(binary),
        f"--namespaces={namespace}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--kubelet-endpoints=false",
        "--log-level=info",
    ]


def augur_command(kubeconfig: Path, namespace: str) -> list[str]:
    """augur as bench/scale.py runs it: standalone, only the bench's namespace."""
    return [AUGUR, *augur_run_args(kubeconfig, namespace)]


# --- one operator under measurement ---------------------------------------------------------


@dataclass
class Result:
    """What was measured of one operator."""

    name: str
    objects: int = 0
    load: dict[str, float] = field(default_factory=dict)
    rss_idle: float = 0.0
    burst_seconds: float = 0.0
    burst_written: float = 0.0
    burst_cpu: float = 0.0
    rss_burst: float = 0.0
    edits: list[float] = field(default_factory=list)
    edit_cpu_ms: float = 0.0
    more: list[dict[str, Any]] = field(default_factory=list)

    def edit_p(self, share: float) -> float:
        return percentile(self.edits, share) if self.edits else float("nan")


class Subject:
    """One operator: its process, its objects and how to read its rule ConfigMaps."""

    name = ""

    def __init__(self, kube: KubeClient, namespace: str, logs: Path, kubeconfig: Path) -> None:
        self.kube = kube
        self.namespace = namespace
        self.logs = logs
        self.kubeconfig = kubeconfig
        self.process: processes.Process | None = None
        self.where: dict[int, str] = {}
        """ConfigMap an object's rules were last found in."""

    # what differs between the two
    def start(self) -> None:
        raise NotImplementedError

    def base(self) -> dict[str, Any]:
        raise NotImplementedError

    def doc(self, index: int, token: str = "0") -> dict[str, Any]:
        raise NotImplementedError

    def selector(self) -> str:
        raise NotImplementedError

    def is_rule_map(self, name: str) -> bool:
        raise NotImplementedError

    def rules_of(self, data: dict[str, str]) -> dict[str, str]:
        """Object name -> its rule file text, from one ConfigMap's data."""
        raise NotImplementedError

    # the same for both
    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> None:
        if self.process is not None and not self.process.running():
            raise self.process.failure("exited")

    def rule_maps(self) -> list[dict[str, Any]]:
        return [
            cm
            for cm in self.kube.list_objects(
                "v1", "ConfigMap", namespace=self.namespace, label_selector=self.selector()
            )
            if self.is_rule_map(cm["metadata"]["name"])
        ]

    def loaded(self, count: int) -> tuple[int, int]:
        """Objects among the first `count` whose every rule is in a rule ConfigMap; and the
        number of rule ConfigMaps."""
        maps = self.rule_maps()
        found: dict[str, str] = {}
        for cm in maps:
            found.update(self.rules_of(cm.get("data") or {}))
        names = {object_name(i) for i in range(count)}
        full = sum(
            1 for name, text in found.items() if name in names and count_rules(text) == ALERTS
        )
        return full, len(maps)

    def write(self, docs: list[dict[str, Any]]) -> float:
        began = time.monotonic()
        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(self.kube.apply, docs))
        return time.monotonic() - began

    def wait_loaded(self, count: int, timeout: float, stall: float = 300.0) -> tuple[float, int]:
        """Seconds from now until every object's rules are loaded, or until the number loaded
        stopped growing for `stall` seconds; with the number loaded."""
        began = time.monotonic()
        last, grew, told = -1, began, began
        while time.monotonic() - began < timeout:
            self.alive()
            full, maps = self.loaded(count)
            now = time.monotonic()
            if full == count:
                return now - began, full
            if full != last:
                last, grew = full, now
            elif now - grew > stall:
                say(f"{self.name}: stalled at {full}/{count} for {stall:.0f}s")
                return grew - began, full
            if now - told > 15:
                say(
                    f"{self.name}: {full}/{count} objects' rules in {maps} ConfigMaps, "
                    f"{now - began:.0f}s, load {load():.1f}"
                )
                told = now
            time.sleep(1.0 if count <= 1000 else 2.0)
        raise SystemExit(f"{self.name}: rules not loaded in {timeout:.0f}s: {last}/{count}")

    def find(self, index: int) -> tuple[str, str] | None:
        """(ConfigMap name, rule file text) of object `index`, reading the ConfigMap it was
        last in first, and every rule ConfigMap when it is not there (any more)."""
        name = object_name(index)
        cached = self.where.get(index)
        if cached is not None:
            cm = self.kube.get(ObjectKey("v1", "ConfigMap", self.namespace, cached)) or {}
            text = self.rules_of(cm.get("data") or {}).get(name)
            if text is not None:
                return cached, text
        for cm in self.rule_maps():
            text = self.rules_of(cm.get("data") or {}).get(name)
            if text is not None:
                self.where[index] = cm["metadata"]["name"]
                return self.where[index], text
        return None

    def edit_latency(self, index: int, token: str, timeout: float = 120.0) -> float:
        """Seconds from the write until the edited expression is in the API server's
        ConfigMap. Polled at intervals growing 1.25x from 20 ms to 250 ms (the same for both
        operators: fine where edits are fast, and a slow one is not flooded with reads)."""
        self.find(index)
        wanted = (f'v="{token}"', f'v=\\"{token}\\"')
        doc = self.doc(index, token)
        began = time.monotonic()
        self.kube.apply(doc)
        pause = 0.02
        while time.monotonic() - began < timeout:
            found = self.find(index)
            if found is not None and any(w in found[1] for w in wanted):
                return time.monotonic() - began
            time.sleep(pause)
            pause = min(pause * 1.25, 0.25)
        raise SystemExit(f"{self.name}: edit {token} of object {index} not seen in {timeout}s")

    def statuses_after(self, count: int) -> float | None:
        """Seconds from now until every object's status is current, where it has one."""
        return None

    def remove_base(self, timeout: float = 600.0) -> None:
        """Delete the base object while the operator runs, so it can remove its finalizer;
        when it has not within `timeout`, drop the finalizers (the namespace is the bench's
        own and goes next) so the namespace's deletion does not hang."""
        base = self.base()
        key = ObjectKey(base["apiVersion"], base["kind"], self.namespace, base["metadata"]["name"])
        self.kube.delete(key)
        began = time.monotonic()
        while self.kube.get(key) is not None:
            if time.monotonic() - began > timeout:
                say(f"{self.name}: its {key.kind} still there after {timeout:.0f}s")
                subprocess.run(
                    [
                        *("kubectl", f"--kubeconfig={self.kubeconfig}", "-n", self.namespace),
                        *("patch", key.kind.lower(), key.name, "--type=merge"),
                        *("-p", '{"metadata":{"finalizers":null}}'),
                    ],
                    check=False,
                    capture_output=True,
                )
                return
            time.sleep(1)
        say(f"{self.name}: its {key.kind} deleted in {time.monotonic() - began:.0f}s")

    def stop(self) -> None:
        if self.process is not None:
            processes.stop(
                {self.name: self.process.pid},
                children={self.process.pid: self.process.popen}
                if self.process.popen is not None
                else None,
            )


class Augur(Subject):
    name = AUGUR_NAME

    def __init__(self, kube: KubeClient, namespace: str, logs: Path, kubeconfig: Path) -> None:
        super().__init__(kube, namespace, logs, kubeconfig)
        self.keys: dict[str, str] = {}
        """Policy name -> the ConfigMap key of its rule file (see `register`)."""

    def start(self) -> None:
        self.process = processes.start(
            self.name,
            augur_command(self.kubeconfig, self.namespace),
            self.logs,
            die_with_parent=True,
        )

    def base(self) -> dict[str, Any]:
        return stack(self.namespace)

    def doc(self, index: int, token: str = "0") -> dict[str, Any]:
        return policy(self.namespace, index, token)

    def selector(self) -> str:
        return "app.kubernetes.io/managed-by=augur"

    def is_rule_map(self, name: str) -> bool:
        return "rules" in name

    def rules_of(self, data: dict[str, str]) -> dict[str, str]:
        return {name: data[key] for name, key in self.keys.items() if key in data}

    def statuses_after(self, count: int) -> float | None:
        """Seconds from now until every AlertPolicy's status names the stack at its
        generation (bench/scale.py's measure)."""
        return Bench(self.kube, self.namespace).statuses_current(count, timeout=1800)

    def register(self, count: int) -> None:
        """Learn the ConfigMap keys of the first `count` policies."""
        for i in range(len(self.keys), count):
            name = object_name(i)
            self.keys[name] = config_map_key(rule_file_path("AlertPolicy", self.namespace, name))


class PrometheusOperator(Subject):
    name = PO_NAME

    def __init__(
        self, kube: KubeClient, namespace: str, logs: Path, kubeconfig: Path, binary: Path
    ) -> None:
        super().__init__(kube, namespace, logs, kubeconfig)
        self.binary = binary

    def start(self) -> None:
        self.process = processes.start(
            self.name,
            po_command(self.binary, self.namespace, processes.free_port()),
            self.logs,
            env={"KUBECONFIG": str(self.kubeconfig)},
            die_with_parent=True,
        )

    def base(self) -> dict[str, Any]:
        return prometheus(self.namespace)

    def doc(self, index: int, token: str = "0") -> dict[str, Any]:
        rule_file = augur_rule_file(self.namespace, index, token)
        return prometheus_rule(self.namespace, object_name(index), rule_file)

    def selector(self) -> str:
        return f"prometheus-name={PROMETHEUS}"

    def is_rule_map(self, name: str) -> bool:
        return name.startswith(f"prometheus-{PROMETHEUS}-rulefiles-")

    def rules_of(self, data: dict[str, str]) -> dict[str, str]:
        found = {}
        for key, text in data.items():
            name = po_object_name(key, self.namespace)
            if name is not None:
                found[name] = text
        return found


# --- the run ---------------------------------------------------------------------------------


def measure(subject: Subject, objects: int, edits: int, more: list[int]) -> Result:
    result = Result(subject.name, objects)
    result.load["start"] = load()
    say(f"{subject.name}: starting in namespace {subject.namespace} (load {load():.1f})")
    subject.start()
    subject.kube.apply(subject.base())
    began = time.monotonic()
    while not subject.rule_maps():
        subject.alive()
        if time.monotonic() - began > 300:
            raise SystemExit(f"{subject.name}: no rule ConfigMap in 300s")
        time.sleep(0.5)
    time.sleep(5)
    result.rss_idle = rss_mib(subject.pid)[0]
    say(f"{subject.name}: idle, RSS {result.rss_idle:.0f} MiB; writing {objects} objects")
    if isinstance(subject, Augur):
        subject.register(objects + sum(more))
    docs = [subject.doc(i) for i in range(objects)]
    result.load["burst"] = load()
    cpu = cpu_seconds(subject.pid)
    result.burst_written = subject.write(docs)
    seconds, loaded = subject.wait_loaded(objects, timeout=1800)
    result.burst_seconds = seconds + result.burst_written
    result.burst_cpu = cpu_seconds(subject.pid) - cpu
    if loaded != objects:
        raise SystemExit(f"{subject.name}: only {loaded}/{objects} loaded after the burst")
    say(
        f"{subject.name}: {objects} objects' rules loaded {result.burst_seconds:.1f}s after the "
        f"first write, processor {result.burst_cpu:.1f}s"
    )
    time.sleep(10)
    result.rss_burst = rss_mib(subject.pid)[0]
    result.load["edits"] = load()
    cpu = cpu_seconds(subject.pid)
    for i in range(edits):
        result.edits.append(subject.edit_latency(i * 7 % objects, f"e{i}"))
        if (i + 1) % 10 == 0:
            say(
                f"{subject.name}: {i + 1}/{edits} edits, last {result.edits[-1]:.2f}s, "
                f"load {load():.1f}"
            )
    result.edit_cpu_ms = (cpu_seconds(subject.pid) - cpu) / max(edits, 1) * 1000
    total = objects
    for extra in more:
        result.load[f"more-{total + extra}"] = load()
        docs = [subject.doc(i) for i in range(total, total + extra)]
        total += extra
        say(f"{subject.name}: writing {extra} more objects ({total} in all)")
        cpu = cpu_seconds(subject.pid)
        written = subject.write(docs)
        seconds, loaded = subject.wait_loaded(total, timeout=3600)
        processor = cpu_seconds(subject.pid) - cpu
        statuses = subject.statuses_after(total)  # from when the last rule was seen loaded
        time.sleep(10)
        final, maps = subject.loaded(total)
        step = {
            "objects": total,
            "added": extra,
            "statuses_after": statuses,
            "seconds": seconds + written,
            "loaded": loaded,
            "loaded_at_end": final,
            "configmaps": maps,
            "cpu": processor,
            "rss": rss_mib(subject.pid)[0],
        }
        result.more.append(step)
        say(
            f"{subject.name}: {loaded}/{total} objects' rules loaded ({final} at the end, in "
            f"{maps} ConfigMaps), "
            f"{step['seconds']:.0f}s after the first write, RSS {step['rss']:.0f} MiB"
            + (f"; statuses current {statuses:.0f}s after that" if statuses is not None else "")
        )
    result.load["end"] = load()
    return result


@contextmanager
def namespace_for(kube: KubeClient, label: str) -> Iterator[str]:
    """A fresh namespace, deleted afterwards and waited for, so that the next operator's run
    does not share the machine with the deletion of this one's objects."""
    name = f"versus-{label}-{uuid.uuid4().hex[:5]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    key = ObjectKey("v1", "Namespace", "", name)
    try:
        yield name
    except BaseException:
        kube.delete(key)  # no waiting when the run failed or was interrupted
        raise
    kube.delete(key)
    say(f"deleting namespace {name}")
    began = time.monotonic()
    while kube.get(key) is not None and time.monotonic() - began < 600:
        time.sleep(2)


def install_crds(kubeconfig: Path, kube: KubeClient) -> None:
    from augur.dev.promoperator_crds import promoperator_crds

    install_augur_crds(kubeconfig)
    kubectl = ["kubectl", f"--kubeconfig={kubeconfig}"]
    for crd in promoperator_crds(PO_KINDS):
        kube.apply(crd, field_manager="bench")
    names = [f"crd/{crd['metadata']['name']}" for crd in promoperator_crds(PO_KINDS)]
    subprocess.run(
        [*kubectl, "wait", "--for=condition=Established", "--timeout=60s", *names],
        check=True,
        capture_output=True,
    )


# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    measure: str
    goal: str
    value: str
    met: bool | None  # None: not measured in this run


def final(step: dict[str, Any]) -> int:
    """Objects whose rules were loaded at the end of a step (after the statuses and 10 s)."""
    return int(step.get("loaded_at_end", step["loaded"]))


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def goals(augur: Result, po: Result) -> list[Goal]:
    """The issue's goals that this benchmark measures, judged on one run of both."""
    found: list[Goal] = []
    r = ratio(augur.burst_seconds, po.burst_seconds)
    found.append(
        Goal(
            f"{augur.objects:,} objects → all rules in ConfigMaps",
            "≤ 0.5× prometheus-operator",
            f"{r:.2f}×",
            r <= 0.5,
        )
    )
    p99, po_p99 = augur.edit_p(0.99), po.edit_p(0.99)
    r = ratio(p99, po_p99)
    found.append(
        Goal(
            "single edit → ConfigMap, p99",
            "≤ 0.1× prometheus-operator and ≤ 2 s",
            f"{r:.2f}×, {p99:.2f} s",
            r <= 0.1 and p99 <= 2.0,
        )
    )
    r = ratio(augur.edit_cpu_ms, po.edit_cpu_ms)
    found.append(
        Goal("processor time per edit", "≤ 0.02× prometheus-operator", f"{r:.3f}×", r <= 0.02)
    )
    r = ratio(augur.rss_idle, po.rss_idle)
    found.append(Goal("RSS idle", "≤ 1.5× prometheus-operator", f"{r:.2f}×", r <= 1.5))
    pairs = [(a, p) for a in augur.more for p in po.more if a["objects"] == p["objects"] == 5000]
    if pairs:
        a, p = pairs[0]
        r = ratio(a["rss"], p["rss"])
        found.append(
            Goal("RSS at 5,000 objects", "≤ 0.5× prometheus-operator", f"{r:.2f}×", r <= 0.5)
        )
    else:
        found.append(Goal("RSS at 5,000 objects", "≤ 0.5× prometheus-operator", "not run", None))
    after = [a["statuses_after"] for a in augur.more if a["objects"] == 5000]
    found.append(
        Goal(
            "statuses current after a 5,000-object burst",
            "≤ 30 s after the last rule is loaded",
            f"{after[0]:.0f} s" if after else "not run",
            after[0] <= 30 if after else None,
        )
    )
    for size in (5000, 10000):
        steps = [a for a in augur.more if a["objects"] == size]
        if steps:
            share = final(steps[0]) / size
            found.append(Goal(f"rules loaded at {size:,}", "100%", f"{share:.0%}", share == 1.0))
        else:
            found.append(Goal(f"rules loaded at {size:,}", "100%", "not run", None))
    return found


def table(augur: Result, po: Result) -> str:
    """Markdown: each measure for both, and augur / prometheus-operator."""

    def row(label: str, a: float, p: float, unit: str, digits: int = 1) -> str:
        return f"| {label} | {p:,.{digits}f} {unit} | {a:,.{digits}f} {unit} | {ratio(a, p):.2f} |"

    lines = [
        "| measure | prometheus-operator | augur | augur / PO |",
        "|---|---|---|---|",
        row(
            f"{augur.objects:,} objects → all rules in ConfigMaps",
            augur.burst_seconds,
            po.burst_seconds,
            "s",
        ),
        row("processor time of that burst", augur.burst_cpu, po.burst_cpu, "s"),
        row("edit → ConfigMap, p50", augur.edit_p(0.5), po.edit_p(0.5), "s", 2),
        row("edit → ConfigMap, p99", augur.edit_p(0.99), po.edit_p(0.99), "s", 2),
        row("processor time per edit", augur.edit_cpu_ms, po.edit_cpu_ms, "ms", 0),
        row("RSS idle", augur.rss_idle, po.rss_idle, "MiB", 0),
        row(f"RSS at {augur.objects:,}", augur.rss_burst, po.rss_burst, "MiB", 0),
    ]
    for a, p in zip(augur.more, po.more, strict=False):
        n = a["objects"]
        lines += [
            row(
                f"{n:,} objects → rules loaded, from the first write",
                a["seconds"],
                p["seconds"],
                "s",
            ),
            row(f"processor time of those {a['added']:,}", a["cpu"], p["cpu"], "s"),
            row(f"RSS at {n:,}", a["rss"], p["rss"], "MiB", 0),
            f"| rules loaded at {n:,} (at the end) | {final(p):,} objects' in "
            f"{p['configmaps']} ConfigMaps | {final(a):,} objects' in {a['configmaps']} "
            "ConfigMaps | — |",
        ]
    return "\n".join(lines)


def report(results: dict[str, Result]) -> str:
    lines = [
        f"machine: {platform.machine()}, nproc {os.cpu_count()}, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    ]
    for result in results.values():
        loads = ", ".join(f"{k} {v:.2f}" for k, v in result.load.items())
        lines.append(f"{result.name}: 1-minute load average at {loads}")
        if result.edits:
            lines.append(
                f"{result.name}: edits mean {statistics.mean(result.edits):.2f}s, "
                f"max {max(result.edits):.2f}s"
            )
    if AUGUR_NAME in results and PO_NAME in results:
        augur, po = results[AUGUR_NAME], results[PO_NAME]
        lines += ["", table(augur, po), "", "| measure | goal | augur | met |", "|---|---|---|---|"]
        for goal in goals(augur, po):
            met = {True: "met", False: "**not met**", None: "—"}[goal.met]
            lines.append(f"| {goal.measure} | {goal.goal} | {goal.value} | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kubeconfig", type=Path, default=None)
    parser.add_argument("--objects", type=int, default=1000, help="Objects of the burst.")
    parser.add_argument(
        "--more",
        type=int,
        action="append",
        default=None,
        help="Objects to add after the edits, repeatable (default: 4000, to 5,000 in all).",
    )
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument(
        "--only", choices=(AUGUR_NAME, PO_NAME), default=None, help="Measure one operator."
    )
    parser.add_argument(
        "--first", choices=(AUGUR_NAME, PO_NAME), default=PO_NAME, help="Which runs first."
    )
    parser.add_argument("--json", type=Path, default=None, help="Write the results here too.")
    parser.add_argument("--logs", type=Path, default=None, help="Keep the operators' logs here.")
    args = parser.parse_args()
    more = [m for m in (args.more if args.more is not None else [4000]) if m]
    order = [args.first, AUGUR_NAME if args.first == PO_NAME else PO_NAME]
    if args.only:
        order = [args.only]
    binary: Path | None = None
    if PO_NAME in order:
        from augur.dev.tools import tool_path

        binary = tool_path(PO_NAME)  # built on first use, with progress on stderr
    with ExitStack() as stack_, tempfile.TemporaryDirectory(prefix="augur-bench-versus-") as tmp:
        if args.kubeconfig is None:
            say("starting a local control plane")
        kubeconfig = local_control_plane(args.kubeconfig, Path(tmp) / "plane", stack_)
        kube = KubeClient(load_credentials(str(kubeconfig)), field_manager="bench")
        say("installing augur's and prometheus-operator's CRDs")
        install_crds(kubeconfig, kube)
        logs = args.logs or Path(tmp) / "logs"
        results: dict[str, Result] = {}
        for name in order:
            with namespace_for(kube, "po" if name == PO_NAME else "augur") as namespace:
                subject: Subject
                if name == PO_NAME:
                    assert binary is not None
                    subject = PrometheusOperator(kube, namespace, logs, kubeconfig, binary)
                else:
                    subject = Augur(kube, namespace, logs, kubeconfig)
                try:
                    results[name] = measure(subject, args.objects, args.edits, more)
                    print(json.dumps(asdict(results[name])), flush=True)
                finally:
                    if name not in results:
                        say(
                            f"{name}: last lines of its log\n{processes.tail(logs / f'{name}.log')}"
                        )
                    if subject.process is not None and subject.process.running():
                        say(f"{name}: deleting its {subject.base()['kind']}")
                        subject.remove_base()
                    subject.stop()
        print(report(results))
        if args.json:
            args.json.write_text(
                json.dumps({k: asdict(v) for k, v in results.items()}, indent=2) + "\n"
            )


if __name__ == "__main__":
    main()
