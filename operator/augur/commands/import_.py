"""`augur import`: prometheus-operator PrometheusRules (and an Alertmanager configuration) as
AlertPolicies. Reading the input and writing the output happen here; the conversion is the
package `commands/importing`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from augur.commands.importing.alertmanager import (
    AlertmanagerImport,
    apply_routing,
    import_alertmanager,
    is_alertmanager_config,
)
from augur.commands.importing.notes import Note
from augur.commands.importing.rules import import_prometheus_rule, is_prometheus_rule
from augur.commands.sources import Document, InputError, documents, read_sources
from augur.render.yamlwriter import dump_yaml_documents

EXIT_NOT_CARRIED = 3
"""Exit code when the output was written but some parts were not carried over (or were
changed): the report on standard error says which."""
EXIT_INPUT_ERROR = 2
"""Exit code when the input cannot be read or converted; nothing is written."""


@dataclass
class Report:
    """Lines for standard error, and whether any input error was found."""

    lines: list[str] = field(default_factory=list)
    errors: int = 0
    dropped: int = 0
    changed: int = 0

    def add(self, document: Document, what: str, note: Note) -> None:
        """One note, placed at the line and column of its field."""
        position = document.position(note.path)
        where = document.source + (f":{position.line}:{position.column}" if position.line else "")
        field_path = f" {note.path}:" if note.path else ""
        if note.kind == "error":
            self.errors += 1
            self.lines.append(f"{where} {what}:{field_path} {note.message}")
            return
        if note.kind == "dropped":
            self.dropped += 1
            label = "not carried over"
        else:
            self.changed += 1
            label = "changed"
        self.lines.append(f"{where} {what}:{field_path} {label} ({note.subject}): {note.message}")

    def input_error(self, message: str) -> None:
        """An input that cannot be read at all."""
        self.errors += 1
        self.lines.append(message)


@dataclass
class Converted:
    """Everything the input became."""

    policies: list[dict[str, Any]] = field(default_factory=list)
    rules: int = 0
    alertmanager: list[tuple[Document, AlertmanagerImport]] = field(default_factory=list)
    skipped: int = 0


def _describe(body: Any) -> str:
    metadata = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(metadata, dict):
        return str(body.get("kind", "document")) if isinstance(body, dict) else "document"
    scoped = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
    return f"{body.get('kind')}/{scoped}{metadata.get('name', '<unnamed>')}"


def _convert(
    paths: tuple[str, ...], exclude: tuple[str, ...], namespace: str | None, report: Report
) -> Converted:
    converted = Converted()
    try:
        sources, unreadable = read_sources(paths, exclude)
    except InputError as failure:
        raise click.UsageError(str(failure)) from None
    for bad in unreadable:
        report.input_error(f"{bad.name}: cannot read: {bad.reason}")
    for source in sources:
        found, problem = documents(source)
        if problem is not None:
            place = f"{problem.source}:{problem.position.line}:{problem.position.column}"
            report.input_error(f"{place}: {problem.message}")
        for document in found:
            body = document.body
            if is_prometheus_rule(body):
                result = import_prometheus_rule(body, namespace)
                for note in result.notes:
                    report.add(document, _describe(body), note)
                converted.policies += result.policies
                converted.rules += 1
            elif is_alertmanager_config(body):
                converted.alertmanager.append((document, import_alertmanager(body)))
            elif body is not None:
                converted.skipped += 1
    return converted


def _with_alertmanager(converted: Converted, report: Report) -> None:
    if len(converted.alertmanager) > 1:
        names = ", ".join(document.source for document, _ in converted.alertmanager)
        report.input_error(f"{names}: one Alertmanager configuration at most, found several")
        return
    for document, imported in converted.alertmanager:
        what = _describe(document.body) if "kind" in document.body else "Alertmanager config"
        for note in imported.notes:
            report.add(document, what, note)
        if not converted.policies and not imported.failed:
            report.input_error(
                f"{document.source}: an Alertmanager configuration is carried over onto the "
                "AlertPolicies of PrometheusRules: name those too (-f)"
            )
        if not imported.failed:
            converted.policies = apply_routing(converted.policies, imported)


@click.command("import")
@click.option(
    "-f",
    "--filename",
    "paths",
    multiple=True,
    required=True,
    metavar="PATH",
    help="PrometheusRules (monitoring.coreos.com/v1) and at most one Alertmanager "
    "configuration (alertmanager.yml, or an AlertmanagerConfig): file or folder (repeatable); "
    "- reads standard input.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave out files whose path, name or a folder name matches GLOB (repeatable).",
)
@click.option(
    "--namespace",
    metavar="NAMESPACE",
    default=None,
    help="Namespace of every AlertPolicy written (default: its PrometheusRule's).",
)
@click.option(
    "--out-file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the AlertPolicies here instead of standard output.",
)
def import_command(
    paths: tuple[str, ...], exclude: tuple[str, ...], namespace: str | None, out_file: str | None
) -> None:
    """Convert prometheus-operator PrometheusRules (and an Alertmanager configuration) into AlertPolicies.

    An Alertmanager configuration's routes, receivers, inhibitions and time intervals go to
    every imported policy with alerts. The AlertPolicies are written as YAML; standard error says, per object and rule, what was
    not carried over or was changed, and why. Exit code: 0 when everything was carried over
    as it was, 3 when some parts were reported (the output is written), 2 when the input
    cannot be read or converted (nothing is written; each problem at file:line:column).
    """
    report = Report()
    converted = _convert(paths, exclude, namespace, report)
    if not converted.rules and not converted.alertmanager and not report.errors:
        report.input_error(
            f"{', '.join(paths)}: no PrometheusRule or Alertmanager configuration found "
            f"({converted.skipped} other document(s))"
        )
    _with_alertmanager(converted, report)
    for line in report.lines:
        click.echo(line, err=True)
    if report.errors:
        click.echo(f"{report.errors} input error(s); nothing written", err=True)
        raise SystemExit(EXIT_INPUT_ERROR)
    text = dump_yaml_documents(converted.policies)
    if out_file is None:
        click.echo(text, nl=False)
    else:
        try:
            Path(out_file).write_text(text)
        except OSError as failure:
            raise click.ClickException(f"cannot write {out_file}: {failure.strerror}") from None
    click.echo(
        f"{converted.rules} PrometheusRule(s) -> {len(converted.policies)} AlertPolicy(ies); "
        f"{report.dropped} part(s) not carried over, {report.changed} changed; "
        f"{converted.skipped} other document(s) skipped",
        err=True,
    )
    if report.dropped or report.changed:
        raise SystemExit(EXIT_NOT_CARRIED)
