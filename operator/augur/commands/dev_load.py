"""`augur dev inject`: change the load of a running `augur dev up` for a while."""

from __future__ import annotations

import click

from augur.api.durations import duration_seconds
from augur.dev.cluster import default_run_dir
from augur.dev.exporter import LoadError, inject, load_url
from augur.dev.load import ERROR_TARGETS, LATENCY_TARGETS


def _seconds(value: str) -> float:
    try:
        seconds = duration_seconds(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--for") from None
    if seconds <= 0:
        raise click.BadParameter("give a positive duration", param_hint="--for")
    return seconds


def _inject(name: str, kind: str, service: str, for_: str, amount: float) -> None:
    try:
        answer = inject(load_url(default_run_dir(name)), kind, service, _seconds(for_), amount)
    except LoadError as error:
        raise click.ClickException(str(error)) from None
    for running in answer["injections"]:
        click.echo(
            f"{running['kind']} in {running['service']}: {running['amount']:g} "
            f"for {running['seconds_left']}s more"
        )


@click.group("inject")
def inject_group() -> None:
    """Make the shop example misbehave for a while (alerts fire; see README)."""


_name = click.option("--name", default="dev", show_default=True, help="`augur dev up --name`.")
_for = click.option("--for", "for_", default="10m", show_default=True, help="How long.")


@inject_group.command("errors")
@click.option(
    "--service", required=True, type=click.Choice(ERROR_TARGETS), help="Where requests fail."
)
@click.option(
    "--ratio",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.3,
    show_default=True,
    help="Share of requests that fail (of payments: provider errors are 10×ratio per second).",
)
@_for
@_name
def inject_errors(service: str, ratio: float, for_: str, name: str) -> None:
    """A share of a service's requests fail (5xx; of evaluations: failed test executions)."""
    _inject(name, "errors", service, for_, ratio)


@inject_group.command("latency")
@click.option(
    "--service", required=True, type=click.Choice(LATENCY_TARGETS), help="What slows down."
)
@click.option(
    "--factor",
    type=click.FloatRange(0, min_open=True),
    default=5.0,
    show_default=True,
    help="How much slower.",
)
@_for
@_name
def inject_latency(service: str, factor: float, for_: str, name: str) -> None:
    """A service's response (or order fulfilment) times multiplied by a factor."""
    _inject(name, "latency", service, for_, factor)
