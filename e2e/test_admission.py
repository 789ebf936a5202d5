"""The admission webhook on a real API server: `kubectl apply` refuses what `augur validate`
refuses on its own, with the same message, and accepts the rest.

The operator runs on this host, so the API server reaches it at https://127.0.0.1:<port> (a
`url:` webhook, with this test's own CA); the chart's in-cluster `service:` form is checked
by tests/chart.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from e2e.conftest import REPO_ROOT, Cluster
from e2e.operator_fixtures import OperatorProcess, free_port, start_operator, wait_for

INVALID = REPO_ROOT / "examples" / "invalid"
SHOP = REPO_ROOT / "examples" / "shop"
AUGUR = str(Path(sys.executable).parent / "augur")

# Its receiver may be a selecting stack's defaultReceiver: not the webhook's to refuse, or
# `kubectl apply -f dir/` would depend on the order of the files.
CROSS_OBJECT = "unknown-receiver.yaml"


def _refused_by_schema(path: Path) -> bool:
    """An example whose header says what the API server's schema (types, patterns, CEL rules)
    answers: the schema refuses it before any webhook is called."""
    return any(line.startswith("# apiserver-expect:") for line in path.read_text().splitlines())


# What only augur's checks find: the CRD schema admits these, the webhook must refuse them.
REFUSED_BY_WEBHOOK = sorted(
    path.name
    for path in INVALID.glob("*.yaml")
    if not _refused_by_schema(path) and path.name != CROSS_OBJECT
)


@pytest.fixture(scope="module")
def webhook(
    crds_installed: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorProcess]:
    """The operator serving the webhook, and a configuration sending the shop's namespaces'
    augur objects to it (failurePolicy Fail: an object admitted was checked)."""
    from augur.dev.certs import make_certificates

    cluster = crds_installed
    tmp = tmp_path_factory.mktemp("webhook")
    certs = make_certificates(tmp / "pki")
    port = free_port()
    operator = start_operator(
        cluster, tmp / "operator.log", "e2e-webhook", "--webhook-listen", f"127.0.0.1:{port}",
        "--webhook-tls-cert", str(certs.serving.cert), "--webhook-tls-key", str(certs.serving.key),
    )  # fmt: skip
    cluster.kubectl("apply", "-f", str(SHOP / "00-namespaces.yaml"))
    name = f"augur-e2e-{uuid.uuid4().hex[:6]}"
    configuration = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [
            {
                "name": "validate.augur.dev",
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "failurePolicy": "Fail",
                "timeoutSeconds": 10,
                "clientConfig": {
                    "url": f"https://127.0.0.1:{port}/validate",
                    "caBundle": base64.b64encode(certs.serving_ca.cert.read_bytes()).decode(),
                },
                "rules": [
                    {
                        "apiGroups": ["augur.dev"],
                        "apiVersions": ["v1alpha1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": [
                            "monitoringstacks",
                            "alertpolicies",
                            "businesskpis",
                            "scalingpolicies",
                        ],
                        "scope": "Namespaced",
                    }
                ],
                "namespaceSelector": {
                    "matchExpressions": [
                        {
                            "key": "kubernetes.io/metadata.name",
                            "operator": "In",
                            "values": ["shop", "monitoring"],
                        }
                    ]
                },
            }
        ],
    }
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(configuration))
    try:
        probe = SHOP / "20-alertpolicy-api.yaml"
        wait_for(
            "the webhook to answer",
            lambda: dry_run(cluster, probe).returncode == 0,
            timeout=60,
        )
        yield operator
    finally:
        cluster.kubectl("delete", "validatingwebhookconfiguration", name, check=False)
        operator.stop()


def dry_run(
    cluster: Cluster, path: Path | str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`kubectl apply --dry-run=server`: admission runs in full, nothing is stored."""
    return cluster.kubectl("apply", "--dry-run=server", "-f", str(path), stdin=stdin, check=False)


def validate_message(path: Path) -> str:
    """What `augur validate` prints about the file's one object, without the file's name."""
    result = subprocess.run(
        [AUGUR, "validate", "-f", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0, result.stdout
    line = next(line for line in (result.stdout + result.stderr).splitlines() if path.name in line)
    return line.split(" ", 1)[1]


def test_the_schema_leaves_some_examples_to_the_webhook() -> None:
    # A PromQL syntax error is beyond any CRD schema: if it were marked as refused by the
    # schema, the list above would be wrong, and the parametrized test below would shrink.
    assert "bad-promql.yaml" in REFUSED_BY_WEBHOOK


@pytest.mark.parametrize("name", REFUSED_BY_WEBHOOK)
def test_the_api_server_refuses_what_augur_validate_refuses(
    webhook: OperatorProcess, cluster: Cluster, name: str
) -> None:
    path = INVALID / name
    result = dry_run(cluster, path)
    assert result.returncode != 0, result.stdout
    expected = validate_message(path)
    assert f'admission webhook "validate.augur.dev" denied the request: {expected}' in (
        result.stderr
    ), result.stderr


def test_no_invalid_example_is_admitted_but_the_cross_object_one(
    webhook: OperatorProcess, cluster: Cluster
) -> None:
    for path in sorted(INVALID.glob("*.yaml")):
        admitted = dry_run(cluster, path).returncode == 0
        assert admitted is (path.name == CROSS_OBJECT), path.name


def test_valid_objects_are_accepted(webhook: OperatorProcess, cluster: Cluster) -> None:
    for path in sorted(SHOP.glob("[1-8]*.yaml")):
        result = dry_run(cluster, path)
        assert result.returncode == 0, result.stderr


def test_an_update_that_breaks_a_policy_is_refused_and_deleting_it_is_not(
    webhook: OperatorProcess, cluster: Cluster
) -> None:
    text = (SHOP / "20-alertpolicy-api.yaml").read_text()
    cluster.kubectl("apply", "-f", "-", stdin=text)
    try:
        broken = text.replace("> 0.05", "> (0.05", 1)
        assert broken != text
        result = cluster.kubectl("apply", "-f", "-", stdin=broken, check=False)
        assert result.returncode != 0
        assert "denied the request: AlertPolicy/shop/api: spec.alerts[0].expr: invalid PromQL" in (
            result.stderr
        ), result.stderr
        # Metadata-only writes pass (kopf's finalizer removal on an old object is one).
        cluster.kubectl("label", "apol", "api", "-n", "shop", "e2e=yes")
    finally:
        cluster.kubectl("delete", "-f", "-", stdin=text)
    assert "Traceback" not in webhook.text(), webhook.text()[-4000:]
