"""KubeClient over HTTPS against a stand-in API server: TLS (CA, client certificates,
tls-server-name), the Authorization header and its renewal after a 401, URLs, bodies and
errors."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from apiserver_stub import Request, apiserver

from augur.dev.certs import ClusterCertificates, make_certificates
from augur.kube.client import KubeClient
from augur.kube.credentials import Auth, Credentials
from augur.kube.errors import KubeError
from augur.kube.ownership import ObjectKey

DISCOVERY = {
    "resources": [
        {"name": "configmaps", "kind": "ConfigMap", "namespaced": True},
        {"name": "configmaps/status", "kind": "ConfigMap", "namespaced": True},
        {"name": "namespaces", "kind": "Namespace", "namespaced": False},
    ]
}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> ClusterCertificates:
    return make_certificates(tmp_path_factory.mktemp("pki"))


def answer(request: Request) -> tuple[int, object]:
    """Discovery of v1; every other request echoes what it was."""
    if request.path == "/api/v1":
        return 200, DISCOVERY
    return 200, {"path": request.path, "body": json.loads(request.body or b"null")}


def test_a_token_over_https_with_the_ca_file(certs: ClusterCertificates) -> None:
    with apiserver(certs) as server:
        server.respond = answer
        credentials = Credentials(
            server=server.server, ca_file=str(certs.serving_ca.cert), static=Auth(token="t0k")
        )
        kube = KubeClient(credentials)
        kube.list_objects("v1", "ConfigMap", namespace="shop", label_selector="app in (a,b),x=1")
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "shop"},
            }
        )
        kube.close()
    discovery, listing, apply = server.requests
    assert discovery.path == "/api/v1"
    assert (
        listing.path
        == "/api/v1/namespaces/shop/configmaps?labelSelector=app%20in%20%28a%2Cb%29%2Cx%3D1"
    )
    assert listing.headers["authorization"] == "Bearer t0k"
    assert listing.headers["accept"] == "application/json"
    assert listing.client_subject == ""
    assert apply.method == "PATCH"
    assert apply.path == "/api/v1/namespaces/shop/configmaps/c?fieldManager=augur&force=true"
    assert apply.headers["content-type"] == "application/apply-patch+yaml"
    assert json.loads(apply.body)["metadata"]["name"] == "c"


@pytest.mark.parametrize("form", ["files", "data"])
def test_a_client_certificate(certs: ClusterCertificates, form: str) -> None:
    if form == "files":
        auth = Auth(cert_file=str(certs.admin.cert), key_file=str(certs.admin.key))
        ca = {"ca_file": str(certs.serving_ca.cert)}
    else:
        auth = Auth(cert_data=certs.admin.cert.read_bytes(), key_data=certs.admin.key.read_bytes())
        ca = {"ca_data": certs.serving_ca.cert.read_bytes()}
    with apiserver(certs, require_client_cert=True) as server:
        server.respond = answer
        kube = KubeClient(Credentials(server=server.server, static=auth, **ca))  # type: ignore[arg-type]
        assert kube.get(ObjectKey("v1", "Namespace", "", "shop")) == {
            "path": "/api/v1/namespaces/shop",
            "body": None,
        }
    assert server.requests[-1].client_subject == "augur-admin"
    assert "authorization" not in server.requests[-1].headers


def test_a_server_the_ca_did_not_sign_is_unreachable(
    certs: ClusterCertificates, tmp_path: Path
) -> None:
    other = make_certificates(tmp_path / "other")
    with apiserver(certs) as server:
        kube = KubeClient(Credentials(server=server.server, ca_file=str(other.serving_ca.cert)))
        with pytest.raises(KubeError) as error:
            kube._call("GET", "/version")
        assert error.value.reason == "Unreachable"
        assert not server.requests
        # insecure-skip-tls-verify accepts it.
        insecure = KubeClient(Credentials(server=server.server, insecure=True))
        with pytest.warns(Warning, match="Unverified HTTPS request"):
            assert insecure._call("GET", "/version") == {"kind": "Status", "path": "/version"}


def test_tls_server_name_is_the_name_checked(certs: ClusterCertificates) -> None:
    with apiserver(certs) as server:
        ca = str(certs.serving_ca.cert)
        named = Credentials(
            server=server.server, ca_file=ca, tls_server_name="kubernetes.default.svc"
        )
        assert KubeClient(named)._call("GET", "/version") is not None
        wrong = Credentials(server=server.server, ca_file=ca, tls_server_name="elsewhere.example")
        with pytest.raises(KubeError, match=r"elsewhere\.example"):
            KubeClient(wrong)._call("GET", "/version")
    assert len(server.requests) == 1


def test_a_refused_token_is_renewed_once(certs: ClusterCertificates, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("old")
    with apiserver(certs) as server:
        credentials = Credentials(
            server=server.server, ca_file=str(certs.serving_ca.cert), token_file=str(token)
        )

        def only_new(request: Request) -> tuple[int, object]:
            if request.headers.get("authorization") != "Bearer new":
                return 401, {"kind": "Status", "reason": "Unauthorized", "message": "bad token"}
            return 200, {"ok": True}

        server.respond = only_new
        kube = KubeClient(credentials)
        with pytest.raises(KubeError) as error:
            kube._call("GET", "/version")
        assert (error.value.status, error.value.message) == (401, "bad token")
        assert [r.headers["authorization"] for r in server.requests] == ["Bearer old"] * 2
        token.write_text("new")  # the kubelet rotated it
        assert kube._call("GET", "/version") == {"ok": True}
        assert [r.headers["authorization"] for r in server.requests[2:]] == [
            "Bearer old",
            "Bearer new",
        ]


def test_a_static_token_is_not_retried(certs: ClusterCertificates) -> None:
    with apiserver(certs) as server:
        server.respond = lambda request: (401, {"message": "no"})
        kube = KubeClient(
            Credentials(
                server=server.server, ca_file=str(certs.serving_ca.cert), static=Auth(token="t")
            )
        )
        with pytest.raises(KubeError, match="401"):
            kube._call("GET", "/version")
    assert len(server.requests) == 1


def test_status_errors_deletes_and_creates(certs: ClusterCertificates) -> None:
    def refuse(request: Request) -> tuple[int, object]:
        if request.path == "/api/v1":
            return 200, DISCOVERY
        if request.method == "DELETE":
            return 404, {
                "kind": "Status",
                "reason": "NotFound",
                "message": 'configmaps "c" not found',
            }
        if request.method == "POST":
            return 409, {"kind": "Status", "reason": "AlreadyExists", "message": "exists"}
        return 422, {"kind": "Status", "reason": "Invalid", "message": "spec.x: Invalid value"}

    key = ObjectKey("v1", "ConfigMap", "shop", "c")
    with apiserver(certs) as server:
        server.respond = refuse
        kube = KubeClient(Credentials(server=server.server, ca_file=str(certs.serving_ca.cert)))
        assert kube.delete(key) is False
        with pytest.raises(KubeError) as error:
            kube.create(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "c", "namespace": "shop"},
                }
            )
        assert error.value.conflict
        with pytest.raises(KubeError) as error:
            kube.patch_status(key, {"phase": "Ready"})
        assert (error.value.status, error.value.reason, error.value.message) == (
            422,
            "Invalid",
            "spec.x: Invalid value",
        )
    delete, create, status = server.requests[1:]
    assert delete.headers["content-type"] == "application/json"
    assert json.loads(delete.body)["propagationPolicy"] == "Background"
    assert create.path == "/api/v1/namespaces/shop/configmaps"
    assert status.path == "/api/v1/namespaces/shop/configmaps/c/status"
    assert status.headers["content-type"] == "application/merge-patch+json"
    assert status.headers["accept"].startswith("application/json;as=PartialObjectMetadata;")
    assert json.loads(status.body) == {"status": {"phase": "Ready"}}


def test_an_unreachable_server_and_a_failing_login_are_kube_errors(tmp_path: Path) -> None:
    kube = KubeClient(Credentials(server="https://127.0.0.1:1"))
    with pytest.raises(KubeError) as error:
        kube._call("GET", "/version")
    assert (error.value.status, error.value.reason) == (0, "Unreachable")
    gone = KubeClient(
        Credentials(server="https://127.0.0.1:1", token_file=str(tmp_path / "no"), source="sa")
    )
    with pytest.raises(KubeError) as error:
        gone._call("GET", "/version")
    assert error.value.reason == "LoginFailed"
    assert "cannot read the token file" in error.value.message


def test_threads_share_one_client(certs: ClusterCertificates) -> None:
    with apiserver(certs) as server:
        server.respond = answer
        kube = KubeClient(
            Credentials(
                server=server.server, ca_file=str(certs.serving_ca.cert), static=Auth(token="t")
            )
        )
        results: list[object] = []

        def work(n: int) -> None:
            for i in range(5):
                results.append(kube.get(ObjectKey("v1", "ConfigMap", "shop", f"c{n}-{i}")))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(results) == 40
    assert sorted(r["path"] for r in results) == sorted(  # type: ignore[index]
        f"/api/v1/namespaces/shop/configmaps/c{n}-{i}" for n in range(8) for i in range(5)
    )
    assert sum(r.path == "/api/v1" for r in server.requests) >= 1
