"""The `augur` command: wires subcommands to the use cases in `augur.commands`.

Each subcommand's module is imported only when that subcommand runs (or shows its help):
`augur --help` and the offline commands never load kopf or the Kubernetes client.
"""

from __future__ import annotations

import importlib

import click

from augur import __version__

COMMANDS: dict[str, tuple[str, str, str]] = {
    "version": ("augur.cli", "version_command", "Print augur's version and the pinned component versions."),
    "crds": ("augur.commands.crds", "crds_command", "Print the CRDs of augur's kinds (and kopf's peering kinds), or write them to a folder."),
    "validate": ("augur.commands.validate", "validate_command", "Check AlertPolicies, BusinessKPIs, ScalingPolicies and MonitoringStacks in files."),
    "render": ("augur.commands.render", "render_command", "Render stacks into DIR/<namespace>/<stack>/ without a cluster."),
    "test": ("augur.commands.test", "test_command", "Run the rule tests of AlertPolicies with `promtool test rules`."),
    "import": ("augur.commands.import_", "import_command", "Convert prometheus-operator PrometheusRules (and an Alertmanager configuration) into AlertPolicies."),
    "forecast": ("augur.commands.forecast", "forecast_group", "Forecast a workload's load and replay it against scaling policies."),
    "run": ("augur.commands.run", "run_command", "Run the operator: reconcile MonitoringStacks, AlertPolicies and BusinessKPIs, and evaluate ScalingPolicies."),
    "dev": ("augur.commands.dev", "dev_group", "Developer tooling: real tools built from source, a local control plane."),
}  # fmt: skip
"""name -> (module, attribute, the one-line summary `augur --help` lists without importing)."""


class LazyGroup(click.Group):
    """A group whose subcommands are imported when first used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary) for name, (_, _, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="augur", message="%(prog)s %(version)s")
def main() -> None:
    """augur: Prometheus, Alertmanager, Grafana and Jaeger from four custom resources.

    Offline (GitOps): validate, render and test AlertPolicies, BusinessKPIs, ScalingPolicies
    and MonitoringStacks without a cluster. Online: `augur run` is the operator.
    """


@click.command("version")
def version_command() -> None:
    """Print augur's version and the pinned component versions."""
    from augur import versions

    click.echo(f"augur {__version__}")
    click.echo(f"prometheus {versions.PROMETHEUS_VERSION}")
    click.echo(f"alertmanager {versions.ALERTMANAGER_VERSION}")
    click.echo(f"grafana {versions.GRAFANA_VERSION}")
    click.echo(f"jaeger {versions.JAEGER_VERSION}")
