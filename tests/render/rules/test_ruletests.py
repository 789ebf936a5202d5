"""Rule tests as promtool runs them: the files of a run, and promtool's report read back."""

from __future__ import annotations

import json

import yaml

from augur.api.resources import AlertPolicy, parse_resource
from augur.render.rules.ruletests import (
    PROBE_SUFFIX,
    SUITE_FILE,
    PolicyTest,
    junit_suites,
    suite_files,
    translate,
    verdicts,
)
from augur.render.rules.tenancy import RuleScope

POLICY = {
    "apiVersion": "augur.dev/v1alpha1",
    "kind": "AlertPolicy",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {
        "alerts": [{"name": "Down", "severity": "high", "expr": "up == 0", "for": "1m"}],
        "tests": [
            {
                "name": "fires",
                "inputSeries": [{"series": 'up{job="a"}', "values": "0x20"}],
                "expectAlerts": [{"alert": "Down", "at": "5m"}],
            },
            {
                "name": "quiet",
                "inputSeries": [{"series": "up{", "values": "1x20"}],
                "expectAlerts": [{"alert": "Down", "at": "5m", "firing": False}],
            },
        ],
    },
}


def policy() -> AlertPolicy:
    resource = parse_resource(POLICY)
    assert isinstance(resource, AlertPolicy)
    return resource


def translated() -> list[PolicyTest]:
    p = policy()
    return [translate(p, t, RuleScope("shop")) for t in p.spec.tests]


def test_suite_files_name_the_rule_files_beside_the_test_file() -> None:
    suite = suite_files([("shop__api.yaml", "groups: []\n")], translated(), "30s")
    assert set(suite.files) == {"shop__api.yaml", SUITE_FILE}
    doc = yaml.safe_load(suite.files[SUITE_FILE])
    assert doc["rule_files"] == ["shop__api.yaml"]
    assert doc["evaluation_interval"] == "30s"
    assert [g["name"] for g in doc["tests"]] == [
        "shop/api/fires",
        "shop/api/fires" + PROBE_SUFFIX,
        "shop/api/quiet",
        "shop/api/quiet" + PROBE_SUFFIX,
    ]


def test_an_unparsable_input_series_is_left_for_promtool_to_report() -> None:
    doc = yaml.safe_load(suite_files([], translated(), "1m").files[SUITE_FILE])
    assert doc["tests"][2]["input_series"][0]["series"] == "up{"


def test_digest_follows_content_only() -> None:
    a = suite_files([("r.yaml", "groups: []\n")], translated(), "1m")
    b = suite_files([("r.yaml", "groups: []\n")], translated(), "1m")
    c = suite_files([("r.yaml", "groups: [] \n")], translated(), "1m")
    assert a.digest() == b.digest()
    assert a.digest() != c.digest()


def report(cases: str) -> str:
    return f"<testsuites>{cases}</testsuites>"


def test_junit_suites_reads_failures_and_errors_per_test_file() -> None:
    xml = report(
        '<testsuite name="0/tests.yaml"><testcase name="a"></testcase>'
        '<testcase name="b"><failure>bad</failure></testcase></testsuite>'
        '<testsuite name="1/tests.yaml"><testcase name="unknown"><error>yaml: line 1</error>'
        "</testcase></testsuite>"
    )
    assert junit_suites(xml) == {
        "0/tests.yaml": {"a": [], "b": ["bad"]},
        "1/tests.yaml": {"unknown": ["yaml: line 1"]},
    }


def test_verdicts_say_what_was_expected_and_what_fired() -> None:
    fires, quiet = translated()
    expr = fires.checks[0].expr
    failure = (
        f"    expr: {json.dumps(expr)}, time: 5m,\n        exp: {{}} 1E+00\n        got: {{}} 0E+00"
    )
    probe = (
        '    expr: "ALERTS{...}", time: 5m,\n        exp: (no samples)\n'
        '        got: {__name__="ALERTS", alertname="Other", alertstate="firing", x="1"} 1E+00'
    )
    found = verdicts(
        [fires, quiet],
        {fires.name: [failure], fires.name + PROBE_SUFFIX: [probe], quiet.name: []},
    )
    assert [v.passed for v in found] == [False, True]
    assert found[0].lines == (
        "at 5m: expected Down firing, but it was not",
        '  firing at 5m: Other{x="1"}',
    )


def test_a_failure_naming_no_expectation_is_kept_as_promtool_wrote_it() -> None:
    fires, quiet = translated()
    error = 'shop__api.yaml: 5:11: group "g", rule 1, "Down": could not parse expression'
    found = verdicts([fires, quiet], {fires.name: [error], quiet.name: []})
    assert found[0].lines == (error,)
    assert found[1].passed


def test_an_unreadable_test_file_fails_every_test() -> None:
    found = verdicts(translated(), {"unknown": ["yaml: line 1: did not find expected"]})
    assert [v.lines for v in found] == [("yaml: line 1: did not find expected",)] * 2
