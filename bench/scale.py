"""The operator at scale: a burst of AlertPolicies, single-edit latency, and memory.

Run: .venv/bin/python bench/scale.py [--kubeconfig PATH] [--policies 1000] [--more 4000 ...]

Without --kubeconfig a local control plane is started (the tools must be built:
`augur dev tools --build --for-tests`). One `augur run` is started against it; a stack is
created, then `--policies` AlertPolicies of 10 alerts each are written at once (16 writers)
and the stack's rule ConfigMaps are read until they hold every rule. Then 50 single-policy
edits, each timed until its new expression is in its ConfigMap in the API server. Then, for
each `--more N`, N more policies are added: timed until every policy's rules are in the
ConfigMaps (or until that stalls, when shards are full), then until every policy's status is
current (observedGeneration, and the stack among `status.stacks`); the operator's memory is
read again. `--operator-pythonpath DIR` runs the operator from other sources (e.g. an export
of an older commit), for before/after comparisons.

With --trace-memory DIR the operator runs under tracemalloc (slower: for the memory
breakdown, not for timings): at each memory reading it writes a snapshot into DIR, and the
allocations still held are printed by source line, per policy added since the stack alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from augur.kube.client import KubeClient
from augur.kube.credentials import load_credentials
from augur.kube.ownership import ObjectKey
from augur.render.prometheus.rule_shards import config_map_key
from augur.render.rules.files import rule_file_path
from augur.status.statuses import rules_in_file

ROOT = Path(__file__).resolve().parent.parent
AUGUR = str(Path(sys.executable).parent / "augur")
ALERTS = 10
EDITS = 50


def rss_mib(pid: int) -> tuple[float, float]:
    """Resident set size now and at its peak, in MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            found[line.split(":")[0]] = int(line.split()[1]) / 1024
    return found.get("VmRSS", 0.0), found.get("VmHWM", 0.0)


def traced_operator(snapshots: Path, argv: list[str]) -> None:
    """Run `augur ARGV...` under tracemalloc; each SIGUSR1 writes snapshot-N.pickle."""
    from augur.cli import main as augur_main

    tracemalloc.start(6)
    taken = [0]

    def snapshot(_signum: int, _frame: Any) -> None:
        taken[0] += 1
        target = snapshots / f"snapshot-{taken[0]}.pickle"
        tracemalloc.take_snapshot().dump(str(target) + ".tmp")
        os.replace(str(target) + ".tmp", target)

    signal.signal(signal.SIGUSR1, snapshot)
    sys.argv = ["augur", *argv]
    augur_main()


class Tracer:
    """Asks a traced operator for snapshots and prints what is held, by source line."""

    def __init__(self, pid: int, snapshots: Path) -> None:
        self.pid = pid
        self.snapshots = snapshots
        self.taken = 0
        self.base: tracemalloc.Snapshot | None = None

    def take(self) -> tracemalloc.Snapshot:
        self.taken += 1
        target = self.snapshots / f"snapshot-{self.taken}.pickle"
        os.kill(self.pid, signal.SIGUSR1)
        while not target.exists():
            time.sleep(0.5)
        return tracemalloc.Snapshot.load(str(target)).filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )

    def report(self, label: str, policies: int) -> None:
        snap = self.take()
        if self.base is None or not policies:
            self.base = snap
            total = sum(s.size for s in snap.statistics("filename"))
            print(f"traced {label}: {total / 2**20:.1f} MiB held by Python allocations")
            return
        stats = snap.compare_to(self.base, "lineno")
        grown = sum(s.size_diff for s in stats)
        print(
            f"traced {label}: {grown / 2**20:.1f} MiB more than the stack alone, "
            f"{grown / policies / 1024:.1f} KiB per policy; largest by line:"
        )
        for stat in stats[:15]:
            frame = stat.traceback[0]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            print(f"  {stat.size_diff / policies:8.0f} B/policy  {stat.count_diff:+8d}  {where}")


def policy(namespace: str, index: int, token: str = "0") -> dict[str, Any]:
    """An AlertPolicy of ALERTS alerts; `token` changes one expression."""
    alerts = [
        {
            "name": f"Alert{a}",
            "severity": "high" if a % 2 else "medium",
            "expr": f'sum(rate(http_requests_total{{service="svc-{index}",code=~"5..",'
            f'v="{token if a == 0 else 0}"}}[5m])) > {a + 1}',
            "for": "5m",
            "summary": f"service svc-{index} fails ({a})",
        }
        for a in range(ALERTS)
    ]
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": f"p{index:05d}", "namespace": namespace},
        "spec": {"alerts": alerts},
    }


def stack(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": "platform", "namespace": namespace},
        "spec": {
            "alertmanager": {
                "defaultReceiver": {"name": "default", "webhook": {"url": "http://sink:8080/"}}
            }
        },
    }


def shard_name(namespace: str, index: int) -> tuple[str, int]:
    """The ConfigMap key of policy `index`'s rule file (and 0: the shard depends on the count)."""
    key = config_map_key(rule_file_path("AlertPolicy", namespace, f"p{index:05d}"))
    return key, 0


class Bench:
    def __init__(self, kube: KubeClient, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self.shard_names: dict[int, str] = {}

    def rule_maps(self) -> list[dict[str, Any]]:
        return [
            cm
            for cm in self.kube.list_objects(
                "v1",
                "ConfigMap",
                namespace=self.namespace,
                label_selector="app.kubernetes.io/managed-by=augur",
            )
            if "rules" in cm["metadata"]["name"]
        ]

    def rules_loaded(self, count: int) -> int:
        """Policies among the first `count` whose ConfigMap key holds all their rules."""
        data: dict[str, str] = {}
        for cm in self.rule_maps():
            data.update(cm.get("data") or {})
        return sum(
            1
            for i in range(count)
            if rules_in_file(data.get(shard_name(self.namespace, i)[0], "")) == ALERTS
        )

    def write(self, docs: list[dict[str, Any]]) -> float:
        began = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(self.kube.apply, docs))
        return time.monotonic() - began

    def converge(self, count: int, timeout: float) -> float:
        """Seconds from now until every policy's rules are in the ConfigMaps."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if self.rules_loaded(count) == count:
                return time.monotonic() - began
            time.sleep(0.5 if count <= 1000 else 2)
        raise SystemExit(f"not converged in {timeout}s: {self.rules_loaded(count)}/{count}")

    def loaded_or_stalled(self, count: int, timeout: float) -> tuple[float, int, bool]:
        """Seconds from now until every policy's rules are in the ConfigMaps, or until the
        number loaded stopped growing for 30 s once the stack selects them all (full shards);
        with that number and whether it is all of them."""
        began = time.monotonic()
        loaded, grew = -1, began
        while time.monotonic() - began < timeout:
            now_loaded = self.rules_loaded(count)
            if now_loaded == count:
                return time.monotonic() - began, count, True
            if now_loaded != loaded:
                loaded, grew = now_loaded, time.monotonic()
            elif time.monotonic() - grew > 30 and self.selected() == count:
                return grew - began, loaded, False
            time.sleep(2)
        raise SystemExit(f"rules not loaded in {timeout}s: {self.rules_loaded(count)}/{count}")

    def selected(self) -> int:
        found = self.kube.get(
            ObjectKey("augur.dev/v1alpha1", "MonitoringStack", self.namespace, "platform")
        )
        selected = ((found or {}).get("status") or {}).get("selected") or {}
        return int(selected.get("alertPolicies") or 0)

    def statuses_current(self, count: int, timeout: float) -> float:
        """Seconds from now until every policy's status names the stack at its generation."""
        began = time.monotonic()
        stack = f"{self.namespace}/platform"
        current = 0
        while time.monotonic() - began < timeout:
            current = sum(
                1
                for p in self.kube.list_objects(
                    "augur.dev/v1alpha1", "AlertPolicy", namespace=self.namespace
                )
                if (p.get("status") or {}).get("observedGeneration")
                == p["metadata"].get("generation")
                and stack in ((p.get("status") or {}).get("stacks") or [])
            )
            if current >= count:
                return time.monotonic() - began
            time.sleep(2)
        raise SystemExit(f"statuses not current in {timeout}s: {current}/{count}")

    def shard_map(self, index: int) -> str:
        """Name of the ConfigMap holding policy `index`'s rules."""
        key, _ = shard_name(self.namespace, index)
        for cm in self.rule_maps():
            if key in (cm.get("data") or {}):
                return str(cm["metadata"]["name"])
        raise SystemExit(f"policy {index} is in no ConfigMap")

    def edit_latency(self, index: int, token: str) -> float:
        """Seconds from the write until the ConfigMap in the API server has the edit."""
        name = self.shard_map(index)
        key = ObjectKey("v1", "ConfigMap", self.namespace, name)
        wanted = f'v=\\"{token}\\"'
        began = time.monotonic()
        self.kube.apply(policy(self.namespace, index, token))
        while time.monotonic() - began < 60:
            cm = self.kube.get(key) or {}
            text = (cm.get("data") or {}).get(shard_name(self.namespace, index)[0], "")
            if wanted in text or f'v="{token}"' in text:
                return time.monotonic() - began
            time.sleep(0.02)
        raise SystemExit(f"edit {token} of policy {index} not seen in 60s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """Processor time (user + system) the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def local_control_plane(given: Path | None, where: Path, stack: ExitStack) -> Path:
    """`given`, else the kubeconfig of a local control plane started in `where` (stopped with
    `stack`, and dying with this process)."""
    if given is not None:
        return given
    from augur.dev.cluster import PROGRAMS, ControlPlane
    from augur.dev.tools import tool_path

    binaries = {name: tool_path(name) for name in PROGRAMS}
    plane = stack.enter_context(ControlPlane(where, binaries, die_with_parent=True))
    return Path(plane.kubeconfig)


def install_augur_crds(kubeconfig: Path) -> None:
    """augur's CRDs (`crds/`), applied and established."""
    kubectl = ["kubectl", f"--kubeconfig={kubeconfig}"]
    for args in (
        ["apply", "--server-side", "-f", "crds"],
        ["wait", "--for=condition=Established", "--timeout=60s", "-f", "crds"],
    ):
        subprocess.run([*kubectl, *args], cwd=ROOT, check=True, capture_output=True)


def augur_run_args(kubeconfig: Path, namespace: str) -> list[str]:
    """`augur run` as the benchmarks run it: standalone, watching only the bench's namespace
    (runs back to back on one control plane never see each other's objects)."""
    return [
        *("run", "--kubeconfig", str(kubeconfig), "--namespace-mode", "listed"),
        *("--namespace", namespace),
        *("--listen", "127.0.0.1:0", "--identity", f"bench-{uuid.uuid4().hex[:6]}"),
        "--standalone",
    ]


def run(
    kubeconfig: Path,
    policies: int,
    more: list[int],
    log: Path,
    trace: Path | None,
    operator_pythonpath: str | None = None,
) -> None:
    install_augur_crds(kubeconfig)
    kube = KubeClient(load_credentials(str(kubeconfig)), field_manager="bench")
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    bench = Bench(kube, namespace)
    with log.open("ab") as handle:
        command = augur_run_args(kubeconfig, namespace)
        if trace is not None:
            trace.mkdir(parents=True, exist_ok=True)
            command = [sys.executable, __file__, "--traced-operator", str(trace), *command]
        else:
            command = [AUGUR, *command]
        env = dict(os.environ)
        if operator_pythonpath:
            env["PYTHONPATH"] = operator_pythonpath
        operator = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
    try:
        kube.apply(stack(namespace))
        while not bench.rule_maps():
            time.sleep(0.5)
        time.sleep(5)
        idle = rss_mib(operator.pid)[0]
        tracer = Tracer(operator.pid, trace) if trace is not None else None
        if tracer:
            tracer.report("stack only", 0)
        docs = [policy(namespace, i) for i in range(policies)]
        cpu = cpu_seconds(operator.pid)
        written = bench.write(docs)
        converged = bench.converge(policies, timeout=600) + written
        burst_cpu = cpu_seconds(operator.pid) - cpu
        time.sleep(10)  # let status writes finish before editing and reading memory
        rss_1k = rss_mib(operator.pid)
        if tracer:
            tracer.report(f"{policies} policies", policies)
        cpu = cpu_seconds(operator.pid)
        latencies = [bench.edit_latency(i * 7 % policies, f"e{i}") for i in range(EDITS)]
        edit_cpu = cpu_seconds(operator.pid) - cpu
        print(f"load average before the edits: {os.getloadavg()[0]:.2f}")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {time.strftime('%F')}")
        print(f"operator RSS idle (stack only): {idle:.0f} MiB")
        print(
            f"{policies} policies x {ALERTS} alerts written in {written:.1f}s; "
            f"all rules in the ConfigMaps {converged:.1f}s after the first write; "
            f"operator processor time {burst_cpu:.1f}s"
        )
        print(
            f"single edit -> ConfigMap over {EDITS} edits: p50 {percentile(latencies, 0.5):.2f}s, "
            f"p99 {percentile(latencies, 0.99):.2f}s, max {max(latencies):.2f}s, "
            f"mean {statistics.mean(latencies):.2f}s; operator processor time "
            f"{edit_cpu / EDITS * 1000:.0f} ms per edit"
        )
        print(f"operator RSS with {policies}: {rss_1k[0]:.0f} MiB (peak {rss_1k[1]:.0f})")
        total = policies
        for extra_count in more:
            extra = [policy(namespace, i) for i in range(total, total + extra_count)]
            total += extra_count
            load = os.getloadavg()[0]
            written = bench.write(extra)
            rules_at, loaded, complete = bench.loaded_or_stalled(total, timeout=1800)
            status_after = bench.statuses_current(total, timeout=1800)
            time.sleep(10)
            rss = rss_mib(operator.pid)
            if tracer:
                tracer.report(f"{total} policies", total)
            stack_status = (
                kube.get(ObjectKey("augur.dev/v1alpha1", "MonitoringStack", namespace, "platform"))
                or {}
            ).get("status") or {}
            print(
                f"{total} policies (load average {load:.2f} before the write): "
                f"{extra_count} written in {written:.0f}s; "
                + (
                    f"all rules in the ConfigMaps {rules_at + written:.0f}s after the first write"
                    if complete
                    else f"only {loaded} policies' rules loaded (stalled after "
                    f"{rules_at + written:.0f}s)"
                )
                + f"; every policy status current {status_after:.0f}s after that; "
                f"load average now {os.getloadavg()[0]:.2f}"
            )
            print(f"  rule shards: {stack_status.get('ruleShards')}")
            print(f"operator RSS with {total}: {rss[0]:.0f} MiB (peak {rss[1]:.0f})")
    finally:
        operator.terminate()
        operator.wait(timeout=30)
        kube.delete(ObjectKey("v1", "Namespace", "", namespace))


def main() -> None:
    if sys.argv[1:2] == ["--traced-operator"]:
        traced_operator(Path(sys.argv[2]), sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kubeconfig", type=Path, default=None)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument(
        "--more",
        type=int,
        action="append",
        default=None,
        help="Policies to add after the edits, repeatable (default: 4000).",
    )
    parser.add_argument(
        "--before-pythonpath",
        default=None,
        help="First run everything with the operator from these sources, then again with "
        "--operator-pythonpath's (or this checkout's), on the same control plane.",
    )
    parser.add_argument(
        "--operator-pythonpath",
        default=None,
        help="PYTHONPATH of the operator process (its augur sources), e.g. an older commit's.",
    )
    parser.add_argument("--log", type=Path, default=None, help="Keep the operator's log here.")
    parser.add_argument(
        "--trace-memory",
        type=Path,
        default=None,
        metavar="DIR",
        help="Run the operator under tracemalloc, snapshots in DIR (slow: memory only).",
    )
    args = parser.parse_args()
    with ExitStack() as stack_, tempfile.TemporaryDirectory(prefix="augur-bench-scale-") as tmp:
        kubeconfig = local_control_plane(args.kubeconfig, Path(tmp) / "plane", stack_)
        more = [m for m in (args.more if args.more is not None else [4000]) if m]
        runs = [("before", args.before_pythonpath)] if args.before_pythonpath else []
        runs.append(("after" if runs else "", args.operator_pythonpath))
        for label, pythonpath in runs:
            log = args.log or Path(tmp) / f"operator{'-' + label if label else ''}.log"
            if label:
                print(f"== {label}: operator from {pythonpath or 'this checkout'}", flush=True)
            try:
                run(kubeconfig, args.policies, more, log, args.trace_memory, pythonpath)
            finally:
                print(f"operator log: last lines\n{log.read_text()[-1500:]}", file=sys.stderr)


if __name__ == "__main__":
    main()
