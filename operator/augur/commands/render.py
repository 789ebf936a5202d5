"""`augur render`."""

from __future__ import annotations

import click


@click.command("render")
def render_command() -> None:
    """(not yet implemented)"""
    raise click.ClickException("not implemented yet")
