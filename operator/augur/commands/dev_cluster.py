"""`augur dev cluster` and `augur dev up`: a local control plane for development and e2e tests."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

import click

from augur.dev.cluster import (
    PROGRAMS,
    ClusterState,
    ControlPlane,
    check_run_dir,
    default_run_dir,
    kubectl,
)
from augur.dev.exporter import start_exporter
from augur.dev.livestack import LiveStacks
from augur.dev.processes import ClusterError, free_port, stop
from augur.dev.tools import ToolError, tool_path

REPO_ROOT = Path(__file__).resolve().parents[3]
HISTORY_SECONDS = 2 * 86400
"""History of the example's load written into each stack's Prometheus before it starts."""


def control_plane_binaries() -> dict[str, Path]:
    """The control plane's binaries, built first when missing (with progress)."""
    return {name: tool_path(name, progress=lambda m: click.echo(f"  {m}")) for name in PROGRAMS}


def _start(run_dir: Path) -> ControlPlane:
    try:
        binaries = control_plane_binaries()
        plane = ControlPlane(run_dir, binaries)
        plane.start(progress=lambda m: click.echo(f"control plane: {m}"))
    except (ClusterError, ToolError) as error:
        raise click.ClickException(str(error)) from None
    return plane


def _print_access(plane: ControlPlane) -> None:
    click.echo(f"kubeconfig: {plane.kubeconfig}")
    click.echo(f"export KUBECONFIG={plane.kubeconfig}")


@click.group("cluster")
def cluster_group() -> None:
    """A real local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)."""


@cluster_group.command("up")
@click.option("--name", default="default", show_default=True, help="Control plane name.")
def cluster_up(name: str) -> None:
    """Start a control plane in the background; return once its API and nodes are ready."""
    plane = _start(default_run_dir(name))
    _print_access(plane)
    click.echo(
        "stop it with: augur dev cluster down" + ("" if name == "default" else f" --name {name}")
    )


@cluster_group.command("down")
@click.option("--name", default="default", show_default=True, help="Control plane name.")
def cluster_down(name: str) -> None:
    """Stop a control plane started with `up`."""
    run_dir = default_run_dir(name)
    state = ClusterState.load(run_dir)
    if state is None:
        click.echo(f"no control plane runs from {run_dir}")
        return
    stopped = stop(state.pids)
    (run_dir / "state.json").unlink(missing_ok=True)
    click.echo(f"stopped {', '.join(stopped) or 'nothing (it had already exited)'}")


@cluster_group.command("status")
@click.option("--name", default="default", show_default=True, help="Control plane name.")
def cluster_status(name: str) -> None:
    """Say what runs."""
    run_dir = default_run_dir(name)
    state = ClusterState.load(run_dir)
    if state is None:
        click.echo(f"no control plane runs from {run_dir}")
        return
    for program, up in state.running().items():
        click.echo(
            f"{program:<24} {'running' if up else 'NOT RUNNING'} (pid {state.pids[program]})"
        )
    click.echo(f"server: {state.server}")
    click.echo(f"export KUBECONFIG={state.kubeconfig}")
    if not all(state.running().values()):
        raise SystemExit(1)


@click.command("up")
@click.option("--name", default="dev", show_default=True, help="Control plane name.")
@click.option(
    "-f",
    "--filename",
    "paths",
    multiple=True,
    type=click.Path(exists=True),
    help="CRs to apply (default: examples/shop).",
)
def dev_up_command(name: str, paths: tuple[str, ...]) -> None:
    """Run augur locally: a control plane, the CRDs and the example CRs, in the foreground.

    Ctrl-C stops everything it started.
    """
    run_dir = default_run_dir(name)
    try:
        note = check_run_dir(run_dir)
    except ClusterError as error:
        raise click.ClickException(str(error)) from None
    if note:
        click.echo(note)
    plane = _start(run_dir)

    def shutdown(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    try:
        kubectl(plane.kubeconfig, "apply", "--server-side", "-f", str(REPO_ROOT / "crds"))
        kubectl(
            plane.kubeconfig, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"
        )
        targets = list(paths) or [str(REPO_ROOT / "examples" / "shop")]
        for target in targets:
            click.echo(kubectl(plane.kubeconfig, "apply", "-f", target).rstrip())
        _print_access(plane)
        click.echo(kubectl(plane.kubeconfig, "get", "augur", "-A").rstrip())
        _run_live(plane, run_dir)
    except ClusterError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("\nstopping")
    finally:
        plane.stop()


def _run_live(plane: ControlPlane, run_dir: Path) -> None:
    """The load exporter, every stack's Prometheus and Alertmanager, and the operator, until
    the operator ends or Ctrl-C; stops what it started."""
    live_dir = run_dir / "live"
    # Each run starts from fresh data: the history written below would clash with an old one.
    shutil.rmtree(live_dir, ignore_errors=True)
    exporter = start_exporter(run_dir, HISTORY_SECONDS)
    try:
        live = LiveStacks(
            plane.kubeconfig,
            live_dir,
            say=_say_live,
            extra_jobs=[exporter.scrape_job()],
            url_file=run_dir / "prometheus-urls",
        )
        history = exporter.history.read_text() if exporter.history.exists() else ""
        for key in _stack_names(plane):
            namespace, _, name = key.partition("/")
            urls = live.urls(namespace, name)
            click.echo(f"{key}: Prometheus {urls.prometheus}  Alertmanager {urls.alertmanager}")
            if history:
                live.backfill(namespace, name, history)
        exporter.history.unlink(missing_ok=True)
        click.echo(f"load: the shop's series on {exporter.url}/metrics (see augur dev inject)")
        with live:
            _run_operator(plane, run_dir / "prometheus-urls")
    finally:
        exporter.stop()


def _run_operator(plane: ControlPlane, url_file: Path) -> None:
    listen = f"127.0.0.1:{free_port()}"
    click.echo(f"operator: /metrics and /healthz on http://{listen}")
    click.echo("augur dev up: running the operator; Ctrl-C stops it and the control plane")
    operator = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "augur"),
            "run",
            "--kubeconfig",
            str(plane.kubeconfig),
            "--standalone",
            "--listen",
            listen,
            "--prometheus-url-file",
            str(url_file),
            "--kpi-interval",
            "15",
        ]
    )
    try:
        operator.wait()
    finally:
        if operator.poll() is None:
            operator.terminate()
            operator.wait(timeout=30)


def _say_live(message: str) -> None:
    click.echo(f"live stack: {message}")


def _stack_names(plane: ControlPlane) -> list[str]:
    """NAMESPACE/NAME of every MonitoringStack."""
    return kubectl(
        plane.kubeconfig,
        "get",
        "mstack",
        "-A",
        "-o",
        "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{'\\n'}{end}",
    ).split()
