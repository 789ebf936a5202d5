"""A Prometheus that answers garbage, on a real control plane: the operator reads a BusinessKPI
and a ScalingPolicy from a loopback server that answers, in turn, HTML, truncated JSON, nesting
deep enough to exhaust a recursive parser, results of the wrong shape and non-numbers.

For each: both objects' status says Prometheus' answer is unusable (a condition a user can
act on), the operator neither crashes nor logs a traceback nor counts a failed evaluation,
and it does not hammer the server. When the server answers properly again, the KPI's value
arrives."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import Cluster
from e2e.operator_fixtures import OperatorProcess, condition, get, start_operator, wait_for
from e2e.test_faults import small_stack
from e2e.test_operator import ready_stack

_VECTOR = '{"status":"success","data":{"resultType":"vector","result":%s}}'
_MATRIX = '{"status":"success","data":{"resultType":"matrix","result":%s}}'
GARBAGE = {
    "html": "<html><body>Sign in to continue</body></html>",
    "truncated": _VECTOR[:45],
    "deep": "[" * 200_000,
    "data-list": '{"status":"success","data":[1,2]}',
    "vector-shape": _VECTOR % '[{"metric":{"a":1},"value":"x"}]',
    "matrix-shape": _MATRIX % '[{"metric":{},"values":[[1,"many"]]}]',
}
"""Answers no Prometheus gives (one past the client's size bound is a unit test's: 64 MiB)."""
UNUSABLE = {"PrometheusUnreachable", "PrometheusAnswerInvalid"}
WINDOW = 20.0
KPI_INTERVAL = 3
SCALING_INTERVAL = 5


@dataclass
class GarbageServer:
    """Answers every query with `body`; counts the requests."""

    body: str = GARBAGE["html"]
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                with server.lock:
                    server.requests += 1
                    body = server.body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)  # the client may stop reading a broken answer

            def log_message(self, *_: Any) -> None:
                pass

        return Handler


@pytest.fixture
def garbage() -> Iterator[tuple[GarbageServer, int]]:
    server = GarbageServer()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), server.handler())
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server, int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


def objects(namespace: str) -> str:
    return f"""
apiVersion: augur.dev/v1alpha1
kind: BusinessKPI
metadata: {{name: order-value, namespace: {namespace}}}
spec:
  indicator: {{value: avg(order_value)}}
  objective: {{target: 10, comparison: ">=", window: 1d}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {namespace}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: app, image: example.invalid/app:1}}]
---
apiVersion: augur.dev/v1alpha1
kind: ScalingPolicy
metadata: {{name: web, namespace: {namespace}}}
spec:
  targetRef: {{name: web}}
  metric: {{query: "sum(rate(http_requests_total[5m]))", perReplicaCapacity: 10}}
  replicas: {{min: 1, max: 20}}
  evaluationInterval: {SCALING_INTERVAL}s
"""  # fmt: skip


def metrics_text(operator: OperatorProcess) -> str:
    url = f"http://127.0.0.1:{operator.port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples carrying every one of `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def unusable(cond: dict[str, Any] | None) -> bool:
    return bool(cond and cond["status"] == "False" and cond["reason"] in UNUSABLE)


@pytest.mark.timeout(900)
def test_garbage_from_prometheus_is_reported_never_crashes_and_is_not_hammered(
    crds_installed: Cluster, namespace: str, tmp_path: Path, garbage: tuple[GarbageServer, int]
) -> None:
    cluster = crds_installed
    server, port = garbage
    operator = start_operator(
        cluster,
        tmp_path / "operator.log",
        "e2e-garbage",
        "--prometheus-url",
        f"{namespace}/platform=http://127.0.0.1:{port}",
        "--kpi-interval",
        str(KPI_INTERVAL),
    )
    try:
        cluster.kubectl("apply", "-f", "-", stdin=small_stack(namespace))
        ready_stack(cluster, namespace)
        cluster.kubectl("apply", "-f", "-", stdin=objects(namespace))
        for case, body in GARBAGE.items():
            with server.lock:
                server.body = body
                began = server.requests

            def answered(began: int = began) -> int:
                with server.lock:
                    return server.requests - began

            def seen_and_reported(began: int = began) -> tuple[Any, Any] | None:
                with server.lock:
                    if server.requests - began < 4:  # readings and an evaluation since
                        return None
                kpi = get(cluster, "businesskpi", "order-value", "-n", namespace)
                policy = get(cluster, "scalingpolicy", "web", "-n", namespace)
                kpi_ready, forecast = condition(kpi, "Ready"), condition(policy, "ForecastHealthy")
                if unusable(kpi_ready) and unusable(forecast):
                    return kpi_ready, forecast
                return None

            wait_for(f"{case} reported in both statuses", seen_and_reported, timeout=120)
            assert operator.process.poll() is None, f"the operator died on {case}"

        # no hot loop: KPI readings every 3 s (two queries at most) and one range query per
        # evaluation every 5 s, whatever the answers are
        with server.lock:
            before = server.requests
        time.sleep(WINDOW)
        with server.lock:
            during = server.requests - before
        bound = 2 * (WINDOW / KPI_INTERVAL + 1) + (WINDOW / SCALING_INTERVAL + 1)
        assert during <= bound, f"{during} queries in {WINDOW}s: a hot loop"

        text = metrics_text(operator)
        assert sample(text, "augur_kpi_evaluations_total", result="failed") == 0
        assert sample(text, "augur_kpi_evaluations_total", result="unreachable") > 0
        assert sample(text, "augur_reconcile_errors_total", kind="ScalingPolicy") == 0
        assert "Traceback" not in operator.text()

        with server.lock:
            server.body = _VECTOR % '[{"metric":{},"value":[1,"12.5"]}]'

        def read() -> dict[str, Any] | None:
            found = get(cluster, "businesskpi", "order-value", "-n", namespace)
            status = (found or {}).get("status") or {}
            return status if status.get("current") == 12.5 else None

        status = wait_for("the KPI's value once Prometheus answers properly", read, timeout=120)
        ready = condition({"status": status}, "Ready")
        assert ready and ready["reason"] not in UNUSABLE, ready
    finally:
        operator.stop()
