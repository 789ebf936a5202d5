"""`augur validate`: check CRs (schema, PromQL, references between objects) without a cluster."""

from __future__ import annotations

import dataclasses
import json

import click

from augur.commands.options import InputOptions, echo_findings, failed, input_options, load_inputs


@click.command("validate")
@input_options
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per problem on standard error; json: one report on standard output.",
)
def validate_command(
    paths: tuple[str, ...], exclude: tuple[str, ...], allow_empty: bool, strict: bool, output: str
) -> None:
    """Check AlertPolicies, BusinessKPIs, ScalingPolicies and MonitoringStacks in files.

    PrometheusRules (monitoring.coreos.com/v1), which a stack may load, are checked too. Other
    Kubernetes objects are skipped; `kind: List` items are read one by one. Every problem
    is printed as `file:line:column Kind/namespace/name: field.path: message`. Warnings (an
    object no stack of the input selects, an object without a namespace, an alert that can
    only reach a receiver with no integration, a KPI routed through a policy its stack does
    not load) do not fail unless --strict. The exit code is 0 only when every object is
    valid.
    """
    options = InputOptions(paths, exclude, allow_empty, strict)
    result = load_inputs(options)
    invalid = {(f.kind, f.namespace, f.name) for f in result.findings if f.kind}
    if output == "json":
        report = {
            "valid": not failed(result, options),
            "objects": result.objects,
            "invalid": len(invalid),
            "skipped": result.skipped,
            "problems": [dataclasses.asdict(f) for f in result.findings],
            "warnings": [dataclasses.asdict(f) for f in result.warnings],
        }
        click.echo(json.dumps(report, indent=2))
    else:
        echo_findings(result)
        state = (
            f"{len(invalid)} invalid, {len(result.findings)} problem(s)"
            if result.findings
            else "all valid"
        )
        warned = f", {len(result.warnings)} warning(s)" if result.warnings else ""
        click.echo(
            f"{result.objects} augur object(s), {state}{warned}; "
            f"{result.skipped} other document(s) skipped"
        )
    if failed(result, options):
        raise SystemExit(1)
