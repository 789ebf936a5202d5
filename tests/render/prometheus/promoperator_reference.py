"""Write what prometheus-operator v0.85.0 itself generates for the monitors of a golden case.

    PYTHONPATH=operator python tests/render/prometheus/promoperator_reference.py monitors

starts a local control plane, installs prometheus-operator's CRDs, applies the case's
Namespaces, ServiceMonitors and PodMonitors, a Prometheus that selects them all
(`serviceDiscoveryRole: EndpointSlice`, one shard; under the case stack's tenancy
`enforcedNamespaceLabel`, `ignoreNamespaceSelectors` and `overrideHonorLabels`) and a Secret for every key they name
(its value: `secret:<namespace>/<name>:<key>`, or PEM where TLS material is named), runs the prometheus-operator binary
(`~/.cache/augur/bin/prometheus-operator-0.85.0`) until it has written the configuration
Secret, and keeps that configuration's scrape_configs as golden/<case>.promoperator.yaml.
The golden tests compare augur's jobs with that file; it is regenerated only on purpose.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
BIN = Path.home() / ".cache" / "augur" / "bin"
CRDS = Path.home() / ".cache" / "augur" / "crds" / "prometheus-operator-0.85.0"
OPERATOR = BIN / "prometheus-operator-0.85.0"
REFERENCE_NAMESPACE = "po-reference"
PROMETHEUS_NAME = "reference"


def secret_value(namespace: str, name: str, key: str) -> str:
    """The value the reference Secrets hold, so a value prometheus-operator writes names its
    source."""
    return f"secret:{namespace}/{name}:{key}"


def _secret_refs(node: Any, parent: str = "") -> list[tuple[str, str, str]]:
    """Every (Secret name, key, what it holds) a monitor's spec names: `ca`, `cert`, `key`
    (PEM, which prometheus-operator checks) or `text`."""
    found: list[tuple[str, str, str]] = []
    if isinstance(node, dict):
        for field, value in node.items():
            named = isinstance(value, dict) and "name" in value and "key" in value
            if named and field == "secret" and parent in ("ca", "cert"):
                found.append((value["name"], value["key"], parent))
            elif named and field == "keySecret":
                found.append((value["name"], value["key"], "key"))
            elif named and field in SECRET_FIELDS:
                found.append((value["name"], value["key"], "text"))
            else:
                found += _secret_refs(value, field)
    elif isinstance(node, list):
        for item in node:
            found += _secret_refs(item, parent)
    return found


SECRET_FIELDS = ("credentials", "bearerTokenSecret", "username", "password", "clientSecret")


def _tenancy(documents: list[Any]) -> dict[str, Any]:
    """prometheus-operator's settings for the tenancy of the case's MonitoringStack: the
    enforced label, its namespace only, honorLabels overridden."""
    for doc in documents:
        if doc and doc.get("kind") == "MonitoringStack":
            label = ((doc.get("spec") or {}).get("tenancy") or {}).get("enforceNamespaceLabel")
            if label:
                return {
                    "enforcedNamespaceLabel": label,
                    "ignoreNamespaceSelectors": True,
                    "overrideHonorLabels": True,
                }
    return {}


def _kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


def reference(case: str) -> list[dict[str, Any]]:
    """prometheus-operator's scrape_configs for the monitors of golden/<case>.in.yaml."""
    from augur.dev.cluster import PROGRAMS, ControlPlane
    from augur.dev.tools import tool_path

    documents = list(yaml.safe_load_all((HERE / "golden" / f"{case}.in.yaml").read_text()))
    monitors = [d for d in documents if d and d.get("kind") in ("ServiceMonitor", "PodMonitor")]
    namespaces = sorted(
        {d["metadata"]["name"] for d in documents if d and d.get("kind") == "Namespace"}
        | {m["metadata"]["namespace"] for m in monitors}
        | {REFERENCE_NAMESPACE}
    )
    holds: dict[tuple[str, str], dict[str, str]] = {}
    for monitor in monitors:
        namespace = monitor["metadata"]["namespace"]
        for name, key, what in _secret_refs(monitor["spec"]):
            holds.setdefault((namespace, name), {})[key] = what
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces
    ]
    objects += monitors
    objects.append(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Prometheus",
            "metadata": {"namespace": REFERENCE_NAMESPACE, "name": PROMETHEUS_NAME},
            "spec": {
                "serviceDiscoveryRole": "EndpointSlice",
                "serviceMonitorSelector": {},
                "serviceMonitorNamespaceSelector": {},
                "podMonitorSelector": {},
                "podMonitorNamespaceSelector": {},
                "scrapeInterval": "30s",
                **_tenancy(documents),
            },
        }
    )
    binaries = {name: tool_path(name) for name in PROGRAMS}
    with (
        tempfile.TemporaryDirectory() as scratch,
        ControlPlane(
            Path(scratch) / "plane", binaries, nodes=1, volumes=0, die_with_parent=True
        ) as plane,
    ):
        kubeconfig = plane.kubeconfig
        assert plane.certs is not None
        pem = {
            "ca": plane.certs.serving_ca.cert.read_text(),
            "cert": plane.certs.admin.cert.read_text(),
            "key": plane.certs.admin.key.read_text(),
        }
        objects += [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"namespace": namespace, "name": name},
                "stringData": {
                    key: pem.get(what) or secret_value(namespace, name, key)
                    for key, what in data.items()
                },
            }
            for (namespace, name), data in sorted(holds.items())
        ]
        for crd in sorted(CRDS.glob("monitoring.coreos.com_*.yaml")):
            _kubectl(kubeconfig, "apply", "--server-side", "-f", str(crd))
        _kubectl(kubeconfig, "wait", "--for=condition=Established", "crd", "--all")
        _kubectl(
            kubeconfig,
            "apply",
            "-f",
            "-",
            stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}),
        )
        log = Path(scratch) / "operator.log"
        with log.open("w") as out:
            access = yaml.safe_load(kubeconfig.read_text())
            server = access["clusters"][0]["cluster"]
            user = access["users"][0]["user"]
            operator = subprocess.Popen(
                [
                    str(OPERATOR),
                    f"--apiserver={server['server']}",
                    f"--ca-file={server['certificate-authority']}",
                    f"--cert-file={user['client-certificate']}",
                    f"--key-file={user['client-key']}",
                    "--web.listen-address=127.0.0.1:0",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                config = _wait_for_config(kubeconfig, log)
            finally:
                os.killpg(operator.pid, 15)
                operator.wait(timeout=30)
        skipped = [line for line in log.read_text().splitlines() if "skipping" in line]
        if skipped:
            print("prometheus-operator skipped:\n" + "\n".join(skipped), file=sys.stderr)
    jobs: list[dict[str, Any]] = config.get("scrape_configs") or []
    return jobs


def _wait_for_config(kubeconfig: Path, log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = subprocess.run(
            [
                "kubectl",
                f"--kubeconfig={kubeconfig}",
                "-n",
                REFERENCE_NAMESPACE,
                "get",
                "secret",
                f"prometheus-{PROMETHEUS_NAME}",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            data = json.loads(done.stdout).get("data") or {}
            if "prometheus.yaml.gz" in data:
                text = gzip.decompress(base64.b64decode(data["prometheus.yaml.gz"])).decode()
                loaded: dict[str, Any] = yaml.safe_load(text)
                return loaded
        time.sleep(1)
    raise SystemExit(f"prometheus-operator wrote no configuration; its log:\n{log.read_text()}")


def main(case: str) -> None:
    jobs = reference(case)
    header = (
        f"# What prometheus-operator v0.85.0 generated for the monitors of {case}.in.yaml\n"
        "# (tests/render/prometheus/promoperator_reference.py). Do not edit.\n"
    )
    path = HERE / "golden" / f"{case}.promoperator.yaml"
    path.write_text(header + yaml.safe_dump({"scrape_configs": jobs}, sort_keys=False))
    print(f"wrote {path} ({len(jobs)} jobs)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "monitors")
