"""The chart's admission webhook: configuration, certificate, and the pods serving it."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml
from chartrender import CHART, NAMESPACE, Obj, of_kind, one, render
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa

pytestmark = pytest.mark.tools

CRDS = CHART / "crds"


def _augur_plurals() -> set[str]:
    return {
        doc["spec"]["names"]["plural"]
        for path in CRDS.glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc["spec"]["group"] == "augur.dev"
    }


@pytest.fixture(scope="module")
def objects(helm: Path) -> list[Obj]:
    return render(helm)


def test_the_webhook_calls_the_charts_service_on_its_webhook_port(objects: list[Obj]) -> None:
    (webhook,) = one(objects, "ValidatingWebhookConfiguration")["webhooks"]
    service = one(objects, "Service")
    assert webhook["clientConfig"]["service"] == {
        "name": service["metadata"]["name"],
        "namespace": NAMESPACE,
        "path": "/validate",
        "port": 443,
    }
    port = next(p for p in service["spec"]["ports"] if p["port"] == 443)
    assert port["targetPort"] == "webhook"
    container = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "webhook", "containerPort": 9443, "protocol": "TCP"} in container["ports"]
    assert "--webhook-listen=0.0.0.0:9443" in container["args"]


def test_the_webhook_checks_creates_and_updates_of_the_four_kinds_only(
    objects: list[Obj],
) -> None:
    augur_crds = _augur_plurals()
    (webhook,) = one(objects, "ValidatingWebhookConfiguration")["webhooks"]
    (rule,) = webhook["rules"]
    assert rule["apiGroups"] == ["augur.dev"]
    assert rule["operations"] == ["CREATE", "UPDATE"]
    assert set(rule["resources"]) == augur_crds  # no "/status": status writes are not checked
    assert len(augur_crds) == 4
    assert webhook["failurePolicy"] == "Ignore"
    assert webhook["sideEffects"] == "None"
    assert "namespaceSelector" not in webhook


def test_one_kept_certificate_secret_signed_by_the_ca_bundle(objects: list[Obj]) -> None:
    secret = one(objects, "Secret")
    assert secret["type"] == "kubernetes.io/tls"
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    (webhook,) = one(objects, "ValidatingWebhookConfiguration")["webhooks"]
    assert webhook["clientConfig"]["caBundle"] == secret["data"]["ca.crt"]
    ca = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["ca.crt"]))
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    ca_key = ca.public_key()
    assert isinstance(ca_key, rsa.RSAPublicKey)
    assert cert.signature_hash_algorithm is not None
    ca_key.verify(
        cert.signature,
        cert.tbs_certificate_bytes,
        padding.PKCS1v15(),
        cert.signature_hash_algorithm,
    )
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert f"augur.{NAMESPACE}.svc" in names.get_values_for_type(x509.DNSName)
    # The pods mount that very Secret.
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "webhook-tls")
    assert volume["secret"]["secretName"] == secret["metadata"]["name"]
    args = pod["containers"][0]["args"]
    assert "--webhook-tls-cert=/etc/augur/webhook/tls.crt" in args
    assert "--webhook-tls-key=/etc/augur/webhook/tls.key" in args


def test_with_watch_namespaces_only_those_are_checked(helm: Path, tmp_path: Path) -> None:
    objects = render(helm, {"watchNamespaces": ["shop", "monitoring"]}, tmp_path)
    (webhook,) = one(objects, "ValidatingWebhookConfiguration")["webhooks"]
    assert webhook["namespaceSelector"] == {
        "matchExpressions": [
            {
                "key": "kubernetes.io/metadata.name",
                "operator": "In",
                "values": ["shop", "monitoring"],
            }
        ]
    }


def test_disabled_leaves_no_trace(helm: Path, tmp_path: Path) -> None:
    objects = render(helm, {"webhook": {"enabled": False}}, tmp_path)
    assert not of_kind(objects, "ValidatingWebhookConfiguration")
    assert not of_kind(objects, "Secret")
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert not any(arg.startswith("--webhook") for arg in pod["containers"][0]["args"])
    assert [v["name"] for v in pod["volumes"]] == ["tmp"]
    assert [p["name"] for p in one(objects, "Service")["spec"]["ports"]] == ["metrics"]
