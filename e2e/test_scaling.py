"""ScalingPolicy end to end: a real Prometheus holding 14 days of a recorded trace, the operator
reading it, a Deployment and an autoscaling/v2 HPA in the API server.

The trace (elb_request_count, 4,032 points at 5m) is backfilled with promtool, its timestamps
shifted to end now; a small exporter in this process keeps the series fresh while the tests
run (a series goes stale five minutes after its last sample), replaying the trace on."""

from __future__ import annotations

import csv
import http.server
import signal
import subprocess
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from augur.dev.processes import Process, free_port, start, stop, wait_until
from augur.dev.tools import tool_path
from augur.scaling.inputs import ORIGINAL_MIN_ANNOTATION
from augur.scaling.steering import FIELD_MANAGER
from e2e.conftest import REPO_ROOT, Cluster
from e2e.operator_fixtures import OperatorProcess, condition, get, start_operator, wait_for

TRACE = REPO_ROOT / "e2e" / "data" / "elb_request_count_8c0756.csv"
"""14 days of a real load balancer's request count at 5-minute steps (see e2e/data/README.md)."""
STEP = 300
METRIC = "augur_e2e_requests"
INTERVAL = 5  # seconds between evaluations (spec.evaluationInterval)
HPA_MAX = 4
"""Below what the trace's load needs at a capacity of 2: apply is clamped to it."""


def trace_values() -> list[float]:
    with TRACE.open() as handle:
        return [float(row["value"]) for row in csv.DictReader(handle)]


def openmetrics(values: list[float], end: int) -> str:
    """The trace as OpenMetrics, its last sample at `end` (seconds), ending with `# EOF`."""
    first = end - (len(values) - 1) * STEP
    lines = [f"# TYPE {METRIC} gauge"]
    lines += [f"{METRIC} {value} {first + k * STEP}" for k, value in enumerate(values)]
    return "\n".join([*lines, "# EOF", ""])


class Exporter(http.server.ThreadingHTTPServer):
    """Serves the trace's value for the current time, continuing where the backfill ended."""

    def __init__(self, values: list[float], end: int) -> None:
        self.values = values
        self.end = end
        super().__init__(("127.0.0.1", 0), ExporterHandler)


class ExporterHandler(http.server.BaseHTTPRequestHandler):
    server: Exporter

    def do_GET(self) -> None:
        steps = int((time.time() - self.server.end) // STEP) + 1
        value = self.server.values[steps % len(self.server.values)]
        body = f"# TYPE {METRIC} gauge\n{METRIC} {value}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@dataclass
class Prometheus:
    url: str
    process: Process


@dataclass
class Env:
    cluster: Cluster
    namespace: str
    prometheus: Prometheus
    operator: OperatorProcess
    log: Path

    def restart_operator(self, identity: str) -> None:
        self.operator.stop()
        self.operator = start_operator(
            self.cluster, self.log, identity, *operator_flags(self.namespace, self.prometheus)
        )


def operator_flags(namespace: str, prometheus: Prometheus) -> list[str]:
    return ["--standalone", "--prometheus-url", f"{namespace}/main={prometheus.url}"]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """A Prometheus on 14 backfilled days of the trace, scraping the exporter every 5s."""
    root = tmp_path_factory.mktemp("prometheus")
    values = trace_values()
    end = int(time.time()) - 60
    source = root / "trace.om"
    source.write_text(openmetrics(values, end))
    data = root / "data"
    subprocess.run(
        [str(tool_path("promtool")), "tsdb", "create-blocks-from", "openmetrics", str(source),
         str(data)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    exporter = Exporter(values, end)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    config = root / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 5s}\n"
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
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: urllib.request.urlopen(f"{url}/-/ready", timeout=2).status == 200,
            process,
            "ready",
            timeout=120,
        )
        yield Prometheus(url, process)
    finally:
        stop(
            {"prometheus": process.pid},
            children={process.pid: process.popen} if process.popen else None,
        )
        exporter.shutdown()
        exporter.server_close()


@pytest.fixture(scope="module")
def env(
    crds_installed: Cluster, prometheus: Prometheus, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """A namespace with a MonitoringStack, and the operator reading `prometheus` for it."""
    cluster = crds_installed
    namespace = f"e2e-scaling-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl(
        "apply", "-f", "-",
        stdin=f"""
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {{name: main, namespace: {namespace}}}
spec:
  namespaceSelector: {{any: true}}
  tenancy: {{enforceNamespaceLabel: tenant}}
  alertmanager:
    defaultReceiver: {{name: default, webhook: {{url: "http://sink.example:8080/"}}}}
""",
    )  # fmt: skip
    log = tmp_path_factory.mktemp("operator") / "operator.log"
    operator = start_operator(cluster, log, "e2e-scaling", *operator_flags(namespace, prometheus))
    environment = Env(cluster, namespace, prometheus, operator, log)
    try:
        yield environment
    finally:
        environment.operator.stop()
        cluster.kubectl(
            "delete", "scalingpolicies", "--all", "-n", namespace, "--wait=false", check=False
        )
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def workload(env: Env, name: str, min_replicas: int = 1) -> None:
    """A Deployment and its HPA (as another tool would create them: kubectl apply)."""
    env.cluster.kubectl(
        "apply", "-n", env.namespace, "-f", "-",
        stdin=f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: app, image: example.invalid/app:1}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {name}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}
  minReplicas: {min_replicas}
  maxReplicas: {HPA_MAX}
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}
""",
    )  # fmt: skip


def scaling_policy(env: Env, name: str, mode: str, namespace: str | None = None) -> None:
    hpa = f"hpaRef: {{name: {name}}}" if mode == "apply" else ""
    env.cluster.kubectl(
        "apply", "-n", namespace or env.namespace, "-f", "-",
        stdin=f"""
apiVersion: augur.dev/v1alpha1
kind: ScalingPolicy
metadata: {{name: {name}}}
spec:
  targetRef: {{name: {name}}}
  {hpa}
  metric: {{query: "max({METRIC})", perReplicaCapacity: 2}}
  replicas: {{min: 1, max: 100}}
  mode: {mode}
  evaluationInterval: {INTERVAL}s
""",
    )  # fmt: skip


def hpa_of(env: Env, name: str) -> dict[str, Any]:
    found = get(env.cluster, "hpa", name, "-n", env.namespace, "--show-managed-fields")
    assert found is not None, f"HPA {name} is gone"
    return found


def min_replicas(env: Env, name: str) -> int:
    return int(hpa_of(env, name)["spec"]["minReplicas"])


def policy_of(env: Env, name: str) -> dict[str, Any] | None:
    return get(env.cluster, "scalingpolicy", name, "-n", env.namespace)


def evaluated(env: Env, name: str) -> dict[str, Any] | None:
    """The policy once it has a Ready=True evaluation of its current generation."""
    found = policy_of(env, name)
    ready = condition(found, "Ready")
    status = (found or {}).get("status") or {}
    if (
        ready
        and ready["status"] == "True"
        and status.get("observedGeneration") == (found or {}).get("metadata", {}).get("generation")
    ):
        return found
    return None


def managers(hpa: dict[str, Any]) -> set[str]:
    return {str(m.get("manager")) for m in hpa["metadata"].get("managedFields") or []}


def test_recommend_writes_status_and_leaves_the_hpa_untouched(env: Env) -> None:
    workload(env, "rec")
    before = hpa_of(env, "rec")
    scaling_policy(env, "rec", "recommend")
    found = wait_for("the recommend policy evaluated", lambda: evaluated(env, "rec"), 180)
    status = found["status"]
    assert status["recommendedReplicas"] >= 1
    assert status["currentReplicas"] >= 1
    assert status["model"]["trainingPoints"] > 3000  # 14 days at 5m, the gaps aside
    assert status["forecast"]["points"]
    assert condition(found, "ForecastHealthy")["status"] == "True"  # type: ignore[index]
    assert condition(found, "Applied")["reason"] == "ModeRecommend"  # type: ignore[index]
    time.sleep(2 * INTERVAL)  # evaluations go on: still nothing written to the HPA
    after = hpa_of(env, "rec")
    assert after["spec"]["minReplicas"] == before["spec"]["minReplicas"] == 1
    assert FIELD_MANAGER not in managers(after)
    assert ORIGINAL_MIN_ANNOTATION not in (after["metadata"].get("annotations") or {})
    metrics = (
        urllib.request.urlopen(f"http://127.0.0.1:{env.operator.port}/metrics", timeout=5)
        .read()
        .decode()
    )
    assert (
        f'augur_scaling_recommended_replicas{{namespace="{env.namespace}",scaling_policy="rec"}}'
        in metrics
    )


def test_apply_raises_clamps_and_restores_on_recommend_and_on_delete(env: Env) -> None:
    workload(env, "web")
    scaling_policy(env, "web", "apply")
    wait_for(
        "minReplicas raised to the HPA's max", lambda: min_replicas(env, "web") == HPA_MAX, 120
    )
    hpa = hpa_of(env, "web")
    assert hpa["metadata"]["annotations"][ORIGINAL_MIN_ANNOTATION] == "1"
    assert FIELD_MANAGER in managers(hpa)
    found = wait_for("Applied reported", lambda: evaluated(env, "web"), 60)
    applied = condition(found, "Applied")
    assert applied is not None and applied["reason"] == "ClampedToHPAMax"
    assert found["status"]["applied"]["minReplicas"] == HPA_MAX
    assert found["status"]["recommendedReplicas"] > HPA_MAX

    scaling_policy(env, "web", "recommend")
    wait_for("minReplicas restored on recommend", lambda: min_replicas(env, "web") == 1, 60)
    assert ORIGINAL_MIN_ANNOTATION not in (hpa_of(env, "web")["metadata"].get("annotations") or {})

    scaling_policy(env, "web", "apply")
    wait_for("raised again", lambda: min_replicas(env, "web") == HPA_MAX, 60)
    env.cluster.kubectl("delete", "scalingpolicy", "web", "-n", env.namespace, "--timeout=60s")
    assert min_replicas(env, "web") == 1
    assert ORIGINAL_MIN_ANNOTATION not in (hpa_of(env, "web")["metadata"].get("annotations") or {})


def test_an_operator_restart_in_apply_mode_keeps_the_original_and_does_not_flap(env: Env) -> None:
    workload(env, "steady", min_replicas=2)
    scaling_policy(env, "steady", "apply")
    wait_for("raised", lambda: min_replicas(env, "steady") == HPA_MAX, 120)
    env.operator.stop(signal.SIGKILL)  # no goodbye: nothing restores on the way down
    seen = {min_replicas(env, "steady")}
    env.restart_operator("e2e-scaling-2")
    deadline = time.monotonic() + 6 * INTERVAL
    while time.monotonic() < deadline:
        seen.add(min_replicas(env, "steady"))
        time.sleep(0.5)
    assert seen == {HPA_MAX}
    hpa = hpa_of(env, "steady")
    assert hpa["metadata"]["annotations"][ORIGINAL_MIN_ANNOTATION] == "2"
    found = policy_of(env, "steady")
    assert condition(found, "Applied")["status"] == "True"  # type: ignore[index]
    assert "Traceback" not in env.operator.text()


def test_a_policy_under_tenancy_cannot_read_another_namespaces_series(env: Env) -> None:
    """The stack enforces tenancy on other namespaces: a policy there reads only series
    labelled with its namespace, and the backfilled series carries none."""
    tenant = f"{env.namespace}-tenant"
    env.cluster.kubectl("create", "namespace", tenant)
    try:
        env.cluster.kubectl(
            "create", "deployment", "web", "-n", tenant, "--image=example.invalid/app:1"
        )
        scaling_policy(env, "web", "recommend", namespace=tenant)

        def refused() -> dict[str, Any] | None:
            found = get(env.cluster, "scalingpolicy", "web", "-n", tenant)
            ready = condition(found, "Ready")
            return found if ready and ready["reason"] == "QueryReturnedNoSeries" else None

        found = wait_for("the tenant's policy refused", refused, 120)
        message = condition(found, "ForecastHealthy")["message"]  # type: ignore[index]
        assert f'tenant="{tenant}"' in message
        assert "recommendedReplicas" not in found["status"]
    finally:
        env.cluster.kubectl("delete", "namespace", tenant, "--wait=false", check=False)


def test_prometheus_killed_turns_the_forecast_unhealthy_and_restores_after_the_grace(
    env: Env,
) -> None:
    workload(env, "outage")
    scaling_policy(env, "outage", "apply")
    wait_for("raised", lambda: min_replicas(env, "outage") == HPA_MAX, 120)
    process = env.prometheus.process
    stop(
        {"prometheus": process.pid},
        children={process.pid: process.popen} if process.popen else None,
    )

    def unhealthy() -> dict[str, Any] | None:
        found = policy_of(env, "outage")
        healthy = condition(found, "ForecastHealthy")
        return found if healthy and healthy["status"] == "False" else None

    found = wait_for("ForecastHealthy=False", unhealthy, 60)
    assert condition(found, "ForecastHealthy")["reason"] == "PrometheusUnreachable"  # type: ignore[index]
    wait_for("minReplicas restored after the grace", lambda: min_replicas(env, "outage") == 1, 120)
    applied = condition(policy_of(env, "outage"), "Applied")
    assert applied is not None and applied["status"] == "False"
