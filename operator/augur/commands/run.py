"""`augur run`: the operator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import zlib
from pathlib import Path

import augur.kube.kopf_without_client  # noqa: F401  (before kopf: see there)

# isort: split
import click
import kopf

from augur.controllers import crd_following, registry
from augur.controllers.endpoints import serve
from augur.controllers.promoperator import quiet_absent_crds
from augur.controllers.rule_tests import RuleTestSettings
from augur.controllers.state import OperatorConfig, OperatorState, URLFile
from augur.controllers.tool_check import ToolCheckSettings
from augur.controllers.webhook import ServingCertificate, serving_webhook
from augur.kube.client import KubeClient
from augur.kube.credentials import ConfigError, load_credentials
from augur.kube.errors import KubeError
from augur.memory import limit_malloc_arenas
from augur.metrics import OperatorMetrics
from augur.status.sharding import SHARD_LABEL, peering_name

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?")
"""A shard name: it becomes part of a peering object's name and an annotation prefix."""
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def default_operator_namespace() -> str | None:
    """Where this process runs: POD_NAMESPACE, else the in-cluster ServiceAccount's namespace,
    else unknown (a process outside the cluster)."""
    if os.environ.get("POD_NAMESPACE"):
        return os.environ["POD_NAMESPACE"]
    try:
        return SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or None
    except OSError:
        return None


def _address(value: str, option: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter(f"{value!r} is not HOST:PORT", param_hint=option)
    return host or "0.0.0.0", int(port)


def default_identity() -> str:
    """The pod name in a cluster (POD_NAME), else host and process."""
    return os.environ.get("POD_NAME") or f"{socket.gethostname()}-{os.getpid()}"


def priority_of(identity: str) -> int:
    """A distinct peering priority per replica (kopf freezes peers of equal priority)."""
    return 100 + zlib.crc32(identity.encode()) % 1_000_000


def ensure_peering(kube: KubeClient, namespaces: tuple[str, ...], name: str) -> None:
    """Create the peering objects (named `name`) replicas coordinate through, when missing."""
    if namespaces:
        objects = [
            {
                "apiVersion": "kopf.dev/v1",
                "kind": "KopfPeering",
                "metadata": {"name": name, "namespace": ns},
            }
            for ns in namespaces
        ]
    else:
        objects = [
            {
                "apiVersion": "kopf.dev/v1",
                "kind": "ClusterKopfPeering",
                "metadata": {"name": name},
            }
        ]
    for obj in objects:
        try:
            kube.create(obj)
        except KubeError as error:
            if not error.conflict:
                raise click.ClickException(f"cannot create the peering object: {error}") from None


def _quiet_handler_success(record: logging.LogRecord) -> bool:
    """Drop kopf's "Handler ... succeeded." lines; keep peering, errors and the rest."""
    return not (record.levelno <= logging.INFO and str(record.msg).endswith("succeeded."))


def _prometheus_urls(values: tuple[str, ...]) -> dict[str, str]:
    urls = {}
    for value in values:
        stack, sep, url = value.partition("=")
        if not sep or "/" not in stack or not url:
            raise click.BadParameter(
                f"{value!r} is not NAMESPACE/STACK=URL", param_hint="--prometheus-url"
            )
        urls[stack] = url
    return urls


def _tool(name: str, explicit: str | None, without: str) -> str | None:
    """The `name` binary the operator runs: the one given, else the pinned build (augur's
    tool cache: AUGUR_CACHE_DIR, set in the image), else one on PATH of the pinned release
    series; None (status then says so) when there is none, logging `without`."""
    from augur.dev.tools import ToolError, find_tool

    try:
        return str(find_tool(name, explicit))
    except ToolError as error:
        if explicit is not None:
            raise click.BadParameter(str(error), param_hint=f"--{name}") from None
        logging.getLogger("augur.operator").warning("%s: %s", without, error)
        return None


async def _main(
    state: OperatorState,
    *,
    namespaces: tuple[str, ...],
    standalone: bool,
    priority: int,
    listen: tuple[str, int],
    webhook: tuple[str, int, ServingCertificate] | None,
) -> None:
    runner = await serve(state, *listen)
    try:
        async with contextlib.AsyncExitStack() as stack:
            if webhook is not None:
                await stack.enter_async_context(serving_webhook(*webhook))
            await _operate(
                state,
                namespaces=namespaces,
                standalone=standalone,
                priority=priority,
            )
    finally:
        await runner.cleanup()


async def _operate(
    state: OperatorState, *, namespaces: tuple[str, ...], standalone: bool, priority: int
) -> None:
    await kopf.operator(
        registry=registry,
        clusterwide=not namespaces,
        namespaces=list(namespaces),
        standalone=standalone,
        priority=priority,
        peering_name=None if standalone else peering_name(state.config.shard),
        memo=kopf.Memo(state=state),
    )


@click.command("run")
@click.option(
    "--kubeconfig",
    type=click.Path(exists=True, dir_okay=False),
    help="Default: in-cluster, then $KUBECONFIG (files merged) or ~/.kube/config.",
)
@click.option("--context", default=None, help="kubeconfig context (default: the current one).")
@click.option(
    "--namespace-mode",
    type=click.Choice(["all", "listed"]),
    default="all",
    show_default=True,
    help="Watch every namespace, or only those given with --namespace.",
)
@click.option(
    "-n", "--namespace", "namespaces", multiple=True, help="Namespace to watch (repeatable)."
)
@click.option(
    "--listen", default="0.0.0.0:8080", show_default=True, help="Address of /healthz and /metrics."
)
@click.option(
    "--operator-namespace",
    default=None,
    help="Where the operator's pods run, for the stacks' scrape job of them "
    "(default: POD_NAMESPACE, else the in-cluster ServiceAccount's namespace).",
)
@click.option(
    "--webhook-listen",
    default=None,
    metavar="HOST:PORT",
    help="Serve the validating admission webhook (HTTPS, POST /validate) here.",
)
@click.option(
    "--webhook-tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The webhook's serving certificate (PEM); reloaded when the file changes.",
)
@click.option(
    "--webhook-tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The key of --webhook-tls-cert (PEM).",
)
@click.option(
    "--identity", default=None, help="This replica's name (default: POD_NAME or host-pid)."
)
@click.option(
    "--priority",
    type=int,
    default=None,
    help="Peering priority (default: derived from the identity).",
)
@click.option("--standalone", is_flag=True, help="Do not coordinate with other replicas.")
@click.option(
    "--shard",
    default="",
    metavar="NAME",
    help=f"Serve operator shard NAME: the MonitoringStacks and ScalingPolicies labelled "
    f"{SHARD_LABEL}=NAME (default: those without the label); replicas of one shard "
    "coordinate among themselves only.",
)
@click.option(
    "--prometheus-url",
    "prometheus_urls",
    multiple=True,
    metavar="NAMESPACE/STACK=URL",
    help="Reach a stack's Prometheus at URL (when running outside the cluster).",
)
@click.option(
    "--prometheus-url-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A file of NAMESPACE/STACK=URL lines, re-read when it changes (--prometheus-url wins).",
)
@click.option(
    "--drift-interval",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds between drift checks.",
)
@click.option(
    "--kpi-interval",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds between KPI evaluations.",
)
@click.option(
    "--scaling-concurrency",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help=(
        "ScalingPolicy forecasts fitted at once, each in a worker process at a lower "
        "priority (the others wait; the event loop never does). One keeps thousands of "
        "policies current at a 5m interval; each more holds about 80 MiB."
    ),
)
@click.option(
    "--promtool",
    "promtool_path",
    default=None,
    metavar="PATH",
    help="promtool binary for AlertPolicy rule tests and for checking every object's rule "
    "file (default: the one augur built, else promtool on PATH when it is of the pinned "
    "release series).",
)
@click.option(
    "--amtool",
    "amtool_path",
    default=None,
    metavar="PATH",
    help="amtool binary for checking each AlertPolicy's part of the Alertmanager "
    "configuration (default: the one augur built, else amtool on PATH when it is of the "
    "pinned release series).",
)
@click.option(
    "--tool-check-timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds one promtool or amtool call checking objects' output may take before it is "
    "killed (the files it did not judge are let through, and the stack's status says so).",
)
@click.option(
    "--rule-test-timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds one promtool call running rule tests may take before it is killed.",
)
@click.option(
    "--log-format",
    type=click.Choice(["plain", "json"]),
    default="plain",
    show_default=True,
    help="plain: one line per record; json: one JSON object per record.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def run_command(
    kubeconfig: str | None,
    context: str | None,
    namespace_mode: str,
    namespaces: tuple[str, ...],
    listen: str,
    operator_namespace: str | None,
    webhook_listen: str | None,
    webhook_tls_cert: Path | None,
    webhook_tls_key: Path | None,
    identity: str | None,
    priority: int | None,
    standalone: bool,
    shard: str,
    prometheus_urls: tuple[str, ...],
    prometheus_url_file: Path | None,
    drift_interval: float,
    kpi_interval: float,
    scaling_concurrency: int,
    promtool_path: str | None,
    amtool_path: str | None,
    tool_check_timeout: float,
    rule_test_timeout: float,
    log_format: str,
    verbose: bool,
) -> None:
    """Run the operator: reconcile MonitoringStacks, AlertPolicies and BusinessKPIs, and
    evaluate ScalingPolicies. AlertPolicy rule tests run with promtool (--promtool) when a
    policy or its rules change; their results are in the policy's status. Before an object's
    rules or Alertmanager configuration enter a stack's shared files, promtool and amtool
    check them; an object they refuse is left out, with their message in its status."""
    # Before any thread starts: the threads share two malloc arenas (augur/memory.py).
    limit_malloc_arenas()
    if namespace_mode == "listed" and not namespaces:
        raise click.BadParameter("give at least one --namespace", param_hint="--namespace-mode")
    if namespace_mode == "all" and namespaces:
        raise click.BadParameter(
            "--namespace is only read with --namespace-mode listed (the default, all, watches "
            "every namespace)",
            param_hint="--namespace",
        )
    if shard and not _DNS_LABEL.fullmatch(shard):
        raise click.BadParameter(
            f"{shard!r} is not a DNS label (lower-case letters, digits and '-', at most 40)",
            param_hint="--shard",
        )
    address = _address(listen, "--listen")
    webhook = None
    if webhook_listen:
        if webhook_tls_cert is None or webhook_tls_key is None:
            raise click.BadParameter(
                "give --webhook-tls-cert and --webhook-tls-key", param_hint="--webhook-listen"
            )
        files = ServingCertificate(webhook_tls_cert, webhook_tls_key)
        webhook = (*_address(webhook_listen, "--webhook-listen"), files)
    urls = _prometheus_urls(prometheus_urls)
    identity = identity or default_identity()
    try:
        credentials = load_credentials(kubeconfig, context)
    except ConfigError as error:
        where = kubeconfig or "in-cluster configuration, then $KUBECONFIG or ~/.kube/config"
        raise click.ClickException(f"cannot log in to the cluster ({where}): {error}") from None
    kopf.configure(
        verbose=verbose,
        log_format=kopf.LogFormat.JSON if log_format == "json" else kopf.LogFormat.PLAIN,
    )
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    if not verbose:
        # One line per handled watch event is noise at thousands of policies.
        logging.getLogger("kopf.objects").addFilter(_quiet_handler_success)
    # prometheus-operator's CRDs missing is expected: kopf need not warn of it
    quiet_absent_crds()
    # ... and installing or removing them while augur runs is followed (crd_following.py)
    crd_following.install()
    kube = KubeClient(credentials)
    if not standalone:
        ensure_peering(kube, namespaces, peering_name(shard))
    promtool = _tool("promtool", promtool_path, "rule tests and rule checks will not run")
    config = OperatorConfig(
        identity=identity,
        drift_interval=drift_interval,
        kpi_interval=kpi_interval,
        prometheus_urls=urls,
        prometheus_url_file=URLFile(prometheus_url_file) if prometheus_url_file else None,
        scaling_concurrency=scaling_concurrency,
        shard=shard,
        namespaces=namespaces or None,
        operator_namespace=operator_namespace or default_operator_namespace(),
        rule_tests=RuleTestSettings(promtool, timeout=rule_test_timeout),
        tool_checks=ToolCheckSettings(
            promtool,
            _tool("amtool", amtool_path, "Alertmanager configuration will not be checked"),
            timeout=tool_check_timeout,
        ),
    )
    state = OperatorState(config, kube, OperatorMetrics.create())
    asyncio.run(
        _main(
            state,
            namespaces=namespaces,
            standalone=standalone,
            priority=priority if priority is not None else priority_of(identity),
            listen=address,
            webhook=webhook,
        )
    )
