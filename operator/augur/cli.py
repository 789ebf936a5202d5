"""The `augur` command: wires subcommands to the use cases in `augur.commands`."""

from __future__ import annotations

import click

from augur import __version__
from augur.commands.crds import crds_command
from augur.commands.dev import dev_group
from augur.commands.dev_cluster import cluster_group, dev_up_command
from augur.commands.forecast import forecast_group
from augur.commands.render import render_command
from augur.commands.run import run_command
from augur.commands.test import test_command
from augur.commands.validate import validate_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="augur", message="%(prog)s %(version)s")
def main() -> None:
    """augur: Prometheus, Alertmanager, Grafana and Jaeger from four custom resources.

    Offline (GitOps): validate, render and test AlertPolicies, BusinessKPIs, ScalingPolicies
    and MonitoringStacks without a cluster. Online: `augur run` is the operator.
    """


@main.command("version")
def version_command() -> None:
    """Print augur's version and the pinned component versions."""
    from augur import versions

    click.echo(f"augur {__version__}")
    click.echo(f"prometheus {versions.PROMETHEUS_VERSION}")
    click.echo(f"alertmanager {versions.ALERTMANAGER_VERSION}")
    click.echo(f"grafana {versions.GRAFANA_VERSION}")
    click.echo(f"jaeger {versions.JAEGER_VERSION}")


main.add_command(crds_command)
main.add_command(validate_command)
main.add_command(render_command)
main.add_command(run_command)
main.add_command(test_command)
main.add_command(forecast_group)
main.add_command(dev_group)
dev_group.add_command(cluster_group)
dev_group.add_command(dev_up_command)
