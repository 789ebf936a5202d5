"""A live stack for e2e tests: real Prometheus and Alertmanager run from the operator's
objects (`augur.dev.livestack`), a loopback server that records what Alertmanager delivers
(webhook and Slack-compatible) and serves the series a test sets (an exporter the stack
scrapes as a static target), and the operator pointed at that Prometheus."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from augur.dev.livestack import LiveStacks
from e2e.conftest import Cluster
from e2e.operator_fixtures import OperatorProcess, start_operator, wait_for

STACK = "platform"


@dataclass
class Delivery:
    """One POST Alertmanager made: the receiver's path and the JSON body."""

    path: str
    body: dict[str, Any]


@dataclass
class Capture:
    """What the loopback server received and what it serves on /metrics."""

    port: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    series: dict[str, float] = field(default_factory=dict)
    counters: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    """series -> (value, at (monotonic seconds), increase per second from then on)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        """The URL of a receiver path on this server, e.g. `/webhook/team-a`."""
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def target(self) -> str:
        """host:port of the exporter, for a static scrape entry."""
        return f"127.0.0.1:{self.port}"

    def set(self, series: str, value: float) -> None:
        """Expose `series` (e.g. `e2e_signal{name="a"}`) with `value` from now on."""
        with self.lock:
            self.series[series] = value

    def rate(self, series: str, per_second: float) -> None:
        """Expose `series` as a counter growing by `per_second` from now on (from its value
        so far: changing the rate never makes it go back)."""
        now = time.monotonic()
        with self.lock:
            value, at, rate = self.counters.get(series, (0.0, now, 0.0))
            self.counters[series] = (value + rate * (now - at), now, per_second)

    def index(self, path: str, alertname: str, **labels: str) -> int | None:
        """Position, among every delivery, of the first that notified `alertname` firing at
        `path` with these labels; None before one did."""
        with self.lock:
            deliveries = list(self.deliveries)
        for position, delivery in enumerate(deliveries):
            if delivery.path != path:
                continue
            for alert in delivery.body.get("alerts", []):
                found = alert["labels"]
                if (
                    found.get("alertname") == alertname
                    and alert["status"] == "firing"
                    and all(found.get(k) == v for k, v in labels.items())
                ):
                    return position
        return None

    def alerts(self, path: str) -> list[dict[str, Any]]:
        """Every alert delivered to the webhook at `path` (one per alert per notification)."""
        with self.lock:
            bodies = [d.body for d in self.deliveries if d.path == path]
        return [alert for body in bodies for alert in body.get("alerts", [])]

    def firing(self, path: str, alertname: str) -> list[dict[str, Any]]:
        """The firing notifications of `alertname` at the webhook `path`."""
        return [
            a
            for a in self.alerts(path)
            if a["labels"].get("alertname") == alertname and a["status"] == "firing"
        ]

    def bodies(self, path: str) -> list[dict[str, Any]]:
        """Raw bodies posted to `path` (Slack messages carry no labels, only text)."""
        with self.lock:
            return [d.body for d in self.deliveries if d.path == path]

    def exposition(self) -> bytes:
        now = time.monotonic()
        with self.lock:
            values = dict(self.series)
            for name, (value, at, rate) in self.counters.items():
                values[name] = value + rate * (now - at)
            lines = [f"{name} {value}" for name, value in sorted(values.items())]
        return ("\n".join(lines) + "\n").encode()


def _handler(capture: Capture) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = capture.exposition() if self.path == "/metrics" else b""
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
            with capture.lock:
                capture.deliveries.append(Delivery(self.path, body))
            # Slack's incoming webhooks answer "ok"; Alertmanager's webhook ignores the body.
            reply = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def capture() -> Iterator[Capture]:
    """A loopback receiver and exporter for one test."""
    state = Capture()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def live(crds_installed: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStacks]:
    """The live-stack runner for the module: every stack's Prometheus and Alertmanager."""
    folder = tmp_path_factory.mktemp("live")
    log = (folder / "runner.log").open("a")

    def say(message: str) -> None:
        log.write(f"{time.strftime('%H:%M:%S')} {message}\n")
        log.flush()

    with LiveStacks(crds_installed.kubeconfig, folder, say=say) as runner:
        yield runner
    log.close()


def live_operator(
    cluster: Cluster, live: LiveStacks, namespace: str, folder: Path
) -> OperatorProcess:
    """An operator whose KPI status reads the live Prometheus of `namespace`'s stack."""
    url = live.urls(namespace, STACK).prometheus
    return start_operator(
        cluster,
        folder / "operator.log",
        f"e2e-live-{namespace}",
        "--standalone",
        "--prometheus-url",
        f"{namespace}/{STACK}={url}",
    )


def prometheus_api(live: LiveStacks, namespace: str, path: str, **params: str) -> Any:
    """GET the live Prometheus' HTTP API; its `data`."""
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    url = f"{live.urls(namespace, STACK).prometheus}/api/v1/{path}{query}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())["data"]


def alertmanager_alerts(live: LiveStacks, namespace: str) -> list[dict[str, Any]]:
    """The live Alertmanager's alerts (API v2), suppressed ones included."""
    url = f"{live.urls(namespace, STACK).alertmanager}/api/v2/alerts"
    with urllib.request.urlopen(url, timeout=10) as response:
        result: list[dict[str, Any]] = json.loads(response.read())
        return result


def alertmanager_groups(live: LiveStacks, namespace: str) -> list[dict[str, Any]]:
    """The live Alertmanager's alert groups (API v2): a time interval mutes a group, and only
    here does an alert's status say so (`mutedBy`)."""
    url = f"{live.urls(namespace, STACK).alertmanager}/api/v2/alerts/groups"
    with urllib.request.urlopen(url, timeout=10) as response:
        result: list[dict[str, Any]] = json.loads(response.read())
        return result


def rule(live: LiveStacks, namespace: str, alertname: str) -> dict[str, Any] | None:
    """The alerting rule `alertname` as the live Prometheus has loaded it, if it has."""
    try:
        groups = prometheus_api(live, namespace, "rules", type="alert")["groups"]
    except OSError:
        return None
    for group in groups:
        for found in group["rules"]:
            if found["name"] == alertname:
                return dict(found)
    return None


def wait_live(live: LiveStacks, namespace: str) -> None:
    """Until the stack's Prometheus and Alertmanager answer /-/ready."""
    wait_for(
        "the live Prometheus and Alertmanager", lambda: live.ready(namespace, STACK), timeout=240
    )
