"""`augur dev`: developer tooling (pinned real tools, the local control plane)."""

from __future__ import annotations

import click

from augur.dev.tools_command import tools_command


@click.group("dev")
def dev_group() -> None:
    """Developer tooling: real tools built from source, a local control plane."""


dev_group.add_command(tools_command)
