"""`python -m augur.dev tools [...]`: `augur dev tools` without loading the whole CLI.

It loads click and the tool cache only, so scripts that only want the tools can start here.
"""

from __future__ import annotations

import click

from augur.dev.tools_command import tools_command

main = click.Group("python -m augur.dev", commands={"tools": tools_command})

if __name__ == "__main__":
    main()
