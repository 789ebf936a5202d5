"""`augur test`: run the `tests:` of AlertPolicies against their rendered rules with promtool."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import click

from augur.api.resources import AlertPolicy, MonitoringStack
from augur.commands.inputs import LoadResult
from augur.commands.options import InputOptions, echo_findings, failed, input_options, load_inputs
from augur.render.rules.files import render_rule_files, stack_scope
from augur.render.rules.ruletests import (
    SUITE_FILE,
    PolicyTest,
    junit_failures,
    suite_files,
    translate,
    verdicts,
)
from augur.render.selection import inputs_for, stack_selects, stacks_of


@dataclass(frozen=True)
class RuleTestResult:
    """One rule test: which, where it ran, and what failed (empty: it passed)."""

    name: str
    stack: str
    failures: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """Tests run, with their results."""

    results: list[RuleTestResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if not r.failures)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed


def _promtool(explicit: str | None) -> str:
    from augur.dev.tools import ToolError, find_tool

    try:
        return str(find_tool("promtool", explicit))
    except ToolError as error:
        hint = "" if explicit else " Or pass --promtool PATH."
        raise click.ClickException(f"{error}{hint}") from None


def _stack_of(policy: AlertPolicy, result: LoadResult) -> MonitoringStack:
    """The first stack (in name order) that loads the policy, else the default stack."""
    stacks = stacks_of(result.inventory)
    labels = result.inventory.namespace_labels
    return next((s for s in stacks if stack_selects(s, policy, labels)), stacks[0])


def run_stack_tests(
    stack: MonitoringStack, policies: list[AlertPolicy], result: LoadResult, promtool: str
) -> Outcome:
    """Render the stack's rules, run every test of `policies` in one promtool call, report."""
    rendered = render_rule_files(inputs_for(stack, result.inventory))
    tests: list[PolicyTest] = []
    for policy in policies:
        scope = stack_scope(inputs_for(stack, result.inventory), policy.namespace)
        tests += [translate(policy, test, scope) for test in policy.spec.tests]
    interval = stack.spec.prometheus.evaluation_interval
    rule_files = [(Path(f.path).name, f.text()) for f in rendered.files]
    suite = suite_files(rule_files, tests, interval)
    with tempfile.TemporaryDirectory(prefix="augur-test-") as folder:
        root = Path(folder)
        for name, text in suite.files.items():
            (root / name).write_text(text)
        try:
            process = subprocess.run(
                [promtool, "test", "rules", "--junit=junit.xml", SUITE_FILE],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError as error:
            raise click.ClickException(f"cannot run {promtool}: {error.strerror}") from None
        junit = root / "junit.xml"
        if not junit.exists():
            raise click.ClickException(f"promtool failed: {process.stderr or process.stdout}")
        failures = junit_failures(junit.read_text())
    return _report(stack.key, tests, failures)


def _report(stack: str, tests: list[PolicyTest], failures: dict[str, list[str]]) -> Outcome:
    outcome = Outcome()
    for verdict in verdicts(tests, failures):
        name = verdict.test.name
        click.echo(f"{'PASS' if verdict.passed else 'FAIL'} {name}")
        for line in verdict.lines:
            click.echo(f"  {line}")
        outcome.results.append(RuleTestResult(name, stack, list(verdict.lines)))
    return outcome


def junit_xml(outcome: Outcome) -> str:
    """The results as JUnit XML (what CI systems show): one testsuite per stack the tests ran
    in, one testcase per rule test, the differences as the failure's text."""
    suites = ElementTree.Element(
        "testsuites",
        name="augur test",
        tests=str(len(outcome.results)),
        failures=str(outcome.failed),
    )
    for stack in dict.fromkeys(r.stack for r in outcome.results):
        results = [r for r in outcome.results if r.stack == stack]
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=f"MonitoringStack {stack}",
            tests=str(len(results)),
            failures=str(sum(1 for r in results if r.failures)),
        )
        for result in results:
            policy, _, name = result.name.rpartition("/")
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"AlertPolicy {policy}", name=name
            )
            if result.failures:
                failure = ElementTree.SubElement(
                    case, "failure", message=result.failures[0], type="RuleTestFailed"
                )
                failure.text = "\n".join(result.failures)
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


@click.command("test")
@input_options
@click.option(
    "--promtool",
    "promtool_path",
    default=None,
    metavar="PATH",
    help="promtool binary to use (default: the one augur built, else promtool on PATH when "
    "it is of the pinned release series).",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Also write the results as JUnit XML to FILE, for CI systems to show.",
)
def test_command(
    paths: tuple[str, ...],
    exclude: tuple[str, ...],
    allow_empty: bool,
    strict: bool,
    promtool_path: str | None,
    junit_path: str | None,
) -> None:
    """Run the rule tests of AlertPolicies with `promtool test rules`.

    Each policy is tested against the rules the first stack selecting it renders (or the
    default stack), tenancy included. Prints PASS/FAIL per test with the difference on
    failure; the exit code is 1 when a test fails or an object is invalid.
    """
    options = InputOptions(paths, exclude, allow_empty, strict)
    result = load_inputs(options)
    echo_findings(result)
    by_stack: dict[str, tuple[MonitoringStack, list[AlertPolicy]]] = {}
    for policy in result.inventory.alert_policies:
        if policy.spec.tests:
            stack = _stack_of(policy, result)
            by_stack.setdefault(stack.key, (stack, []))[1].append(policy)
    total = Outcome()
    if by_stack:
        promtool = _promtool(promtool_path)
        for stack, policies in by_stack.values():
            total.results += run_stack_tests(stack, policies, result, promtool).results
    click.echo(
        f"{total.passed + total.failed} test(s): {total.passed} passed, {total.failed} failed"
    )
    if junit_path is not None:
        try:
            Path(junit_path).write_text(junit_xml(total))
        except OSError as error:
            raise click.ClickException(f"cannot write {junit_path}: {error.strerror}") from None
    if total.failed or failed(result, options):
        raise SystemExit(1)
