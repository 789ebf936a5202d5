"""AlertPolicy `tests:` as promtool rule-test groups, and promtool's verdicts read back.

promtool compares complete label and annotation sets, while an expected alert names only
some labels; so each expectation becomes a `promql_expr_test` on
`ALERTS{alertname=…, alertstate="firing", <its labels>}` that yields 1 when such an alert
fires and 0 when none does. A probe group per test lists what was firing at each checked
time, so a failure can show the difference.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from typing import Any

from augur.api.alertpolicy import ExpectedAlert, InputSeries, RuleTest
from augur.api.promql import parse_expression, tokenize
from augur.api.resources import AlertPolicy
from augur.render.rules.promql_text import matchers
from augur.render.rules.tenancy import RuleScope, inject_matcher
from augur.render.yamlwriter import dump_yaml

PROBE_SUFFIX = " #firing"
SUITE_FILE = "tests.yaml"
"""The test file of a promtool run, beside the rule files it names."""


@dataclass
class Check:
    """One expectation of one test, as the promql_expr_test it became."""

    expected: ExpectedAlert
    expr: str

    def describe(self) -> str:
        """The expectation in words."""
        wanted = self.expected.alert + (
            "{" + matchers(self.expected.labels) + "}" if self.expected.labels else ""
        )
        if self.expected.firing:
            return f"at {self.expected.at}: expected {wanted} firing, but it was not"
        return f"at {self.expected.at}: expected no {wanted} firing, but it was"


@dataclass
class PolicyTest:
    """One RuleTest of one policy, translated."""

    policy: str
    """namespace/name."""
    test: RuleTest
    checks: list[Check] = field(default_factory=list)
    group: dict[str, Any] = field(default_factory=dict)
    probe: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The promtool test-group name."""
        return f"{self.policy}/{self.test.name}"


def scoped_series(series: InputSeries, scope: RuleScope) -> str:
    """The input series; under tenancy it gets the tenant's label unless it sets that label."""
    label = scope.enforce_label
    if label is None:
        return series.series
    try:
        node: Any = parse_expression(series.series)
    except ValueError:  # PromQLError included: promtool reports it, as the test's failure
        return series.series
    names = {m.name for m in node.matchers.matchers} if hasattr(node, "matchers") else set()
    return (
        series.series if label in names else inject_matcher(series.series, label, scope.namespace)
    )


def firing_selector(policy: AlertPolicy, scope: RuleScope, extra: dict[str, str]) -> str:
    """ALERTS of the policy that are firing, with the extra label matchers."""
    labels = {
        "alertstate": "firing",
        **scope.tenant_labels,
        "augur_policy": policy.name,
        **extra,
    }
    return "ALERTS{" + matchers(labels) + "}"


def translate(policy: AlertPolicy, test: RuleTest, scope: RuleScope) -> PolicyTest:
    """The promtool test group of one test, and its probe group."""
    translated = PolicyTest(policy.key, test)
    expr_tests = []
    for expected in test.expect_alerts:
        selector = firing_selector(policy, scope, {"alertname": expected.alert, **expected.labels})
        expr = f"group({selector}) or vector(0)"
        translated.checks.append(Check(expected, expr))
        value = 1 if expected.firing else 0
        expr_tests.append(
            {
                "expr": expr,
                "eval_time": expected.at,
                "exp_samples": [{"labels": "{}", "value": value}],
            }
        )
    series = [{"series": scoped_series(s, scope), "values": s.values} for s in test.input_series]
    base = {"interval": test.interval, "input_series": series}
    translated.group = {"name": translated.name, **base, "promql_expr_test": expr_tests}
    times = sorted({e.at for e in test.expect_alerts})
    probes = [
        {"expr": firing_selector(policy, scope, {}), "eval_time": at, "exp_samples": []}
        for at in times
    ]
    translated.probe = {"name": translated.name + PROBE_SUFFIX, **base, "promql_expr_test": probes}
    return translated


def test_suite(rule_files: list[str], tests: list[PolicyTest], interval: str) -> dict[str, Any]:
    """The promtool test file: every test group and its probe group."""
    groups = [group for t in tests for group in (t.group, t.probe)]
    return {"rule_files": rule_files, "evaluation_interval": interval, "tests": groups}


@dataclass(frozen=True)
class SuiteFiles:
    """Everything one `promtool test rules` run of some tests reads, by file name (relative to
    one folder): the rule files and the test file, `SUITE_FILE`."""

    files: dict[str, str]
    tests: list[PolicyTest]

    def digest(self) -> str:
        """A hash of the files: equal digests, equal results."""
        hasher = hashlib.sha256()
        for name in sorted(self.files):
            for part in (name, self.files[name]):
                data = part.encode()
                hasher.update(len(data).to_bytes(8, "big") + data)
        return hasher.hexdigest()


def suite_files(
    rule_files: list[tuple[str, str]], tests: list[PolicyTest], interval: str
) -> SuiteFiles:
    """The files of a run of `tests` against `rule_files` ((file name, text) pairs, the names
    without folders), evaluated every `interval`: the one way `augur test` and the operator
    build a promtool run."""
    files = dict(rule_files)
    names = list(files)
    files[SUITE_FILE] = dump_yaml(test_suite(names, tests, interval))
    return SuiteFiles(files, tests)


def junit_failures(junit_xml: str) -> dict[str, list[str]]:
    """Failure texts by test-group name (an empty list: the group passed)."""
    root = ElementTree.fromstring(junit_xml)
    return {
        case.get("name", ""): [f.text or "" for f in case.findall("failure")]
        for case in root.iter("testcase")
    }


def junit_suites(junit_xml: str) -> dict[str, dict[str, list[str]]]:
    """By test file (as named on promtool's command line), the failure and error texts of each
    test group (an empty list: it passed). A test file promtool could not read shows as one
    group named `unknown` with the error."""
    root = ElementTree.fromstring(junit_xml)
    return {
        suite.get("name", ""): {
            case.get("name", ""): [
                item.text or "" for item in case if item.tag in ("failure", "error")
            ]
            for case in suite.iter("testcase")
        }
        for suite in root.iter("testsuite")
    }


_GOT_TIME = re.compile(r"time: (\S+),")


def firing_at(probe_failures: list[str]) -> dict[str, list[str]]:
    """Alerts firing at each probed time, as `Name{labels}`, from a probe group's failures."""
    found: dict[str, list[str]] = {}
    for text in probe_failures:
        time = _GOT_TIME.search(text)
        got = text.split("got:", 1)[1] if "got:" in text else ""
        if time is None:
            continue
        found[time.group(1).rstrip(",")] = _label_sets(got)
    return found


def _label_sets(text: str) -> list[str]:
    """`{a="1", b="2"} 1E+00, …` -> ['Name{b="2"}', …] with alertname first, internals dropped."""
    sets: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    tokens = tokenize(text)
    for index, token in enumerate(tokens):
        if token.text == "{":
            current = {}
        elif token.text == "}" and current is not None:
            sets.append(current)
            current = None
        elif current is not None and token.kind == "string" and tokens[index - 1].text == "=":
            current[tokens[index - 2].text] = json.loads(token.text)
    hidden = {"__name__", "alertname", "alertstate"}
    return [
        s.get("alertname", "?")
        + "{"
        + matchers({k: v for k, v in s.items() if k not in hidden})
        + "}"
        for s in sets
    ]


@dataclass(frozen=True)
class Verdict:
    """What became of one test: the differences found (none: it passed)."""

    test: PolicyTest
    lines: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when the test passed."""
        return not self.lines


def verdicts(tests: list[PolicyTest], failures: dict[str, list[str]]) -> list[Verdict]:
    """Each test's verdict from promtool's failure texts by test-group name (`junit_failures`,
    or one file of `junit_suites`): for a failed expectation, what was expected and what was
    firing then. Failures of a group that name no expectation (a rule file promtool could not
    load) are kept as promtool wrote them; so are failures of groups that are no test's (a
    test file promtool could not read): they fail every test."""
    known = {name for t in tests for name in (t.name, t.name + PROBE_SUFFIX)}
    foreign = [text for name, texts in failures.items() if name not in known for text in texts]
    found: list[Verdict] = []
    for test in tests:
        failed = failures.get(test.name, []) + foreign
        if not failed:
            found.append(Verdict(test))
            continue
        mapped = [
            check
            for check in test.checks
            if any(
                json.dumps(check.expr) in text and f"time: {check.expected.at}," in text
                for text in failed
            )
        ]
        if not mapped:
            found.append(Verdict(test, tuple(text.strip() for text in failed)))
            continue
        firing = firing_at(failures.get(test.name + PROBE_SUFFIX, []))
        lines: list[str] = []
        for check in mapped:
            alerts = firing.get(check.expected.at, [])
            lines.append(check.describe())
            lines.append(
                f"  firing at {check.expected.at}: {', '.join(alerts) if alerts else 'nothing'}"
            )
        found.append(Verdict(test, tuple(lines)))
    return found
