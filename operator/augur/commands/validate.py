"""`augur validate`."""

from __future__ import annotations

import click


@click.command("validate")
def validate_command() -> None:
    """(not yet implemented)"""
    raise click.ClickException("not implemented yet")
