"""The shop example's load (`augur.dev.load`) and its exporter (`augur.dev.exporter`)."""

from __future__ import annotations

import re
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from augur.dev.exporter import LoadError, inject, serve, write_history
from augur.dev.load import DAY, PEAK_HOUR, Injection, Load, check_injection, daily, exposition

NOON = 20000 * DAY + 12 * 3600.0
CHECKOUT_500 = 'http_requests_total{namespace="shop",service="checkout",code="500"}'
CHECKOUT_200 = 'http_requests_total{namespace="shop",service="checkout",code="200"}'


def test_the_daily_shape_peaks_in_the_afternoon_and_averages_one() -> None:
    day = [daily(NOON + h * 3600) for h in range(24)]
    assert max(range(24), key=lambda h: daily(h * 3600.0)) == PEAK_HOUR
    assert sum(day) / 24 == pytest.approx(1.0)
    assert min(day) == pytest.approx(0.5, abs=0.01)


def test_injected_errors_raise_the_error_share_until_they_end() -> None:
    load = Load(now=NOON)
    load.advance(NOON + 60)
    quiet = load.counters[CHECKOUT_500] / load.counters[CHECKOUT_200]
    assert quiet < 0.001
    load.inject(Injection("errors", "checkout", NOON + 120, 0.3))
    before = dict(load.counters)
    load.advance(NOON + 120)
    errors = load.counters[CHECKOUT_500] - before[CHECKOUT_500]
    total = errors + load.counters[CHECKOUT_200] - before[CHECKOUT_200]
    assert errors / total == pytest.approx(0.3)
    assert load.active("errors", "checkout", NOON + 121) is None


def test_every_series_carries_the_namespace_its_readers_are_in() -> None:
    text = exposition(Load(now=NOON))
    for line in text.splitlines():
        assert re.search(r'namespace="(shop|ml)"', line), line
    for name in ("prompt_effectiveness_score", "order_fulfilment_seconds_bucket"):
        assert name in text


def test_history_is_openmetrics_continued_by_the_live_counters(tmp_path: Path) -> None:
    load = Load(now=NOON)
    write_history(load, tmp_path / "h.om", 600, step=60)
    lines = (tmp_path / "h.om").read_text().splitlines()
    assert lines[-1] == "# EOF"
    checkout = [float(x.split()[1]) for x in lines if x.startswith(CHECKOUT_200 + " ")]
    assert len(checkout) == 11 and checkout == sorted(checkout)
    assert load.now == NOON
    load.advance(NOON + 60)
    assert load.counters[CHECKOUT_200] > checkout[-1]


def test_injections_are_checked() -> None:
    assert check_injection("errors", "checkout", 0.3) is None
    assert "not 'nope'" in (check_injection("errors", "nope", 0.3) or "")
    assert "(0, 1]" in (check_injection("errors", "cart", 2) or "")
    assert "errors or latency" in (check_injection("boom", "cart", 1) or "")


@pytest.fixture
def exporter() -> Iterator[str]:
    server = serve(0, Load(now=NOON))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_exporter_serves_metrics_and_takes_injections(exporter: str) -> None:
    with urllib.request.urlopen(f"{exporter}/metrics") as response:
        assert CHECKOUT_500 in response.read().decode()
    answer = inject(exporter, "errors", "payments", 600, 0.5)
    assert [(i["kind"], i["service"], i["amount"]) for i in answer["injections"]] == [
        ("errors", "payments", 0.5)
    ]
    with pytest.raises(LoadError, match="latency can be injected into"):
        inject(exporter, "latency", "payments", 600, 2)
