"""What `augur dev up` runs makes the shop example live: the load exporter's series, scraped
by the stack's real Prometheus through the job the runner adds, give the shop's KPIs values.

The pieces are `augur dev up`'s own (`augur.dev.exporter.start_exporter`, `LiveStacks` with
the exporter's scrape job, history and URL file, the operator with `--prometheus-url-file`);
the stack is created after the operator started, so the operator learns its URL from the file.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from augur.dev.exporter import RunningExporter, inject, start_exporter
from augur.dev.livestack import LiveStacks
from augur.dev.load import BASE_ERROR_RATIO
from e2e.conftest import REPO_ROOT, Cluster
from e2e.operator_fixtures import get, start_operator, wait_for

pytestmark = pytest.mark.timeout(600)

HISTORY = 3 * 3600.0


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[RunningExporter]:
    running = start_exporter(tmp_path, HISTORY)
    yield running
    running.stop()


def kpi_status(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    """The KPI's status once it carries a live value."""
    status = (get(cluster, "kpi", name, "-n", namespace) or {}).get("status") or {}
    return status if status.get("current") is not None else None


def test_the_shop_kpis_show_live_values_from_the_load(
    crds_installed: Cluster, exporter: RunningExporter, tmp_path: Path
) -> None:
    cluster = crds_installed
    url_file = tmp_path / "prometheus-urls"
    with LiveStacks(
        cluster.kubeconfig,
        tmp_path / "live",
        extra_jobs=[exporter.scrape_job()],
        url_file=url_file,
    ) as live:
        operator = start_operator(
            cluster,
            tmp_path / "operator.log",
            "e2e-load",
            "--standalone",
            "--prometheus-url-file",
            str(url_file),
        )
        try:
            assert not url_file.exists()
            live.backfill("monitoring", "platform", exporter.history.read_text())
            assert "monitoring/platform=http://127.0.0.1:" in url_file.read_text()
            cluster.kubectl("apply", "-f", str(REPO_ROOT / "examples" / "shop"))
            status = wait_for(
                "checkout availability's live value",
                lambda: kpi_status(cluster, "shop", "checkout-availability"),
                timeout=300,
            )
            assert status["current"] == pytest.approx(1 - BASE_ERROR_RATIO, abs=1e-4)
            # The history gives the budget and the trend something to read at once.
            assert status["errorBudgetRemaining"] == pytest.approx(0.8, abs=0.01)
            assert status.get("trend")
            ready = {c["type"]: c["status"] for c in status["conditions"]}
            assert ready["Ready"] == "True"
            fulfilment = wait_for(
                "fulfilment time's live value",
                lambda: kpi_status(cluster, "shop", "fulfilment-time"),
            )
            assert 0 < fulfilment["current"] < 7200
            # An injection reaches the series the stack reads.
            answer = inject(exporter.url, "errors", "checkout", 600, 0.3)
            assert answer["injections"][0]["service"] == "checkout"
            ratio = (
                'sum(rate(http_requests_total{namespace="shop",service="checkout",code="500"}[1m]))'
                ' / sum(rate(http_requests_total{namespace="shop",service="checkout"}[1m]))'
            )
            wait_for(
                "the injected errors in Prometheus",
                lambda: _value(live, ratio) > 0.05,
                timeout=240,
            )
        finally:
            operator.stop()
            cluster.kubectl(
                "delete", "-f", str(REPO_ROOT / "examples" / "shop"), "--wait=false", check=False
            )


def _value(live: LiveStacks, promql: str) -> float:
    """The first value of `promql` in the shop stack's live Prometheus (0 while none)."""
    base = live.urls("monitoring", "platform").prometheus
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            result = json.loads(response.read())["data"]["result"]
    except OSError:
        return 0.0
    return float(result[0]["value"][1]) if result else 0.0
