"""`augur dev tools`: list and build the pinned real tools.

The command lives beside the tools it drives so that `python -m augur.dev tools` can run it
without the `augur` command above it; `augur.commands.dev` adds it to `augur dev`.
"""

from __future__ import annotations

import time

import click

from augur.dev import tools as t


@click.command("tools")
@click.argument("names", nargs=-1)
@click.option(
    "--list", "list_only", is_flag=True, help="Show what is pinned and cached; build nothing."
)
@click.option(
    "--build",
    "build",
    is_flag=True,
    help="Build what is missing: the NAMES given, else every tool that is not optional.",
)
@click.option(
    "--for-tests",
    is_flag=True,
    help="Select the tools the test suite needs (jaeger, helm and node_exporter included; "
    "not prometheus-operator, which only bench/versus.py runs).",
)
def tools_command(names: tuple[str, ...], list_only: bool, build: bool, for_tests: bool) -> None:
    """Pinned real tools (promtool, amtool, prometheus, alertmanager, etcd, kube-*, kwok, jaeger,
    helm, node_exporter, prometheus-operator).

    Each is built once from its Go source module into ~/.cache/augur/bin/<tool>-<version>
    and reused afterwards. A cold build takes minutes (Kubernetes binaries the longest).

    \b
      augur dev tools                      what is pinned, what is cached
      augur dev tools --build              build every missing non-optional tool
      augur dev tools --build --for-tests  build what the test suite needs
      augur dev tools --build jaeger       build one tool by name
      augur dev tools --build prometheus-operator   the side-by-side benchmark's (optional)
    """
    try:
        selected = t.selected_tools(names, for_tests=for_tests)
    except t.ToolError as err:
        raise click.UsageError(str(err)) from None
    if list_only or not build:
        _show(t.status(selected if (names or for_tests) else None))
        return
    _build_missing(selected)


def _show(rows: list[t.ToolStatus]) -> None:
    click.echo(f"{'tool':<24} {'version':<9} {'module':<50} cached")
    for row in rows:
        tool = row.tool
        module = f"{tool.module}@{tool.module_version}"
        if row.path is None:
            where = "no" + (" (optional)" if tool.optional else "")
        else:
            seconds = (row.record or {}).get("seconds")
            built = f"  (built in {seconds:.0f}s)" if isinstance(seconds, int | float) else ""
            where = f"{row.path}{built}"
        click.echo(f"{tool.name:<24} {tool.version:<9} {module:<50} {where}")
    if any(row.path is None for row in rows):
        click.echo("build what is missing: augur dev tools --build [NAME...]")


def _build_missing(selected: list[t.Tool]) -> None:
    started = time.monotonic()
    missing = [tool for tool in selected if not t.cached_tool_path(tool.name)]
    if not missing:
        click.echo(
            f"augur dev tools: all {len(selected)} tools cached ({time.monotonic() - started:.2f}s)"
        )
        return
    click.echo(f"augur dev tools: building {len(missing)} of {len(selected)} tools, one at a time")
    for index, tool in enumerate(missing, 1):
        prefix = f"[{index}/{len(missing)}]"

        def report(message: str, prefix: str = prefix) -> None:
            click.echo(f"{prefix} {message}")

        try:
            t.tool_path(tool.name, progress=report)
        except t.ToolError as err:
            raise click.ClickException(str(err)) from None
    click.echo(f"augur dev tools: done in {time.monotonic() - started:.0f}s")
