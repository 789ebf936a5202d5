"""The shop example's load, as series (pure: every function takes the time it needs).

`augur dev up` serves these series from a local exporter (`augur.dev.exporter`) that each
stack's live Prometheus scrapes, so the example's policies, KPIs and ScalingPolicy read real
numbers: request counters of the shop's services with a daily shape (busiest at 14:00 UTC,
half as busy at night), a small share of errors, latency and order fulfilment histograms,
payment provider errors, prompt test executions and an effectiveness score of the ml
namespace, and a certificate expiry. Every series carries the `namespace` label of the
namespace whose objects read it (the example's stack enforces tenancy on that label).

Injections change the load for a while: `errors` turns a share of a service's requests into
5xx (of the evaluations: failed test executions, and a lower effectiveness score; of
payments: provider errors), `latency` multiplies a service's response or fulfilment times.

Counters are integrated from their rates, so the history written for the live Prometheus
before it starts (`history`) and the values served afterwards are one continuous series.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

DAY = 86400.0
PEAK_HOUR = 14
SHOP, ML = "shop", "ml"

REQUESTS_PER_SECOND = {"backend": 120.0, "checkout": 20.0, "cart": 40.0}
"""Each shop service's request rate over a day, on average."""
BASE_ERROR_RATIO = 0.0002
"""Share of requests answered 5xx without an injection (well inside the 99.9% objective)."""
LATENCY_MEAN = 0.12
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
ORDERS_PER_SECOND = 0.2
FULFILMENT_MEAN = 3600.0
FULFILMENT_BUCKETS = (1800.0, 3600.0, 5400.0, 7200.0, 10800.0, 14400.0, 21600.0)
MODELS = ("summarise", "classify")
TESTS_PER_SECOND = 1.0
TEST_SUCCESS = 0.98
EFFECTIVENESS = 0.86
PAYMENT_ERRORS_PER_SECOND = 0.02
CERTIFICATE_DAYS_LEFT = 60

ERROR_TARGETS = (*REQUESTS_PER_SECOND, "payments", "evaluations")
"""Services `errors` can be injected into."""
LATENCY_TARGETS = (*REQUESTS_PER_SECOND, "fulfilment")
"""Services `latency` can be injected into."""

Kind = Literal["errors", "latency"]


@dataclass(frozen=True)
class Injection:
    """Until `until` (seconds since the epoch): `errors` makes `amount` (0..1) of the
    service's requests fail; `latency` multiplies its times by `amount`."""

    kind: Kind
    service: str
    until: float
    amount: float


def check_injection(kind: str, service: str, amount: float) -> str | None:
    """Why an injection cannot be made; None when it can."""
    targets = {"errors": ERROR_TARGETS, "latency": LATENCY_TARGETS}.get(kind)
    if targets is None:
        return f"unknown injection {kind!r}: errors or latency"
    if service not in targets:
        return f"{kind} can be injected into {', '.join(targets)}, not {service!r}"
    if kind == "errors" and not 0 < amount <= 1:
        return f"an error ratio is in (0, 1], not {amount}"
    if kind == "latency" and amount <= 0:
        return f"a latency factor is positive, not {amount}"
    return None


def daily(t: float) -> float:
    """The daily shape: 1.5 at 14:00 UTC, 0.5 twelve hours later, 1 on average."""
    return 1 + 0.5 * math.cos(2 * math.pi * ((t % DAY) / DAY - PEAK_HOUR / 24))


def _key(name: str, **labels: str) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{inner}}}"


def _below(bound: float, mean: float) -> float:
    """Share of exponentially distributed times with this mean that are at most `bound`."""
    return 1 - math.exp(-bound / mean)


@dataclass
class Load:
    """The counters and gauges of the shop's load at `now`, advanced with `advance`."""

    now: float
    injections: list[Injection] = field(default_factory=list)
    counters: dict[str, float] = field(default_factory=dict)

    def active(self, kind: Kind, service: str, t: float) -> float | None:
        """The amount of the latest injection of `kind` into `service` running at `t`."""
        running = [
            i.amount
            for i in self.injections
            if (i.kind, i.service) == (kind, service) and i.until > t
        ]
        return running[-1] if running else None

    def inject(self, injection: Injection) -> None:
        """Start an injection (one that ended is forgotten)."""
        self.injections = [i for i in self.injections if i.until > self.now]
        self.injections.append(injection)

    def rates(self, t: float) -> dict[str, float]:
        """Every counter's increase per second at `t`."""
        shape = daily(t)
        rates: dict[str, float] = {}
        for service, base in REQUESTS_PER_SECOND.items():
            requests = base * shape
            errors = self.active("errors", service, t) or BASE_ERROR_RATIO
            mean = LATENCY_MEAN * (0.8 + 0.2 * shape) * (self.active("latency", service, t) or 1)
            labels = {"namespace": SHOP, "service": service}
            rates[_key("http_requests_total", **labels, code="200")] = requests * (1 - errors)
            rates[_key("http_requests_total", **labels, code="500")] = requests * errors
            self._histogram(rates, "http_request_duration_seconds", labels, requests, mean)
            rates[_key("http_request_duration_seconds_sum", **labels)] = requests * mean
        orders = ORDERS_PER_SECOND * shape
        fulfilment = FULFILMENT_MEAN * (self.active("latency", "fulfilment", t) or 1)
        self._histogram(rates, "order_fulfilment_seconds", {"namespace": SHOP}, orders, fulfilment)
        rates[_key("order_fulfilment_seconds_sum", namespace=SHOP)] = orders * fulfilment
        failing = self.active("errors", "payments", t)
        rates[_key("payment_provider_errors_total", namespace=SHOP, provider="acme")] = (
            PAYMENT_ERRORS_PER_SECOND + 10 * (failing or 0)
        )
        success = 1 - (self.active("errors", "evaluations", t) or 1 - TEST_SUCCESS)
        for model in MODELS:
            labels = {"namespace": ML, "model": model}
            rates[_key("test_executions_total", **labels, status="success")] = (
                TESTS_PER_SECOND * success
            )
            rates[_key("test_executions_total", **labels, status="failure")] = TESTS_PER_SECOND * (
                1 - success
            )
        return rates

    @staticmethod
    def _histogram(
        rates: dict[str, float], name: str, labels: dict[str, str], events: float, mean: float
    ) -> None:
        for bound in LATENCY_BUCKETS if name.startswith("http") else FULFILMENT_BUCKETS:
            key = _key(f"{name}_bucket", **labels, le=_number(bound))
            rates[key] = events * _below(bound, mean)
        rates[_key(f"{name}_bucket", **labels, le="+Inf")] = events
        rates[_key(f"{name}_count", **labels)] = events

    def gauges(self, t: float) -> dict[str, float]:
        """Every gauge's value at `t`."""
        failing = self.active("errors", "evaluations", t)
        values = {}
        for index, model in enumerate(MODELS):
            # Steady over days (a ten-minute wiggle), so the forecast-breach alert stays quiet.
            wiggle = 0.005 * math.sin(2 * math.pi * t / 600 + index)
            score = EFFECTIVENESS + wiggle - (0.2 if failing else 0)
            values[_key("prompt_effectiveness_score", namespace=ML, model=model)] = score
        expiry = t + CERTIFICATE_DAYS_LEFT * DAY
        values[
            _key("probe_ssl_earliest_cert_expiry", namespace=SHOP, instance="shop.example.com")
        ] = expiry
        return values

    def advance(self, t: float) -> None:
        """Move the counters on to `t` (rates taken halfway there); nothing when t <= now."""
        if t <= self.now:
            return
        middle = (self.now + t) / 2
        for key, rate in self.rates(middle).items():
            self.counters[key] = self.counters.get(key, 0.0) + rate * (t - self.now)
        self.now = t

    def samples(self) -> dict[str, float]:
        """Every series at `now`: counters (0 before they first advance) and gauges."""
        zero = dict.fromkeys(self.rates(self.now), 0.0)
        return {**zero, **self.counters, **self.gauges(self.now)}


def exposition(load: Load) -> str:
    """The Prometheus text format of every series at `load.now` (no timestamps)."""
    return "".join(f"{key} {_number(value)}\n" for key, value in sorted(load.samples().items()))


def history(load: Load, end: float, step: float) -> Iterator[str]:
    """OpenMetrics text (for `promtool tsdb create-blocks-from openmetrics`) of the series
    from `load.now` to `end` every `step` seconds, advancing `load` to `end`; series of one
    metric name together, as OpenMetrics wants them."""
    rows: dict[str, list[str]] = {}
    t = load.now
    while t <= end:
        load.advance(t)
        for key, value in load.samples().items():
            rows.setdefault(key, []).append(f"{key} {_number(value)} {t:.3f}\n")
        t += step
    load.advance(end)
    for key in sorted(rows, key=lambda k: (k.partition("{")[0], k)):
        yield from rows[key]
    yield "# EOF\n"


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))
