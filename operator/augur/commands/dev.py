"""`augur dev`: developer tooling (pinned real tools, the local control plane)."""

from __future__ import annotations

import click


@click.group("dev")
def dev_group() -> None:
    """Developer tooling: real tools built from source, a local control plane."""
