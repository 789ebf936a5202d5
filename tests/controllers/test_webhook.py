"""The admission webhook: AdmissionReviews answered as `augur validate` words it, over TLS."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from augur.controllers.webhook import (
    VALIDATE_PATH,
    ServingCertificate,
    review_response,
    serving_webhook,
)
from augur.dev.certs import make_certificates

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(path: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((EXAMPLES / path).read_text())
    return doc


def review(operation: str, obj: dict[str, Any], **request: Any) -> dict[str, Any]:
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "u-1",
            "operation": operation,
            "namespace": obj.get("metadata", {}).get("namespace", "shop"),
            "object": obj,
            **request,
        },
    }


def test_an_invalid_policy_is_denied_with_augur_validates_words() -> None:
    answer = review_response(review("CREATE", example("invalid/bad-promql.yaml")))
    response = answer["response"]
    assert answer["kind"] == "AdmissionReview"
    assert response["uid"] == "u-1"
    assert response["allowed"] is False
    assert response["status"]["code"] == 422
    assert response["status"]["message"] == (
        "AlertPolicy/shop/bad-promql: spec.alerts[0].expr: invalid PromQL at column 4: "
        "unclosed left parenthesis"
    )


def test_valid_objects_are_allowed() -> None:
    for path in sorted((EXAMPLES / "shop").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("apiVersion", "").startswith("augur.dev/"):
                response = review_response(review("CREATE", doc))["response"]
                assert response == {"uid": "u-1", "allowed": True}, path.name


def test_an_update_is_checked_unless_its_spec_is_unchanged() -> None:
    bad = example("invalid/escalation-down.yaml")
    assert not review_response(review("UPDATE", bad, oldObject={}))["response"]["allowed"]
    same = review_response(review("UPDATE", bad, oldObject=bad))["response"]
    assert same["allowed"] is True  # kopf removing its finalizer from an old object


def test_deletes_and_status_writes_are_never_refused() -> None:
    bad = example("invalid/bad-promql.yaml")
    assert review_response(review("DELETE", bad))["response"]["allowed"] is True
    status = review_response(review("UPDATE", bad, oldObject={}, subResource="status"))
    assert status["response"]["allowed"] is True


def test_a_reference_other_objects_may_resolve_is_not_refused() -> None:
    # The receiver may be a selecting stack's defaultReceiver: refusing it would make
    # `kubectl apply -f dir/` depend on the order of the files.
    answer = review_response(review("CREATE", example("invalid/unknown-receiver.yaml")))
    assert answer["response"]["allowed"] is True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_served_over_tls_and_reloaded_when_the_certificate_changes(tmp_path: Path) -> None:
    first = make_certificates(tmp_path / "first")
    files = ServingCertificate(tmp_path / "tls.crt", tmp_path / "tls.key")
    files.cert.write_bytes(first.serving.cert.read_bytes())
    files.key.write_bytes(first.serving.key.read_bytes())
    port = _free_port()
    url = f"https://127.0.0.1:{port}{VALIDATE_PATH}"
    body = review("CREATE", example("invalid/bad-promql.yaml"))

    async def post(ca: Path) -> dict[str, Any]:
        context = ssl.create_default_context(cafile=str(ca))
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=body, ssl=context) as reply,
        ):
            assert reply.status == 200
            answer: dict[str, Any] = await reply.json()
            return answer

    async with serving_webhook("127.0.0.1", port, files, reload_interval=0.05):
        answer = await post(first.serving_ca.cert)
        assert answer["response"]["allowed"] is False
        second = make_certificates(tmp_path / "second")
        files.cert.write_bytes(second.serving.cert.read_bytes())
        files.key.write_bytes(second.serving.key.read_bytes())
        for _ in range(100):
            try:
                await post(second.serving_ca.cert)
                break
            except aiohttp.ClientConnectorCertificateError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the new certificate was not served")
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await post(first.serving_ca.cert)


async def test_a_body_that_is_no_review_is_a_bad_request(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    port = _free_port()
    context = ssl.create_default_context(cafile=str(certs.serving_ca.cert))
    files = ServingCertificate(certs.serving.cert, certs.serving.key)
    async with serving_webhook("127.0.0.1", port, files), aiohttp.ClientSession() as session:
        url = f"https://127.0.0.1:{port}{VALIDATE_PATH}"
        async with session.post(url, data=b"{", ssl=context) as reply:
            assert reply.status == 400
        # nesting deep enough that the JSON parser fails by recursion, not ValueError
        async with session.post(url, data=b"[" * 100_000, ssl=context) as reply:
            assert reply.status == 400
        async with session.post(url, json={"kind": "Pod"}, ssl=context) as reply:
            assert reply.status == 400
