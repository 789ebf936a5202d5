"""`augur crds`."""

from __future__ import annotations

import click


@click.command("crds")
def crds_command() -> None:
    """(not yet implemented)"""
    raise click.ClickException("not implemented yet")
