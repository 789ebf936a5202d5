"""What `validate`, `render` and `test` share: how input is named and when it passes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from augur.commands.inputs import Finding, LoadResult, load
from augur.commands.sources import InputError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class InputOptions:
    """The input options of one command line."""

    paths: tuple[str, ...]
    exclude: tuple[str, ...]
    allow_empty: bool
    strict: bool


def input_options(command: F) -> F:
    """-f/--filename, --exclude, --allow-empty and --strict, gathered into `inputs`."""
    options = [
        click.option(
            "-f",
            "--filename",
            "paths",
            multiple=True,
            required=True,
            metavar="PATH",
            help="File or folder (repeatable); - reads standard input "
            "(`kustomize build . | augur validate -f -`).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            help="Leave out files whose path, name or a folder name matches GLOB, e.g. "
            "'templates' or '*.tpl.yaml' (repeatable).",
        ),
        click.option(
            "--allow-empty",
            is_flag=True,
            help="Pass when the input holds no augur object (by default that fails: a wrong "
            "path must not pass CI).",
        ),
        click.option(
            "--strict",
            is_flag=True,
            help="Treat warnings (objects no stack selects, objects without a namespace, "
            "alerts that can only reach a receiver with no integration) as errors.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def load_inputs(options: InputOptions) -> LoadResult:
    """The input loaded and checked; a path that does not exist is a usage error, an input
    without any augur object an error unless allowed."""
    try:
        result = load(options.paths, exclude=options.exclude)
    except InputError as error:
        raise click.UsageError(str(error)) from None
    if result.objects == 0 and not options.allow_empty:
        named = ", ".join(options.paths)
        result.findings.append(
            Finding(
                named,
                0,
                0,
                "",
                "",
                "",
                "",
                f"no augur object found ({result.skipped} other document(s) skipped); "
                "pass --allow-empty if that is expected",
            )
        )
    return result


def failed(result: LoadResult, options: InputOptions) -> bool:
    """True when the input fails: any error, or any warning under --strict."""
    return bool(result.findings) or (options.strict and bool(result.warnings))


def echo_findings(result: LoadResult, extra: list[Finding] | None = None) -> None:
    """Every warning and error on standard error, warnings first."""
    for finding in [*result.warnings, *result.findings, *(extra or [])]:
        click.echo(str(finding), err=True)


def _refuse_dash_o(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.UsageError(
            "-o names an output format in every augur command (`augur validate -o json`); "
            f"write into a folder with --out-dir {value}"
        )


def out_dir_option(*, required: bool, help: str) -> Callable[[F], F]:
    """--out-dir DIR (--output-dir, its older spelling, still works). `-o` means an output
    format everywhere, so `-o DIR` is refused with the spelling to use."""

    def decorate(command: F) -> F:
        command = click.option(
            "-o", "dash_o", hidden=True, expose_value=False, callback=_refuse_dash_o
        )(command)
        return click.option(
            "--out-dir",
            "--output-dir",
            "out_dir",
            required=required,
            metavar="DIR",
            type=click.Path(file_okay=False),
            help=help,
        )(command)

    return decorate
