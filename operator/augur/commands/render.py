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


class OutsideOutput(Exception):
    """A path that would leave the output folder."""


def _inside(root: Path, *parts: str) -> Path:
    """`root/parts...`, resolved (symbolic links followed), when it lies strictly below `root`;
    OutsideOutput otherwise. Names and namespaces are validated before they get here; this
    holds whatever the input, so no input makes `render` write or delete elsewhere."""
    base = root.resolve()
    if not parts or any(not p or Path(p).is_absolute() for p in parts):
        raise OutsideOutput(f"{'/'.join(parts)!r} is not a relative path below {root}")
    target = base.joinpath(*parts).resolve()
    if target == base or not target.is_relative_to(base):
        raise OutsideOutput(f"{'/'.join(parts)!r} leads outside {root}")
    return target


def write_stack_folder(root: Path, namespace: str, name: str, files: dict[str, str]) -> Path:
    """Replace `root/<namespace>/<name>/` with exactly `files` (relative path -> text), and
    return that folder. Every path deleted or written is checked to lie inside it first
    (OutsideOutput otherwise, before anything is touched); the namespace and the name must
    each be one path component."""
    for part in (namespace, name):
        if part in (".", "..") or "/" in part or "\\" in part:
            raise OutsideOutput(f"{part!r} is not a single folder name")
    folder = _inside(root, namespace, name)
    targets = [(_inside(folder, relative), text) for relative, text in sorted(files.items())]
    if folder.exists():
        shutil.rmtree(folder)
    for target, text in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


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
    prometheus/rules/*.yaml (promrule__<namespace>__<name>.yaml for a selected PrometheusRule),
    alertmanager/alertmanager.yml, grafana/ and jaeger/. Input with no MonitoringStack renders
    against a default stack (monitoring/default) that selects everything, PrometheusRules
    included. Invalid objects are reported and left out; the exit code is then 1.
    """
    options = InputOptions(paths, exclude, allow_empty, strict)
    result = load_inputs(options)
    rejected: list[Finding] = []
    root = Path(out_dir)
    for stack in stacks_of(result.inventory):
        rendered = render_stack(inputs_for(stack, result.inventory))
        folder = root / stack.namespace / stack.name
        try:
            write_stack_folder(root, stack.namespace, stack.name, rendered.files)
        except OutsideOutput as error:
            raise click.ClickException(f"refusing to write {stack.key}: {error}") from None
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
