"""Validation rules of the four kinds: each refuses what it should and names the field."""

from __future__ import annotations

from typing import Any

import pytest

from augur.api.resources import InvalidObject, parse_resource


def policy(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "p", "namespace": "team"},
        "spec": spec,
    }


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidObject) as caught:
        parse_resource(doc)
    return [str(p) for p in caught.value.problems]


def alert(**fields: Any) -> dict[str, Any]:
    return {"name": "A", "severity": "high", "expr": "up == 0", **fields}


@pytest.mark.parametrize("bad", ["5", "5 m", "m5", "1.5h", "5M", ""])
def test_bad_durations_refused(bad: str) -> None:
    found = problems(policy(alerts=[alert(**{"for": bad})]))
    assert any(f.startswith("spec.alerts[0].for:") for f in found), found


def test_promql_error_has_position() -> None:
    found = problems(policy(alerts=[alert(expr="sum(rate(x[5m])) by (job) >")]))
    assert found == [
        "spec.alerts[0].expr: invalid PromQL at column 28: unexpected end of expression"
    ]


def test_promql_error_in_the_middle() -> None:
    found = problems(policy(alerts=[alert(expr="sum(rate(x[5m])) > > 1")]))
    assert found == ["spec.alerts[0].expr: invalid PromQL at column 20: syntax error"]


def test_promql_unknown_function_points_at_it() -> None:
    found = problems(policy(alerts=[alert(expr="up + rat(x[5m])")]))
    assert found == [
        "spec.alerts[0].expr: invalid PromQL at column 6: unknown function with name 'rat'"
    ]


def test_unknown_fields_named_at_every_depth() -> None:
    found = problems(policy(routing={"routes": [{"receivers": ["x"], "reciever": "y"}]}, bogus=1))
    assert "spec.routing.routes[0].reciever: unknown field (did you mean `receivers`?)" in found
    assert any(line.startswith("spec.bogus: unknown field") for line in found)


def test_reserved_label_refused_in_defaults() -> None:
    found = problems(policy(defaults={"labels": {"augur_policy": "x"}}))
    assert found[0].startswith("spec.defaults.labels: label 'augur_policy' is reserved")


def test_bad_label_name_refused() -> None:
    found = problems(policy(alerts=[alert(labels={"team-name": "x"})]))
    assert "not a valid Prometheus label name" in found[0]


def test_runbook_must_be_a_url() -> None:
    found = problems(policy(alerts=[alert(runbookURL="runbooks/high-error-rate")]))
    assert found[0].startswith("spec.alerts[0].runbookURL:")


def test_duplicate_receivers_refused() -> None:
    hook = {"name": "hook", "webhook": {"url": "http://h/"}}
    found = problems(policy(receivers=[hook, hook]))
    assert found == ["spec: duplicate receiver name(s): hook"]


def test_route_names_unknown_time_interval() -> None:
    found = problems(
        policy(routing={"routes": [{"receivers": ["r"], "muteTimeIntervals": ["nights"]}]})
    )
    assert "time interval 'nights' is not in timeIntervals" in found[0]


@pytest.mark.parametrize(
    ("interval", "message"),
    [
        ({"weekdays": ["funday"]}, "'funday' is not a weekday"),
        ({"months": ["13"]}, "month 13 is outside 1..12"),
        ({"daysOfMonth": ["0"]}, "day of month 0 is outside"),
        ({"location": "Mars/Olympus"}, "is not a known time zone"),
        ({"times": [{"start": "25:00", "end": "26:00"}]}, "is not a time of day"),
    ],
)
def test_time_intervals_checked(interval: dict[str, Any], message: str) -> None:
    found = problems(policy(timeIntervals=[{"name": "t", "intervals": [interval]}]))
    assert any(message in f for f in found), found


def test_webhook_needs_exactly_one_url() -> None:
    both = {"url": "http://h/", "urlSecret": {"secretKeyRef": {"name": "s", "key": "k"}}}
    found = problems(policy(receivers=[{"name": "h", "webhook": both}]))
    assert found == ["spec.receivers[0].webhook: set exactly one of url and urlSecret"]


def test_sns_needs_one_target() -> None:
    found = problems(policy(receivers=[{"name": "s", "sns": {"region": "eu-west-1"}}]))
    assert "set exactly one of phoneNumber, topicARN and targetARN" in found[0]


def kpi(**spec: Any) -> dict[str, Any]:
    base = {
        "indicator": {"value": "avg(score)"},
        "objective": {"target": 0.8},
    }
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "BusinessKPI",
        "metadata": {"name": "k", "namespace": "team"},
        "spec": {**base, **spec},
    }


def test_kpi_ratio_queries_checked_after_substitution() -> None:
    ratio = {"good": "sum(rate(ok[{{window}}])", "total": "sum(rate(all[{{window}}]))"}
    found = problems(kpi(indicator={"ratio": ratio}, objective={"target": 0.9}))
    assert found[0].startswith("spec.indicator.ratio.good: invalid PromQL")
    assert "with {{window}} replaced by 5m" in found[0]


def test_kpi_burn_rate_needs_ge_comparison() -> None:
    ratio = {"good": "sum(rate(ok[{{window}}]))", "total": "sum(rate(all[{{window}}]))"}
    found = problems(kpi(indicator={"ratio": ratio}, objective={"target": 0.9, "comparison": "<="}))
    assert found == ["spec: burn-rate alerts need objective.comparison >= (or >)"]


def scaling(**spec: Any) -> dict[str, Any]:
    base = {
        "targetRef": {"name": "web"},
        "metric": {"query": "sum(rate(x[5m]))", "perReplicaCapacity": 10},
        "replicas": {"min": 1, "max": 5},
    }
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "ScalingPolicy",
        "metadata": {"name": "s", "namespace": "team"},
        "spec": {**base, **spec},
    }


def test_scaling_capacity_must_be_positive() -> None:
    found = problems(scaling(metric={"query": "x", "perReplicaCapacity": 0}))
    assert found[0].startswith("spec.metric.perReplicaCapacity:")


def test_scaling_horizon_not_shorter_than_step() -> None:
    found = problems(scaling(forecast={"step": "5m", "horizon": "1m"}))
    assert found == ["spec.forecast: horizon 1m is shorter than step 5m"]


def stack(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": "s", "namespace": "monitoring"},
        "spec": spec,
    }


def test_stack_namespace_selector_is_one_kind() -> None:
    found = problems(stack(namespaceSelector={"any": True, "matchNames": ["a"]}))
    assert found == ["spec.namespaceSelector: set only one of matchNames, any and matchLabels"]


def test_stack_static_target_must_be_host_port() -> None:
    scrape = [{"name": "r", "role": "static", "static": ["router"]}]
    found = problems(stack(prometheus={"scrape": scrape}))
    assert found == ["spec.prometheus.scrape[0]: static target 'router' is not host:port"]


def test_stack_remote_write_url_checked() -> None:
    found = problems(stack(prometheus={"remoteWrite": [{"url": "mimir:9009"}]}))
    assert found[0].startswith("spec.prometheus.remoteWrite[0].url:")


def test_watchdog_receiver_needs_a_name_of_its_own() -> None:
    found = problems(stack(alertmanager={"watchdogReceiver": {"name": "default"}}))
    assert found == [
        "spec.alertmanager: watchdogReceiver is named 'default' like defaultReceiver: "
        "give it a name of its own"
    ]
    parse_resource(stack(alertmanager={"watchdogReceiver": {"name": "heartbeat"}}))


def test_wrong_api_version() -> None:
    doc = policy()
    doc["apiVersion"] = "augur.dev/v1"
    assert problems(doc) == ["apiVersion: 'augur.dev/v1' is not augur.dev/v1alpha1"]


def test_defaults_fill_in() -> None:
    parsed = parse_resource(stack())
    spec = parsed.spec
    assert spec.prometheus.retention == "15d"  # type: ignore[union-attr]
    assert spec.alertmanager.default_receiver.name == "default"  # type: ignore[union-attr]
    assert spec.prometheus.image is None  # type: ignore[union-attr]


# What Alertmanager would refuse is refused by the API already, so `augur validate` names it.


@pytest.mark.parametrize(
    ("interval", "field", "words"),
    [
        ({"weekdays": ["friday:monday"]}, "weekdays", "ends before it starts"),
        ({"months": ["march:1"]}, "months", "ends before it starts"),
        ({"daysOfMonth": ["20:10"]}, "daysOfMonth", "ends before it starts"),
        ({"daysOfMonth": ["-5:-10"]}, "daysOfMonth", "ends before it starts"),
        ({"daysOfMonth": ["-1:5"]}, "daysOfMonth", "must be negative"),
        ({"years": ["2027:2025"]}, "years", "ends before it starts"),
    ],
)
def test_time_interval_ranges_run_forwards(
    interval: dict[str, Any], field: str, words: str
) -> None:
    found = problems(policy(timeIntervals=[{"name": "t", "intervals": [interval]}]))
    assert len(found) == 1
    assert found[0].startswith(f"spec.timeIntervals[0].intervals[0].{field}: ")
    assert words in found[0]


@pytest.mark.parametrize("interval", [{"daysOfMonth": ["5:-1"]}, {"weekdays": ["Monday:FRIDAY"]}])
def test_ranges_alertmanager_takes_are_accepted(interval: dict[str, Any]) -> None:
    parse_resource(policy(timeIntervals=[{"name": "t", "intervals": [interval]}]))


def test_regex_matchers_must_be_re2() -> None:
    route = {"receivers": ["r"], "matchers": ['service=~"(?!internal).*"']}
    found = problems(policy(routing={"routes": [route]}))
    assert found[0].startswith("spec.routing.routes[0].matchers[0]: ")
    assert "not an RE2 regular expression: invalid perl operator: (?!" in found[0]


def test_group_by_takes_label_names_or_dots() -> None:
    found = problems(policy(routing={"groupBy": ["alertname", "not-a-label"]}))
    assert found == [
        "spec.routing.groupBy: 'not-a-label' is not a label name (or '...' for every label)"
    ]
    parse_resource(policy(routing={"groupBy": ["..."]}))
    found = problems(stack(alertmanager={"route": {"groupBy": ["not a label"]}}))
    assert found[0].startswith("spec.alertmanager.route.groupBy: ")


def test_telegram_chat_id_not_zero() -> None:
    telegram = {"botToken": {"secretKeyRef": {"name": "t", "key": "k"}}, "chatID": 0}
    found = problems(policy(receivers=[{"name": "t", "telegram": telegram}]))
    assert found == ["spec.receivers[0].telegram.chatID: chatID must not be 0"]


def test_remote_write_names_are_unique() -> None:
    remote = [
        {"name": "mimir", "url": "https://a.example.com/push"},
        {"name": "mimir", "url": "https://b.example.com/push"},
        {"url": "https://c.example.com/push"},
    ]
    assert problems(stack(prometheus={"remoteWrite": remote})) == [
        "spec.prometheus: duplicate remoteWrite name(s): mimir"
    ]
    parse_resource(stack(prometheus={"remoteWrite": [*remote[1:], {"url": remote[0]["url"]}]}))
