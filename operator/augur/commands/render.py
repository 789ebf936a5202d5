"""`augur render`: everything the operator would produce, offline, one folder per stack."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from augur.commands.inputs import load, problem_findings
from augur.render.selection import inputs_for, stacks_of
from augur.render.stack import render_stack


@click.command("render")
@click.option(
    "-f", "--filename", "paths", multiple=True, required=True, help="File or folder (repeatable)."
)
@click.option(
    "-o", "--output-dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
def render_command(paths: tuple[str, ...], output_dir: str) -> None:
    """Render stacks into <dir>/<namespace>/<stack>/ without a cluster.

    Each stack folder holds manifests.yaml (every Kubernetes object), prometheus/prometheus.yml,
    prometheus/rules/*.yaml, alertmanager/alertmanager.yml, grafana/ and jaeger/. Input with
    no MonitoringStack renders against a default stack (monitoring/default) that selects
    everything. Invalid objects are reported and left out; the exit code is then 1.
    """
    try:
        result = load(paths)
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None
    findings = list(result.findings)
    root = Path(output_dir)
    for stack in stacks_of(result.inventory):
        rendered = render_stack(inputs_for(stack, result.inventory))
        folder = root / stack.namespace / stack.name
        if folder.exists():
            shutil.rmtree(folder)
        for relative, text in sorted(rendered.files.items()):
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        for key, problems in rendered.rejected.items():
            findings.extend(f for f in problem_findings(result, key, problems) if f not in findings)
        click.echo(
            f"{stack.key}: {len(rendered.files)} file(s), {len(rendered.manifests)} object(s), "
            f"{rendered.rule_count} rule(s) -> {folder}"
        )
    for finding in findings:
        click.echo(str(finding), err=True)
    if findings:
        raise SystemExit(1)
