"""`augur crds`: the CustomResourceDefinitions, generated from the API models."""

from __future__ import annotations

from pathlib import Path

import click

from augur.api.crd import HEADER, all_crds
from augur.commands.options import out_dir_option
from augur.render.yamlwriter import dump_yaml_documents


def crd_files() -> dict[str, str]:
    """Every CRD file's name and text, as `augur crds --out-dir DIR` writes them."""
    return {name: HEADER + dump_yaml_documents(docs) for name, docs in sorted(all_crds().items())}


@click.command("crds")
@out_dir_option(required=False, help="Write one file per CRD into DIR (default: print them).")
def crds_command(out_dir: str | None) -> None:
    """Print the CRDs of augur's kinds (and kopf's peering kinds), or write them to a folder."""
    files = crd_files()
    if out_dir is None:
        click.echo("---\n".join(files.values()), nl=False)
        return
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text)
            click.echo(f"wrote {folder / name}")
    except OSError as error:
        raise click.ClickException(f"cannot write into {folder}: {error.strerror}") from None
