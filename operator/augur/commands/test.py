"""`augur test`: run the `tests:` of AlertPolicies against their rendered rules with promtool."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from augur.api.resources import AlertPolicy, MonitoringStack
from augur.commands.inputs import LoadResult, load
from augur.render.rules.files import render_rule_files, stack_scope
from augur.render.rules.ruletests import (
    PROBE_SUFFIX,
    PolicyTest,
    failed_checks,
    firing_at,
    junit_failures,
    test_suite,
    translate,
)
from augur.render.selection import inputs_for, stack_selects, stacks_of
from augur.render.yamlwriter import dump_yaml


@dataclass
class Outcome:
    """Tests run and failed."""

    passed: int = 0
    failed: int = 0


def _promtool(explicit: str | None) -> str:
    if explicit:
        return explicit
    from augur.dev.tools import ToolError, tool_path

    try:
        return str(tool_path("promtool", build_missing=False))
    except ToolError as error:
        raise click.ClickException(f"{error} Or pass --promtool PATH.") from None


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
    with tempfile.TemporaryDirectory(prefix="augur-test-") as folder:
        root = Path(folder)
        names = []
        for rule_file in rendered.files:
            name = Path(rule_file.path).name
            (root / name).write_text(rule_file.text())
            names.append(name)
        (root / "tests.yaml").write_text(dump_yaml(test_suite(names, tests, interval)))
        process = subprocess.run(
            [promtool, "test", "rules", "--junit=junit.xml", "tests.yaml"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        junit = root / "junit.xml"
        if not junit.exists():
            raise click.ClickException(f"promtool failed: {process.stderr or process.stdout}")
        failures = junit_failures(junit.read_text())
    return _report(tests, failures)


def _report(tests: list[PolicyTest], failures: dict[str, list[str]]) -> Outcome:
    outcome = Outcome()
    for test in tests:
        failed = failures.get(test.name, [])
        if not failed:
            outcome.passed += 1
            click.echo(f"PASS {test.name}")
            continue
        outcome.failed += 1
        click.echo(f"FAIL {test.name}")
        firing = firing_at(failures.get(test.name + PROBE_SUFFIX, []))
        for check in failed_checks(test, failed):
            click.echo(f"  {check.describe()}")
            alerts = firing.get(check.expected.at, [])
            click.echo(
                f"    firing at {check.expected.at}: {', '.join(alerts) if alerts else 'nothing'}"
            )
    return outcome


@click.command("test")
@click.option(
    "-f", "--filename", "paths", multiple=True, required=True, help="File or folder (repeatable)."
)
@click.option("--promtool", "promtool_path", default=None, help="promtool binary to use.")
def test_command(paths: tuple[str, ...], promtool_path: str | None) -> None:
    """Run the rule tests of AlertPolicies with `promtool test rules`.

    Each policy is tested against the rules the first stack selecting it renders (or the
    default stack), tenancy included. Prints PASS/FAIL per test with the difference on
    failure; the exit code is 1 when a test fails or an object is invalid.
    """
    try:
        result = load(paths)
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None
    for finding in result.findings:
        click.echo(str(finding), err=True)
    by_stack: dict[str, tuple[MonitoringStack, list[AlertPolicy]]] = {}
    for policy in result.inventory.alert_policies:
        if policy.spec.tests:
            stack = _stack_of(policy, result)
            by_stack.setdefault(stack.key, (stack, []))[1].append(policy)
    total = Outcome()
    if by_stack:
        promtool = _promtool(promtool_path)
        for stack, policies in by_stack.values():
            outcome = run_stack_tests(stack, policies, result, promtool)
            total.passed += outcome.passed
            total.failed += outcome.failed
    click.echo(
        f"{total.passed + total.failed} test(s): {total.passed} passed, {total.failed} failed"
    )
    if total.failed or result.findings:
        raise SystemExit(1)
