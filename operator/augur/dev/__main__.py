"""`python -m augur.dev tools [...]`: `augur dev tools` without loading the whole CLI.

The full `augur` command imports every subcommand (kopf, the API models); finding nine cached
binaries needs none of that, so scripts that only want the tools can start here.
"""

from __future__ import annotations

import click

from augur.dev.tools_command import tools_command

main = click.Group("python -m augur.dev", commands={"tools": tools_command})

if __name__ == "__main__":
    main()
