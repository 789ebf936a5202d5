"""ScalingPolicies at scale: one operator evaluating many policies against a real Prometheus.

Run: nice .venv/bin/python bench/scaling.py [--kubeconfig PATH] [--policies 500]
         [--interval 120] [--rounds 2] [--alert-policies 100] [--direct 100]

A TSDB is backfilled with promtool with `--policies` series of 14 days at 5m, each derived
from the e2e trace (e2e/data/elb_request_count_8c0756.csv) with its own shift, scale and
offset; a small exporter in this process keeps them fresh, and the pinned Prometheus serves
them. Without --kubeconfig a local control plane is started (the tools must be built). One
`augur run` (standalone, `--prometheus-url` pointing at that Prometheus) is started; a
MonitoringStack, `--alert-policies` AlertPolicies and one Deployment per ScalingPolicy are
created, then the ScalingPolicies (mode recommend, `evaluationInterval` `--interval`), each
querying its own series.

Measured: the processor time of the operator and its forecast workers (`/proc/PID/stat`,
finished children included) for the first round (every
policy selects its method) and over `--rounds` later rounds (refits of the kept method),
per evaluation from the operator's `augur_scaling_evaluations_total`; RSS before the
ScalingPolicies and after the rounds; 50 AlertPolicy edits timed until their ConfigMap has
them (as bench/scale.py measures them) while the policies evaluate. Then, with the operator
stopped, `--direct` evaluations end to end in this process (query_range + fit + status).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import http.server
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp

import scale
from augur.api.resources import ScalingPolicy
from augur.controllers.scaling_report import merged_status
from augur.dev.processes import Process, free_port, start, stop, wait_until
from augur.dev.tools import tool_path
from augur.kube.client import KubeClient
from augur.kube.credentials import load_credentials
from augur.prom.client import PromClient
from augur.prom.range_query import query_range
from augur.scaling.evaluate import Observed
from augur.scaling.inputs import history_window
from augur.scaling.kept import kept_state_from_status
from augur.scaling.policy import evaluate_policy
from scale import EDITS, Bench, Tracer, percentile, policy, stack
from scale import cpu_seconds as process_cpu_seconds
from scale import rss_mib as process_rss_mib

ROOT = Path(__file__).resolve().parent.parent
AUGUR = str(Path(sys.executable).parent / "augur")
TRACE = ROOT / "e2e" / "data" / "elb_request_count_8c0756.csv"
STEP = 300
METRIC = "augur_bench_load"
STACK = "platform"  # bench/scale.py's stack


def descendants(pid: int) -> list[int]:
    """`pid` and every live process below it (the operator's forecast workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            children.setdefault(int(stat[1]), []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        found.append(queue.pop())
        queue.extend(children.get(found[-1], []))
    return found


def cpu_seconds(pid: int) -> float:
    """Processor time of the operator and its live workers (and of workers that ended)."""
    total = 0.0
    for each in descendants(pid):
        try:
            total += process_cpu_seconds(each)
            stat = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
            total += (int(stat[13]) + int(stat[14])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    return total


def rss_mib(pid: int) -> tuple[float, float]:
    """Resident set size of the operator and its workers, now and summed peaks, in MiB."""
    now = peak = 0.0
    for each in descendants(pid):
        try:
            rss, hwm = process_rss_mib(each)
        except OSError:
            continue
        now, peak = now + rss, peak + hwm
    return now, peak


def pss_mib(pid: int) -> dict[str, float]:
    """Proportional set size (shared pages divided among the processes that map them: what
    the processes together take from the machine) of the operator and of its workers, MiB."""
    found = {"operator": 0.0, "workers": 0.0}
    for each in descendants(pid):
        try:
            rollup = Path(f"/proc/{each}/smaps_rollup").read_text()
        except OSError:
            continue
        kib = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
        found["operator" if each == pid else "workers"] += kib / 1024
    return found


def trace_values() -> list[float]:
    with TRACE.open() as handle:
        return [float(row["value"]) for row in csv.DictReader(handle)]


def series_value(values: list[float], index: int, k: int) -> float:
    """Point k of series `index`: the trace shifted, scaled and offset per series."""
    shift = index * 37 % len(values)
    scale = 0.5 + (index % 7) * 0.25
    offset = (index % 11) * 10.0
    return round(values[(k + shift) % len(values)] * scale + offset, 3)


def write_openmetrics(path: Path, values: list[float], series: int, end: int) -> None:
    """`series` series of len(values) points each, the last at `end`, ending with `# EOF`."""
    first = end - (len(values) - 1) * STEP
    with path.open("w") as out:
        out.write(f"# TYPE {METRIC} gauge\n")
        for i in range(series):
            name = f'{METRIC}{{series="s{i:04d}"}}'
            out.writelines(
                f"{name} {series_value(values, i, k)} {first + k * STEP}\n"
                for k in range(len(values))
            )
        out.write("# EOF\n")


class Exporter(http.server.ThreadingHTTPServer):
    """Serves every series' value for now, continuing where the backfill ended."""

    def __init__(self, values: list[float], series: int, end: int) -> None:
        self.values = values
        self.series = series
        self.end = end
        super().__init__(("127.0.0.1", 0), ExporterHandler)


class ExporterHandler(http.server.BaseHTTPRequestHandler):
    server: Exporter

    def do_GET(self) -> None:
        server = self.server
        k = int((time.time() - server.end) // STEP) + len(server.values)
        lines = [f"# TYPE {METRIC} gauge"]
        lines += [
            f'{METRIC}{{series="s{i:04d}"}} {series_value(server.values, i, k)}'
            for i in range(server.series)
        ]
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


def start_prometheus(root: Path, series: int, stack_: ExitStack) -> str:
    """A Prometheus on 14 backfilled days of `series` series; its URL."""
    values = trace_values()
    end = int(time.time()) - 60
    root.mkdir(parents=True, exist_ok=True)
    source = root / "load.om"
    began = time.monotonic()
    write_openmetrics(source, values, series, end)
    data = root / "data"
    subprocess.run(
        [str(tool_path("promtool")), "tsdb", "create-blocks-from", "openmetrics", str(source),
         str(data)],
        check=True, capture_output=True, timeout=1800,
    )  # fmt: skip
    source.unlink()
    print(
        f"backfilled {series} series x {len(values)} points in {time.monotonic() - began:.0f}s",
        flush=True,
    )
    exporter = Exporter(values, series, end)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    stack_.callback(exporter.server_close)
    stack_.callback(exporter.shutdown)
    config = root / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 15s}\n"
        "scrape_configs:\n"
        f"  - job_name: load\n    static_configs: [{{targets: ['127.0.0.1:{exporter.server_port}']}}]\n"
    )
    port = free_port()
    process = start(
        "prometheus",
        [
            str(tool_path("prometheus")),
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        root / "logs",
        die_with_parent=True,
    )
    stop_process(stack_, process)
    url = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: urllib.request.urlopen(f"{url}/-/ready", timeout=2).status == 200,
        process,
        "ready",
        timeout=600,
    )
    return url


def stop_process(stack_: ExitStack, process: Process) -> None:
    children = {process.pid: process.popen} if process.popen else None
    stack_.callback(lambda: stop({process.name: process.pid}, children=children))


def scaling_policy(namespace: str, index: int, interval: int) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "ScalingPolicy",
        "metadata": {"name": f"s{index:04d}", "namespace": namespace},
        "spec": {
            "targetRef": {"name": f"w{index:04d}"},
            "metric": {
                "query": f'max({METRIC}{{series="s{index:04d}"}})',
                "perReplicaCapacity": 50,
            },
            "replicas": {"min": 1, "max": 100},
            "mode": "recommend",
            "evaluationInterval": f"{interval}s",
        },
    }


def deployment(namespace: str, index: int) -> dict[str, Any]:
    name = f"w{index:04d}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "example.invalid/app:1"}]},
            },
        },
    }


def scrape(port: int) -> dict[str, float]:
    """The operator's scaling figures: evaluations so far, policies with a series."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=120).read().decode()
    evaluations = 0.0
    evaluated = 0
    for line in text.splitlines():
        if line.startswith("augur_scaling_evaluations_total{"):
            evaluations += float(line.rsplit(" ", 1)[1])
        elif line.startswith("augur_scaling_last_evaluation_timestamp_seconds{"):
            evaluated += 1
    return {"evaluations": evaluations, "evaluated": float(evaluated)}


def results(port: int) -> str:
    """Evaluations so far by the reason of their Ready condition."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=120).read().decode()
    return ", ".join(
        line.removeprefix("augur_scaling_evaluations_total")
        for line in text.splitlines()
        if line.startswith("augur_scaling_evaluations_total{")
    )


def wait_evaluations(port: int, pid: int, count: float, timeout: float) -> dict[str, float]:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        found = scrape(port)
        if found["evaluations"] >= count:
            return found
        if not os.path.exists(f"/proc/{pid}"):
            raise SystemExit("the operator exited")
        time.sleep(2)
    raise SystemExit(f"{count:.0f} evaluations not reached in {timeout:.0f}s: {scrape(port)}")


def run_operator(
    kubeconfig: Path,
    namespace: str,
    prometheus: str,
    log: Path,
    port: int,
    extra: list[str],
    trace: Path | None = None,
) -> Process:
    # Under tracemalloc (--trace-memory) the operator is bench/scale.py's traced runner.
    traced = [sys.executable, scale.__file__, "--traced-operator", str(trace)] if trace else []
    argv = [
        *(traced or [AUGUR]),
        *("run", "--kubeconfig", str(kubeconfig), "--namespace-mode", "all"),
        *("--listen", f"127.0.0.1:{port}", "--identity", f"bench-{uuid.uuid4().hex[:6]}"),
        *("--prometheus-url", f"{namespace}/{STACK}={prometheus}"),
        "--standalone",
        *extra,
    ]
    return start("operator", argv, log.parent, die_with_parent=True)


async def direct_evaluations(
    prometheus: str, namespace: str, policies: int, count: int
) -> dict[str, list[float]]:
    """`count` evaluations end to end in this process: query_range, the fit, the status.

    Each policy is evaluated once to select its method (kept, as the operator keeps it in
    status), then again as a later round does: the times of those second evaluations."""
    times: dict[str, list[float]] = {
        k: [] for k in ("query", "fit", "status", "total", "cpu", "first_total", "first_cpu")
    }
    async with aiohttp.ClientSession() as session:
        client = PromClient(prometheus, session, timeout=60)
        for n in range(count):
            index = n * max(1, policies // count) % policies
            doc = scaling_policy(namespace, index, 300)
            resource = ScalingPolicy.model_validate(doc)
            kept = kept_state_from_status({})
            existing: dict[str, Any] = {}
            for first in (True, False):
                now = time.time()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                window = history_window(resource.spec, now)
                result = await query_range(
                    client,
                    resource.spec.metric.query,
                    start=window.start,
                    end=window.end,
                    step=window.step,
                )
                wall1 = time.perf_counter()
                observed = Observed(
                    history=result.series,
                    target_found=True,
                    current_replicas=1,
                    holder=None,
                    non_finite_samples=result.non_finite,
                )
                evaluation = evaluate_policy(resource.spec, observed, kept, now=now, generation=1)
                wall2 = time.perf_counter()
                existing = merged_status(
                    evaluation.status,
                    evaluation.conditions,
                    existing,
                    1,
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                )
                wall3 = time.perf_counter()
                cpu = time.process_time() - cpu0
                kept = evaluation.kept
                if first:
                    times["first_total"].append(wall3 - wall0)
                    times["first_cpu"].append(cpu)
                    continue
                times["query"].append(wall1 - wall0)
                times["fit"].append(wall2 - wall1)
                times["status"].append(wall3 - wall2)
                times["total"].append(wall3 - wall0)
                times["cpu"].append(cpu)
    return times


def show(label: str, values: list[float]) -> None:
    print(
        f"  {label}: median {statistics.median(values) * 1000:.0f} ms, "
        f"p99 {percentile(values, 0.99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms "
        f"({len(values)})"
    )


def run(args: argparse.Namespace, kubeconfig: Path, root: Path, stack_: ExitStack) -> None:
    scale.install_augur_crds(kubeconfig)
    prometheus = start_prometheus(root / "prometheus", args.policies, stack_)
    kube = KubeClient(load_credentials(str(kubeconfig)), field_manager="bench")
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    bench = Bench(kube, namespace)
    port = free_port()
    log = root / "operator" / "operator.log"
    if args.trace_memory is not None:
        args.trace_memory.mkdir(parents=True, exist_ok=True)
    operator = run_operator(
        kubeconfig, namespace, prometheus, log, port, args.operator_arg, args.trace_memory
    )
    stop_process(stack_, operator)
    pid = operator.pid
    kube.apply(stack(namespace))
    while not bench.rule_maps():
        time.sleep(0.5)
    bench.write([policy(namespace, i) for i in range(args.alert_policies)])
    bench.converge(args.alert_policies, timeout=600)
    bench.write([deployment(namespace, i) for i in range(args.policies)])
    time.sleep(10)
    rss_before = rss_mib(pid)[0]
    pss_before = pss_mib(pid)
    tracer = Tracer(pid, args.trace_memory) if args.trace_memory is not None else None
    if tracer:
        tracer.report("before the ScalingPolicies", 0)
    cpu, idle_began = cpu_seconds(pid), time.monotonic()
    time.sleep(30)
    idle_rate = (cpu_seconds(pid) - cpu) / (time.monotonic() - idle_began)
    load = [os.getloadavg()[0]]

    cpu, began = cpu_seconds(pid), time.monotonic()
    bench.write([scaling_policy(namespace, i, args.interval) for i in range(args.policies)])
    first = wait_evaluations(port, pid, args.policies, timeout=3600)
    first_wall = time.monotonic() - began
    first_cpu = cpu_seconds(pid) - cpu
    load.append(os.getloadavg()[0])
    print(
        f"first round ({args.policies} evaluations, each selecting its method): "
        f"{first_wall:.0f}s wall, {first_cpu:.1f}s operator processor time",
        flush=True,
    )

    # The edits run while the policies evaluate (timed only: each edit costs the operator
    # processor time of its own, so the rounds are counted after them).
    done = first["evaluations"]
    latencies = [bench.edit_latency(i * 7 % args.alert_policies, f"e{i}") for i in range(EDITS)]
    edits_during = scrape(port)["evaluations"] - done
    load.append(os.getloadavg()[0])
    # Later rounds: processor time per evaluation over whole rounds' worth of them.
    done, cpu, began = scrape(port)["evaluations"], cpu_seconds(pid), time.monotonic()
    target = done + args.rounds * args.policies
    after = wait_evaluations(port, pid, target, timeout=args.rounds * args.interval * 20)
    rounds_wall = time.monotonic() - began
    rounds_cpu = cpu_seconds(pid) - cpu
    evaluations = after["evaluations"] - done
    per_eval = rounds_cpu / evaluations
    per_eval_net = (rounds_cpu - idle_rate * rounds_wall) / evaluations
    rss_after, rss_peak = rss_mib(pid)
    pss_after = pss_mib(pid)
    if tracer:
        tracer.report(f"{args.policies} ScalingPolicies", args.policies)
    print(f"evaluations by result: {results(port)}", flush=True)
    # evaluations go on after the count above was read: every result must be Evaluated
    if any(not part.startswith('{result="Evaluated"}') for part in results(port).split(", ")):
        raise SystemExit("some evaluations did not evaluate: not a measurement of fits")
    load.append(os.getloadavg()[0])
    stop({"operator": pid}, children={pid: operator.popen} if operator.popen else None)

    times = asyncio.run(direct_evaluations(prometheus, namespace, args.policies, args.direct))
    load.append(os.getloadavg()[0])

    per_round = per_eval * args.policies
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {time.strftime('%F %H:%M')}")
    print(f"load average (1 min) along the run: {' → '.join(f'{x:.2f}' for x in load)}")
    print(f"operator idle (stack + {args.alert_policies} AlertPolicies): {idle_rate * 100:.1f}% "
          f"of a core, RSS {rss_before:.0f} MiB")  # fmt: skip
    print(
        f"later rounds: {evaluations:.0f} evaluations in {rounds_wall:.0f}s wall, "
        f"{rounds_cpu:.1f}s operator processor time ({per_eval * 1000:.0f} ms per evaluation, "
        f"{per_eval_net * 1000:.0f} ms without the idle operator's share)"
    )
    print(
        f"processor time per round of {args.policies}: {per_eval_net * args.policies:.1f}s "
        f"({per_round:.1f}s counting the idle share at this interval); at a 5m interval "
        f"{(per_eval_net * args.policies / 300 + idle_rate) * 100:.1f}% of one core, the idle "
        f"operator's {idle_rate * 100:.1f}% included (goal ≤ 60 s, 20%)"
    )
    print(
        f"RSS with {args.policies} ScalingPolicies: {rss_after:.0f} MiB (peak {rss_peak:.0f}), "
        f"added {rss_after - rss_before:.0f} MiB"
    )
    added = sum(pss_after.values()) - sum(pss_before.values())
    print(
        f"PSS with {args.policies} ScalingPolicies: operator {pss_after['operator']:.0f} MiB "
        f"(before {pss_before['operator']:.0f}), workers {pss_after['workers']:.0f} MiB; "
        f"added {added:.0f} MiB = {added * 1.048576:.0f} MB (goal ≤ 150 MB)"
    )
    print(
        f"AlertPolicy edit -> ConfigMap over {EDITS} edits while {edits_during:.0f} evaluations "
        f"ran: p50 {percentile(latencies, 0.5):.2f}s, p99 {percentile(latencies, 0.99):.2f}s, "
        f"max {max(latencies):.2f}s (goal p99 ≤ 2 s)"
    )
    print(f"one evaluation end to end, in this process ({args.direct} policies):")
    show("first (selects the method), wall", times["first_total"])
    show("first, processor", times["first_cpu"])
    show("later: query_range", times["query"])
    show("later: fit (evaluate_policy)", times["fit"])
    show("later: status", times["status"])
    show("later: total wall", times["total"])
    show("later: total processor", times["cpu"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kubeconfig", type=Path, default=None)
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--interval", type=int, default=120, help="evaluationInterval, seconds")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--alert-policies", type=int, default=100)
    parser.add_argument("--direct", type=int, default=100)
    parser.add_argument(
        "--operator-arg",
        action="append",
        default=[],
        help="An extra argument of `augur run` (repeat), e.g. --operator-arg=--scaling-concurrency=1.",
    )
    parser.add_argument("--keep", type=Path, default=None, help="Keep logs and data here.")
    parser.add_argument(
        "--trace-memory",
        type=Path,
        default=None,
        metavar="DIR",
        help="Run the operator under tracemalloc, snapshots in DIR (slow: memory only).",
    )
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so every process started here is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="augur-bench-scaling-") as tmp, ExitStack() as stack_:
        root = args.keep or Path(tmp)
        kubeconfig = scale.local_control_plane(args.kubeconfig, root / "plane", stack_)
        try:
            run(args, kubeconfig, root, stack_)
        finally:
            log = root / "operator" / "operator.log"
            if log.exists():
                print(f"operator log: last lines\n{log.read_text()[-1500:]}", file=sys.stderr)


if __name__ == "__main__":
    main()
