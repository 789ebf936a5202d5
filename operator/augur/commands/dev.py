"""`augur dev`: developer tooling (pinned real tools, the local control plane)."""

from __future__ import annotations

import click

from augur.commands.dev_cluster import cluster_group, dev_up_command
from augur.commands.dev_load import inject_group
from augur.dev.tools_command import tools_command


@click.group("dev")
def dev_group() -> None:
    """Developer tooling: real tools built from source, a local control plane."""


dev_group.add_command(tools_command)
dev_group.add_command(cluster_group)
dev_group.add_command(dev_up_command)
dev_group.add_command(inject_group)
