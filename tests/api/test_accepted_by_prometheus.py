"""What `validate` accepts, Prometheus 3.5 and Alertmanager 0.28 accept: the reproducers of
every "accepted but refused" defect found by fuzzing, each now refused by augur, on its field.

A few are checked against the pinned tools themselves (`test_refusals_match_promtool`): the
same expressions through augur's check and through `promtool check rules`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.api.durations import MAX_DURATION, check_duration
from augur.api.promql import PromQLError, check_promql, check_rule_expression
from augur.api.receivers import canonical_header
from augur.api.regex import regex_problem
from augur.api.resources import InvalidObject, parse_resource


def doc(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": "x", "namespace": "team"},
        "spec": spec,
    }


def problems(kind: str, spec: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidObject) as caught:
        parse_resource(doc(kind, spec))
    return [str(p) for p in caught.value.problems]


def alert(**fields: Any) -> dict[str, Any]:
    return {"name": "A", "severity": "high", "expr": "up == 0", **fields}


def kpi(**fields: Any) -> dict[str, Any]:
    return {"indicator": {"value": "avg(score)"}, "objective": {"target": 0.9}, **fields}


# -- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("292y", True),
        ("293y", False),
        ("300y", False),
        ("106751d", True),
        ("106752d", False),
        ("9223372036854ms", True),
        ("9223372036855ms", False),
        ("99999999999999999999s", False),
        (MAX_DURATION, True),
    ],
)
def test_duration_range_is_go_time_duration(text: str, accepted: bool) -> None:
    # the bound of model.ParseDuration: 2^63-1 ns (cross-checked with promtool below)
    if accepted:
        assert check_duration(text) == text
    else:
        with pytest.raises(ValueError, match="longer than Prometheus and Alertmanager accept"):
            check_duration(text)


@pytest.mark.parametrize(
    ("kind", "spec", "path"),
    [
        ("AlertPolicy", {"alerts": [alert(**{"for": "300y"})]}, "spec.alerts[0].for"),
        (
            "AlertPolicy",
            {"alerts": [alert(keepFiringFor="99999999999999999999s")]},
            "spec.alerts[0].keepFiringFor",
        ),
        ("AlertPolicy", {"defaults": {"for": "300y"}}, "spec.defaults.for"),
        (
            "AlertPolicy",
            {
                "routing": {
                    "escalation": [{"severities": ["high"], "after": "300y", "to": "critical"}]
                }
            },
            "spec.routing.escalation[0].after",
        ),
        (
            "AlertPolicy",
            {
                "alerts": [
                    {"name": "A", "severity": "high", "anomaly": {"query": "up", "window": "300y"}}
                ]
            },
            "spec.alerts[0].anomaly.window",
        ),
        ("AlertPolicy", {"routing": {"groupWait": "300y"}}, "spec.routing.groupWait"),
        ("AlertPolicy", {"routing": {"repeatInterval": "300y"}}, "spec.routing.repeatInterval"),
        ("BusinessKPI", kpi(objective={"target": 0.9, "window": "300y"}), "spec.objective.window"),
        (
            "MonitoringStack",
            {"prometheus": {"scrapeInterval": "300y"}},
            "spec.prometheus.scrapeInterval",
        ),
        (
            "MonitoringStack",
            {"prometheus": {"scrape": [{"name": "a", "interval": "300y"}]}},
            "spec.prometheus.scrape[0].interval",
        ),
        (
            "MonitoringStack",
            {"alertmanager": {"route": {"repeatInterval": "300y"}}},
            "spec.alertmanager.route.repeatInterval",
        ),
    ],
)
def test_durations_beyond_go_refused_on_their_field(
    kind: str, spec: dict[str, Any], path: str
) -> None:
    found = problems(kind, spec)
    assert any(p.startswith(f"{path}: ") and "longer than" in p for p in found), found


@pytest.mark.parametrize(
    ("kind", "spec", "path"),
    [
        ("AlertPolicy", {"routing": {"repeatInterval": "0"}}, "spec.routing.repeatInterval"),
        ("AlertPolicy", {"routing": {"groupInterval": "0s"}}, "spec.routing.groupInterval"),
        (
            "AlertPolicy",
            {
                "alerts": [
                    {"name": "A", "severity": "high", "anomaly": {"query": "up", "window": "0"}}
                ]
            },
            "spec.alerts[0].anomaly.window",
        ),
        ("BusinessKPI", kpi(objective={"target": 0.9, "window": "0s"}), "spec.objective.window"),
        (
            "MonitoringStack",
            {"alertmanager": {"route": {"repeatInterval": "0"}}},
            "spec.alertmanager.route.repeatInterval",
        ),
    ],
)
def test_zero_durations_refused_where_go_refuses_them(
    kind: str, spec: dict[str, Any], path: str
) -> None:
    assert any(
        p.startswith(f"{path}: ") and "must be longer than 0s" in p for p in problems(kind, spec)
    )


def test_zero_where_zero_means_off_is_still_accepted() -> None:
    parse_resource(
        doc("AlertPolicy", {"alerts": [alert(**{"for": "0"})], "routing": {"groupWait": "0s"}})
    )


def test_escalation_chain_whose_sum_overflows_is_refused() -> None:
    steps = [
        {"severities": ["low"], "after": "200y", "to": "medium"},
        {"severities": ["medium"], "after": "200y", "to": "critical"},
    ]
    found = problems("AlertPolicy", {"routing": {"escalation": steps}})
    assert found == [
        "spec.routing: escalation from low to critical takes the sum of its steps' delays, "
        f"longer than Prometheus accepts (at most {MAX_DURATION})"
    ]


# -- regular expressions --------------------------------------------------------------------

GO_REFUSES = ["(?x)a", "a++", "(?>a)", "a\\Z", "(?u)a", "x{1001}", "(?!a)", "\\1", "\\C"]


@pytest.mark.parametrize("regex", GO_REFUSES)
def test_regex_matchers_checked_as_re2(regex: str) -> None:
    route = {"receivers": ["r"], "matchers": [f'service=~"{regex.replace(chr(92), chr(92) * 2)}"']}
    found = problems("AlertPolicy", {"routing": {"routes": [route]}})
    assert len(found) == 1
    assert found[0].startswith("spec.routing.routes[0].matchers[0]: ")
    assert "bad regular expression" in found[0]


@pytest.mark.parametrize("regex", GO_REFUSES)
def test_promql_regexes_checked_as_re2(regex: str) -> None:
    quoted = regex.replace("\\", "\\\\")
    for expr in (f'up{{job=~"{quoted}"}}', f'label_replace(up, "a", "$1", "b", "{quoted}")'):
        with pytest.raises(PromQLError):
            check_promql(expr)


@pytest.mark.parametrize(
    "regex", ["a|b", "(?i)x.*", "[[:alpha:]]+", "\\d{2,5}", "(?P<n>a)", "a{0,490}"]
)
def test_re2_regexes_still_accepted(regex: str) -> None:
    assert regex_problem(regex, prometheus=True) is None


def test_prometheus_refuses_wide_repetitions_that_alertmanager_takes() -> None:
    assert regex_problem("a{2,1000}") is None
    assert "nested groups" in (regex_problem("a{2,1000}", prometheus=True) or "")


# -- receivers ------------------------------------------------------------------------------


def email(**fields: Any) -> dict[str, Any]:
    return {"to": "a@b.c", "from": "d@e.f", "smarthost": "smtp:25", **fields}


@pytest.mark.parametrize(
    "channel",
    [
        email(subject="x", headers={"subject": "y"}),
        email(headers={"Reply-To": "a@b.c", "reply-to": "d@e.f"}),
        email(headers={"X-Team": "a", "x-TEAM": "b"}),
        email(headers={"Bad Name": "a"}),
    ],
)
def test_email_headers_alertmanager_refuses(channel: dict[str, Any]) -> None:
    found = problems("AlertPolicy", {"receivers": [{"name": "r", "email": channel}]})
    assert len(found) == 1 and found[0].startswith("spec.receivers[0].email"), found


def test_email_headers_distinct_or_subject_alone_accepted() -> None:
    channel = email(headers={"Subject": "s", "Reply-To": "a@b.c"})
    parse_resource(doc("AlertPolicy", {"receivers": [{"name": "r", "email": channel}]}))


def test_header_names_compare_as_go_canonicalises_them() -> None:
    assert canonical_header("reply-to") == "Reply-To"
    assert canonical_header("X-SMTPAPI") == "X-Smtpapi"


@pytest.mark.parametrize("chat", [2**63, -(2**63) - 1, 10**30])
def test_telegram_chat_id_beyond_int64_refused(chat: int) -> None:
    channel = {"botToken": {"secretKeyRef": {"name": "s", "key": "k"}}, "chatID": chat}
    found = problems("AlertPolicy", {"receivers": [{"name": "r", "telegram": channel}]})
    assert found and found[0].startswith("spec.receivers[0].telegram.chatID: ")


# -- PromQL ---------------------------------------------------------------------------------

PROMETHEUS_REFUSES = [
    'up{job="a" or job="b"}',
    "info(up)",
    'sort_by_label(up, "a")',
    "limitk(1, up)",
    "rate(up[999999999y])",
    "up offset 300y",
    "up > 1e999",
    "up @ 1e20",
    'up{job=~"a++"}',
    "first_over_time(up[5m])",
]


@pytest.mark.parametrize("expr", PROMETHEUS_REFUSES)
def test_promql_prometheus_refuses_is_refused(expr: str) -> None:
    found = problems("AlertPolicy", {"alerts": [alert(expr=expr)]})
    assert len(found) == 1 and found[0].startswith("spec.alerts[0].expr: invalid PromQL"), found


def test_refusal_points_at_the_token() -> None:
    with pytest.raises(PromQLError) as caught:
        check_promql("sum(up) + info(up)")
    assert caught.value.column == 11
    assert caught.value.reason == "function 'info' is not enabled in Prometheus 3.5"


@pytest.mark.parametrize("expr", ["up[5m]", "rate(up[5m])[10m:1m]", '"text"'])
def test_rule_expressions_must_be_instant_vectors_or_scalars(expr: str) -> None:
    check_promql(expr)  # valid PromQL ...
    with pytest.raises(PromQLError, match="a rule needs an instant vector or a scalar"):
        check_rule_expression(expr)  # ... but no rule
    assert problems("AlertPolicy", {"alerts": [alert(expr=expr)]})
    assert problems("BusinessKPI", kpi(indicator={"value": expr}))
    anomaly = {"name": "A", "severity": "high", "anomaly": {"query": expr}}
    assert problems("AlertPolicy", {"alerts": [anomaly]})


@pytest.mark.parametrize("expr", ["up", "scalar(up)", "1", "sum(rate(x[5m])) > 0", "-vector(1)"])
def test_instant_vectors_and_scalars_are_rules(expr: str) -> None:
    check_rule_expression(expr)


def test_ratio_queries_must_be_instant_vectors() -> None:
    found = problems(
        "BusinessKPI",
        kpi(indicator={"ratio": {"good": "x[{{window}}]", "total": "sum(rate(y[{{window}}]))"}}),
    )
    assert found and "a rule needs an instant vector or a scalar" in found[0]


# -- the rest of the configuration ----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"prometheus": {"scrape": [{"name": "a"}, {"name": "a"}]}}, "duplicate scrape job"),
        (
            {
                "prometheus": {
                    "remoteWrite": [
                        {"url": "http://a", "name": "w"},
                        {"url": "http://b", "name": "w"},
                    ]
                }
            },
            "duplicate remoteWrite",
        ),
        (
            {"prometheus": {"remoteWrite": [{"url": "http://a"}, {"url": "http://a"}]}},
            "repeats an earlier endpoint",
        ),
        ({"tenancy": {"enforceNamespaceLabel": "__name__"}}, "cannot be the namespace label"),
        ({"tenancy": {"enforceNamespaceLabel": "severity"}}, "cannot be the namespace label"),
        ({"alertmanager": {"route": {"groupBy": ["a", "a"]}}}, "repeated"),
        ({"alertmanager": {"route": {"groupBy": ["...", "a"]}}}, "takes no other label"),
    ],
)
def test_stack_settings_prometheus_or_alertmanager_refuses(
    spec: dict[str, Any], words: str
) -> None:
    found = problems("MonitoringStack", spec)
    assert any(words in p for p in found), found


def test_policy_group_by_checked_like_the_stacks() -> None:
    found = problems("AlertPolicy", {"routing": {"groupBy": ["alertname", "alertname"]}})
    assert found == ["spec.routing.groupBy: label(s) alertname repeated"]


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_numbers_refused(value: float) -> None:
    assert problems("BusinessKPI", kpi(objective={"target": value}))
    anomaly = {"name": "A", "severity": "high", "anomaly": {"query": "up", "minimum": value}}
    assert problems("AlertPolicy", {"alerts": [anomaly]})


# -- against the real parser ----------------------------------------------------------------


@pytest.mark.tools
def test_refusals_match_promtool(promtool: Path, tmp_path: Path) -> None:
    refused = [*PROMETHEUS_REFUSES, *(f'up{{a=~"{r}"}}' for r in ("(?x)a", "x{1001}", "a{2,1000}"))]
    accepted = [
        "up",
        "rate(up[292y])",
        "up offset 292y",
        "up > Inf",
        'up{a=~"a{0,490}"}',
        "scalar(up)",
    ]
    for name, exprs in (("refused", refused), ("accepted", accepted)):
        for index, expr in enumerate(exprs):
            rules = {"groups": [{"name": "g", "rules": [{"record": "r", "expr": expr}]}]}
            path = tmp_path / f"{name}-{index}.yaml"
            path.write_text(yaml.safe_dump(rules))
            result = subprocess.run(
                [str(promtool), "check", "rules", str(path)], capture_output=True, check=False
            )
            assert (result.returncode == 0) == (name == "accepted"), expr
            with_augur = True
            try:
                check_promql(expr)
            except PromQLError:
                with_augur = False
            assert with_augur == (name == "accepted"), expr
