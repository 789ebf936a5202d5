"""`augur validate`: check CRs (schema, PromQL, references between objects) without a cluster."""

from __future__ import annotations

import dataclasses
import json

import click

from augur.commands.inputs import load


@click.command("validate")
@click.option(
    "-f", "--filename", "paths", multiple=True, required=True, help="File or folder (repeatable)."
)
@click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def validate_command(paths: tuple[str, ...], output: str) -> None:
    """Check AlertPolicies, BusinessKPIs, ScalingPolicies and MonitoringStacks in files.

    Other Kubernetes objects are skipped. Every problem is printed as
    `file:document kind/namespace/name: field.path: message`; the exit code is 0 only when
    every object is valid.
    """
    try:
        result = load(paths)
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None
    invalid = {(f.file, f.document) for f in result.findings}
    if output == "json":
        report = {
            "valid": not result.findings,
            "objects": result.objects,
            "invalid": len(invalid),
            "skipped": result.skipped,
            "problems": [dataclasses.asdict(f) for f in result.findings],
        }
        click.echo(json.dumps(report, indent=2))
    else:
        for finding in result.findings:
            click.echo(str(finding), err=True)
        state = "all valid" if not result.findings else f"{len(invalid)} invalid"
        click.echo(
            f"{result.objects} augur object(s), {state}; {result.skipped} other document(s) skipped"
        )
    if result.findings:
        raise SystemExit(1)
