"""`augur render`: everything the operator would produce, offline, one folder per stack."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from augur.commands.inputs import Finding, problem_findings
from augur.commands.options import (
    InputOptions,
    echo_findings,
    failed,
    input_options,
    load_inputs,
    out_dir_option,
)
from augur.render.selection import inputs_for, stacks_of
from augur.render.stack import render_stack


def _write_folder(folder: Path, files: dict[str, str]) -> None:
    """Replace `folder` with exactly `files` (relative path -> text)."""
    if folder.exists():
        shutil.rmtree(folder)
    for relative, text in sorted(files.items()):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


@click.command("render")
@input_options
@out_dir_option(required=True, help="Write each stack into DIR/<namespace>/<stack>/.")
def render_command(
    paths: tuple[str, ...],
    exclude: tuple[str, ...],
    allow_empty: bool,
    strict: bool,
    out_dir: str,
) -> None:
    """Render stacks into DIR/<namespace>/<stack>/ without a cluster.

    Each stack folder holds manifests.yaml (every Kubernetes object), prometheus/prometheus.yml,
    prometheus/rules/*.yaml, alertmanager/alertmanager.yml, grafana/ and jaeger/. Input with
    no MonitoringStack renders against a default stack (monitoring/default) that selects
    everything. Invalid objects are reported and left out; the exit code is then 1.
    """
    options = InputOptions(paths, exclude, allow_empty, strict)
    result = load_inputs(options)
    rejected: list[Finding] = []
    root = Path(out_dir)
    for stack in stacks_of(result.inventory):
        rendered = render_stack(inputs_for(stack, result.inventory))
        folder = root / stack.namespace / stack.name
        try:
            _write_folder(folder, rendered.files)
        except OSError as error:
            raise click.ClickException(f"cannot write {folder}: {error.strerror}") from None
        for key, problems in rendered.rejected.items():
            known = result.findings + rejected
            rejected += [f for f in problem_findings(result, key, problems) if f not in known]
        click.echo(
            f"{stack.key}: {len(rendered.files)} file(s), {len(rendered.manifests)} object(s), "
            f"{rendered.rule_count} rule(s) -> {folder}"
        )
    echo_findings(result, rejected)
    if failed(result, options) or rejected:
        raise SystemExit(1)
