"""The operator logs in through a kubeconfig exec credential plugin: a ServiceAccount token
from `kubectl create token`, no client certificate. kopf's watches and augur's own client both
use it, and both run the plugin again when its credential expires."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from e2e.conftest import Cluster
from e2e.operator_fixtures import condition, get, platform_stack, start_operator, wait_for

LIFETIME = 20
"""Seconds the plugin says its token lives (the token itself lives 10 minutes)."""

PLUGIN = """#!{python}
import datetime, json, subprocess, sys
from pathlib import Path
runs = Path({runs!r})
runs.write_text(str(int(runs.read_text() or 0) + 1) if runs.exists() else "1")
token = subprocess.run(
    ["kubectl", "--kubeconfig={admin}", "create", "token", "augur-login", "-n", {namespace!r},
     "--duration=10m"],
    capture_output=True, text=True, check=True,
).stdout.strip()
expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds={lifetime})
print(json.dumps({{
    "apiVersion": "client.authentication.k8s.io/v1",
    "kind": "ExecCredential",
    "status": {{"token": token, "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}},
}}))
"""


def stack(namespace: str) -> str:
    return platform_stack(namespace, "grafana: {enabled: false}", "jaeger: {enabled: false}")


def reconciled(cluster: Cluster, namespace: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        obj = get(cluster, "mstack", "platform", "-n", namespace)
        ready = condition(obj, "Reconciled")
        return obj if ready and ready["status"] == "True" else None

    return wait_for(f"the stack in {namespace} to be reconciled", probe)


def exec_kubeconfig(cluster: Cluster, folder: Path, namespace: str) -> tuple[Path, Path]:
    """A kubeconfig of the cluster's server and CA whose user is only an exec plugin, and the
    file counting the plugin's runs."""
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    context = next(c for c in admin["contexts"] if c["name"] == admin["current-context"])
    entry = next(c for c in admin["clusters"] if c["name"] == context["context"]["cluster"])
    runs = folder / "runs"
    plugin = folder / "token-plugin"
    plugin.write_text(
        PLUGIN.format(
            python=sys.executable,
            runs=str(runs),
            admin=cluster.kubeconfig,
            namespace=namespace,
            lifetime=LIFETIME,
        )
    )
    plugin.chmod(0o755)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": entry["cluster"]}],
        "users": [
            {
                "name": "sa",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": "./token-plugin",
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "sa"}}],
        "current-context": "e2e",
    }
    path = folder / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path, runs


def test_the_operator_logs_in_with_an_exec_plugin_and_renews_it(
    crds_installed: Cluster, namespace: str, tmp_path: Path
) -> None:
    cluster = crds_installed
    cluster.kubectl("create", "serviceaccount", "augur-login", "-n", namespace)
    binding = f"augur-login-{namespace}"
    cluster.kubectl(
        "create",
        "clusterrolebinding",
        binding,
        "--clusterrole=cluster-admin",
        f"--serviceaccount={namespace}:augur-login",
    )
    kubeconfig, runs = exec_kubeconfig(cluster, tmp_path, namespace)
    operator = start_operator(
        cluster, tmp_path / "operator.log", "e2e-login", "--standalone", kubeconfig=kubeconfig
    )
    try:
        cluster.kubectl("apply", "-f", "-", stdin=stack(namespace))
        reconciled(cluster, namespace)  # kopf watched it, augur applied its objects
        assert "Activity 'login' succeeded" in operator.text()
        first_runs = int(runs.read_text())
        # After the credential expired, a new stack is still seen and reconciled: kopf and
        # augur's client both asked the plugin again.
        time.sleep(LIFETIME + 5)
        other = f"{namespace}-b"
        cluster.kubectl("create", "namespace", other)
        try:
            cluster.kubectl("apply", "-f", "-", stdin=stack(other))
            reconciled(cluster, other)
        finally:
            cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)
        assert int(runs.read_text()) > first_runs
        assert "Re-authentication has finished" in operator.text()  # kopf's, on expiry
        assert "Unauthorized" not in operator.text()
        assert "Traceback" not in operator.text()
    finally:
        operator.stop()
        cluster.kubectl("delete", "clusterrolebinding", binding, check=False)
        print(json.dumps({"plugin_runs": runs.read_text() if runs.exists() else "0"}))
