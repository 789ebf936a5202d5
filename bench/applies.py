"""Policies applied one after another, as `kubectl apply` does: the operator's passes and
processor time, for one or two operator versions side by side.

Run: nice -n 10 .venv/bin/python bench/applies.py [--kubeconfig PATH] [--base 1000]
         [--add 50] [--each] [--before-pythonpath DIR] [--operator-pythonpath DIR]

Without --kubeconfig a local control plane is started (the test set's tools must be built:
`augur dev tools --build --for-tests`). For each operator (`--before-pythonpath`, an export of
an older commit's `operator/` folder, then `--operator-pythonpath` or this checkout), in a
fresh namespace: one `augur run` (standalone), bench/scale.py's stack and `--base` of its
AlertPolicies written at once (16 writers), until their rules are in the ConfigMaps; then,
10 s later, `--add` more, with one `kubectl apply -f` of them all (kubectl applies the objects
of a file one after another, some 20 ms apart here) or, with `--each`, one `kubectl apply -f`
per policy (a new kubectl each: some 0.15 s apart). Measured from the first apply until
every added policy's rules are in the ConfigMaps, and 5 s more: the operator's processor time
(`/proc/PID/stat`) and how many of its passes applied objects (its log's "applied" lines).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import yaml

from augur.kube.client import KubeClient
from augur.kube.credentials import load_credentials
from scale import (
    AUGUR,
    ROOT,
    Bench,
    augur_run_args,
    cpu_seconds,
    install_augur_crds,
    local_control_plane,
    policy,
    stack,
)


def measure(
    kubeconfig: Path, pythonpath: str | None, base: int, add: int, each: bool, work: Path
) -> dict[str, float]:
    kubectl = ["kubectl", f"--kubeconfig={kubeconfig}"]
    kube = KubeClient(load_credentials(str(kubeconfig)), field_manager="bench")
    namespace = f"applies-{uuid.uuid4().hex[:6]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    bench = Bench(kube, namespace)
    log = work / f"{namespace}.log"
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    command = [AUGUR, *augur_run_args(kubeconfig, namespace)]
    with log.open("wb") as handle:
        operator = subprocess.Popen(
            command, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT, env=env
        )
    try:
        kube.apply(stack(namespace))
        bench.write([policy(namespace, i) for i in range(base)])
        bench.converge(base, 300)
        time.sleep(10)
        files = []
        docs = [policy(namespace, i) for i in range(base, base + add)]
        if each:
            for doc in docs:
                files.append(work / f"{doc['metadata']['name']}.yaml")
                files[-1].write_text(yaml.safe_dump(doc))
        else:
            files.append(work / f"{namespace}.yaml")
            files[-1].write_text(yaml.safe_dump_all(docs))
        passes = log.read_text().count(": applied ")
        cpu = cpu_seconds(operator.pid)
        began = time.monotonic()
        for file in files:
            subprocess.run([*kubectl, "apply", "-f", str(file)], check=True, capture_output=True)
        applied = time.monotonic() - began
        bench.converge(base + add, 300)
        loaded = time.monotonic() - began
        time.sleep(5)
        return {
            "kubectl_seconds": applied,
            "loaded_seconds": loaded,
            "cpu_seconds": cpu_seconds(operator.pid) - cpu,
            "passes": log.read_text().count(": applied ") - passes,
            "load": os.getloadavg()[0],
        }
    finally:
        operator.terminate()
        operator.wait(60)
        subprocess.run([*kubectl, "delete", "namespace", namespace, "--wait=false"], check=False)
        kube.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", type=Path)
    parser.add_argument("--base", type=int, default=1000, help="Policies there before.")
    parser.add_argument("--add", type=int, default=50, help="Policies applied then.")
    parser.add_argument("--each", action="store_true", help="One kubectl apply per policy.")
    parser.add_argument("--before-pythonpath", help="An older operator/ folder, run first.")
    parser.add_argument("--operator-pythonpath", help="The operator's sources (default: here).")
    args = parser.parse_args()
    with ExitStack() as stack_, tempfile.TemporaryDirectory(prefix="augur-bench-applies-") as tmp:
        kubeconfig = local_control_plane(args.kubeconfig, Path(tmp) / "plane", stack_)
        install_augur_crds(kubeconfig)
        runs = [("before", args.before_pythonpath)] if args.before_pythonpath else []
        runs.append(("after" if runs else "operator", args.operator_pythonpath))
        how = "one kubectl apply per policy" if args.each else "one kubectl apply"
        print(f"{args.add} policies added to {args.base}, {how}")
        for label, pythonpath in runs:
            result = measure(kubeconfig, pythonpath, args.base, args.add, args.each, Path(tmp))
            print(f"{label}: {json.dumps({k: round(v, 2) for k, v in result.items()})}", flush=True)


if __name__ == "__main__":
    main()
