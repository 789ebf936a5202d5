"""Credentials as kubectl loads them: kubeconfig files (merged), the exec plugin, in-cluster."""

from __future__ import annotations

import base64
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.kube.credentials import (
    TOKEN_FILE_REFRESH,
    ConfigError,
    Credentials,
    from_kubeconfig,
    in_cluster,
    jwt_expiration,
    load_credentials,
)

CA_PEM = b"-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig(
    path: Path,
    user: dict[str, Any],
    cluster: dict[str, Any] | None = None,
    *,
    name: str = "dev",
    current: str | None = "dev",
) -> Path:
    document: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster or {"server": "https://127.0.0.1:6443/"}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
    }
    if current is not None:
        document["current-context"] = current
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document))
    return path


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- kubeconfig -------------------------------------------------------------------------------


def test_a_token_and_the_ca_data(tmp_path: Path) -> None:
    path = kubeconfig(
        tmp_path / "config",
        {"token": "t0k3n"},
        {"server": "https://api.example:6443/", "certificate-authority-data": b64(CA_PEM)},
    )
    credentials = load_credentials(str(path))
    assert credentials.server == "https://api.example:6443"
    assert credentials.ca_data == CA_PEM
    assert credentials.ca_file == ""
    assert not credentials.insecure
    assert credentials.auth().header() == {"Authorization": "Bearer t0k3n"}
    assert not credentials.renewable


def test_relative_paths_are_the_kubeconfigs_directory(tmp_path: Path) -> None:
    path = kubeconfig(
        tmp_path / "kube" / "config",
        {"client-certificate": "pki/admin.crt", "client-key": "/abs/admin.key"},
        {"server": "https://x", "certificate-authority": "pki/ca.crt", "tls-server-name": "k"},
    )
    credentials = from_kubeconfig([path])
    assert credentials.ca_file == str(tmp_path / "kube" / "pki" / "ca.crt")
    assert credentials.tls_server_name == "k"
    auth = credentials.auth()
    assert auth.cert_file == str(tmp_path / "kube" / "pki" / "admin.crt")
    assert auth.key_file == "/abs/admin.key"
    assert auth.has_client_certificate
    assert auth.header() == {}


def test_certificate_data_and_insecure(tmp_path: Path) -> None:
    path = kubeconfig(
        tmp_path / "config",
        {"client-certificate-data": b64(b"CERT"), "client-key-data": b64(b"KEY")},
        {"server": "https://x", "insecure-skip-tls-verify": True},
    )
    credentials = from_kubeconfig([path])
    assert credentials.insecure
    auth = credentials.auth()
    assert (auth.cert_data, auth.key_data) == (b"CERT", b"KEY")


def test_basic_authentication(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "config", {"username": "ada", "password": "s3cret"})
    header = from_kubeconfig([path]).auth().header()
    assert header == {"Authorization": "Basic " + b64(b"ada:s3cret")}


def test_a_token_file_is_read_again_each_minute(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("first\n")
    path = kubeconfig(tmp_path / "config", {"tokenFile": "token"})
    credentials = from_kubeconfig([path])
    clock = Clock()
    credentials.clock = clock
    first = credentials.auth()
    assert first.token == "first"
    assert first.expiration is None  # not a JWT: its lifetime is unknown
    (tmp_path / "token").write_text("second")
    clock.now += TOKEN_FILE_REFRESH - 1
    assert credentials.auth() is first
    clock.now += 1
    assert credentials.auth().token == "second"


def jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def test_a_service_account_tokens_expiry_is_its_exp_claim() -> None:
    assert jwt_expiration(jwt({"exp": 1_800_000_000, "sub": "x"})) == datetime.fromtimestamp(
        1_800_000_000, UTC
    )
    assert jwt_expiration(jwt({"sub": "no exp"})) is None
    assert jwt_expiration("a.%%%.c") is None
    assert jwt_expiration("opaque") is None


def test_a_refused_token_is_read_again_at_once(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("first")
    credentials = from_kubeconfig([kubeconfig(tmp_path / "config", {"tokenFile": "token"})])
    first = credentials.auth()
    (tmp_path / "token").write_text("second")
    renewed = credentials.renew(first)
    assert renewed.token == "second"
    # Another caller still holding the refused one gets the renewed one, not a third read.
    (tmp_path / "token").write_text("third")
    assert credentials.renew(first) is renewed


def test_the_context_given_wins_over_the_current_one(tmp_path: Path) -> None:
    path = tmp_path / "config"
    document = {
        "clusters": [
            {"name": "a", "cluster": {"server": "https://a"}},
            {"name": "b", "cluster": {"server": "https://b"}},
        ],
        "users": [{"name": "u", "user": {"token": "x"}}],
        "contexts": [
            {"name": "a", "context": {"cluster": "a", "user": "u"}},
            {"name": "b", "context": {"cluster": "b", "user": "u"}},
        ],
        "current-context": "a",
    }
    path.write_text(yaml.safe_dump(document))
    assert from_kubeconfig([path]).server == "https://a"
    assert from_kubeconfig([path], "b").server == "https://b"


@pytest.mark.parametrize(
    ("context", "current", "message"),
    [
        ("missing", "dev", "no context 'missing'"),
        (None, None, "no current-context"),
    ],
)
def test_a_missing_context_is_a_clear_error(
    tmp_path: Path, context: str | None, current: str | None, message: str
) -> None:
    path = kubeconfig(tmp_path / "config", {"token": "x"}, current=current)
    with pytest.raises(ConfigError, match=message) as error:
        load_credentials(str(path), context)
    assert str(path) in str(error.value)


def test_unknown_cluster_user_and_missing_fields_are_named(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "c", "cluster": {}}],
                "users": [],
                "contexts": [
                    {"name": "no-cluster", "context": {"cluster": "x", "user": ""}},
                    {"name": "no-user", "context": {"cluster": "c", "user": "ghost"}},
                    {"name": "no-server", "context": {"cluster": "c"}},
                ],
            }
        )
    )
    with pytest.raises(ConfigError, match="no known cluster 'x'"):
        from_kubeconfig([path], "no-cluster")
    with pytest.raises(ConfigError, match="no known user 'ghost'"):
        from_kubeconfig([path], "no-user")
    with pytest.raises(ConfigError, match="cluster 'c' has no server"):
        from_kubeconfig([path], "no-server")


def test_refused_user_entries(tmp_path: Path) -> None:
    provider = kubeconfig(tmp_path / "a", {"auth-provider": {"name": "oidc"}})
    with pytest.raises(ConfigError, match="auth-provider 'oidc' is not supported"):
        from_kubeconfig([provider])
    half = kubeconfig(tmp_path / "b", {"client-certificate": "c.crt"})
    with pytest.raises(ConfigError, match="not both"):
        from_kubeconfig([half])
    bad = kubeconfig(
        tmp_path / "c", {"token": "x"}, {"server": "https://x", "certificate-authority-data": "%%"}
    )
    with pytest.raises(ConfigError, match="certificate-authority-data is not base64"):
        from_kubeconfig([bad])
    proxied = kubeconfig(tmp_path / "d", {}, {"server": "https://x", "proxy-url": "http://p"})
    with pytest.raises(ConfigError, match="cluster 'dev' has a proxy-url, not supported"):
        from_kubeconfig([proxied])
    with pytest.raises(ConfigError, match="does not exist"):
        load_credentials(str(tmp_path / "nowhere"))
    (tmp_path / "list").write_text("- 1\n")
    with pytest.raises(ConfigError, match="not a mapping"):
        load_credentials(str(tmp_path / "list"))


def test_kubeconfig_files_merge_as_kubectl_merges_them(tmp_path: Path) -> None:
    first = tmp_path / "one" / "config"
    first.parent.mkdir()
    first.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "shared", "cluster": {"server": "https://first"}}],
                "users": [{"name": "u", "user": {"tokenFile": "token"}}],
                "contexts": [],
            }
        )
    )
    (first.parent / "token").write_text("from-one")
    second = kubeconfig(tmp_path / "two" / "config", {"token": "ignored"}, name="shared")
    second.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "shared", "cluster": {"server": "https://second"}}],
                "users": [{"name": "u", "user": {"token": "ignored"}}],
                "contexts": [{"name": "ctx", "context": {"cluster": "shared", "user": "u"}}],
                "current-context": "ctx",
            }
        )
    )
    environ = {"KUBECONFIG": os.pathsep.join([str(first), str(tmp_path / "absent"), str(second)])}
    credentials = load_credentials(environ=environ, service_account_dir=tmp_path / "no-sa")
    assert credentials.server == "https://first"
    # The user comes from the first file, its tokenFile relative to that file.
    assert credentials.auth().token == "from-one"


def test_without_kubeconfig_or_service_account_every_place_is_named(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path)}
    with pytest.raises(ConfigError) as error:
        load_credentials(environ=environ, service_account_dir=tmp_path / "sa")
    assert str(tmp_path / ".kube" / "config") in str(error.value)
    assert "KUBERNETES_SERVICE_HOST" in str(error.value)
    kubeconfig(tmp_path / ".kube" / "config", {"token": "home"})
    assert load_credentials(environ=environ).auth().token == "home"


# -- in-cluster -------------------------------------------------------------------------------


def service_account(folder: Path, token: str = "sa-token") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "token").write_text(token)
    (folder / "ca.crt").write_bytes(CA_PEM)
    return folder


def test_in_cluster_reads_the_rotating_token(tmp_path: Path) -> None:
    folder = service_account(tmp_path / "sa")
    environ = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    credentials = load_credentials(environ=environ, service_account_dir=folder)
    assert credentials.server == "https://10.0.0.1:443"
    assert credentials.ca_file == str(folder / "ca.crt")
    clock = Clock()
    credentials.clock = clock
    stale = credentials.renew(None)
    assert stale.token == "sa-token"
    (folder / "token").write_text("rotated")
    clock.now += TOKEN_FILE_REFRESH
    assert credentials.auth().token == "rotated"
    ipv6 = in_cluster(
        {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}, folder
    )
    assert ipv6.server == "https://[fd00::1]:443"


def test_an_explicit_kubeconfig_wins_over_in_cluster_and_in_cluster_over_kubeconfig_env(
    tmp_path: Path,
) -> None:
    folder = service_account(tmp_path / "sa")
    path = kubeconfig(tmp_path / "config", {"token": "from-file"})
    environ = {
        "KUBERNETES_SERVICE_HOST": "10.0.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBECONFIG": str(path),
    }
    assert (
        load_credentials(str(path), environ=environ, service_account_dir=folder).auth().token
        == "from-file"
    )
    assert load_credentials(environ=environ, service_account_dir=folder).auth().token == "sa-token"


def test_in_cluster_without_a_port_is_a_clear_error(tmp_path: Path) -> None:
    folder = service_account(tmp_path / "sa")
    with pytest.raises(ConfigError, match="KUBERNETES_SERVICE_PORT"):
        in_cluster({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, folder)


# -- the exec credential plugin ---------------------------------------------------------------

PLUGIN = f"""#!{sys.executable}
import json, os, sys
from pathlib import Path
here = Path(__file__).parent
runs = here / "runs"
count = int(runs.read_text()) + 1 if runs.exists() else 1
runs.write_text(str(count))
(here / f"info-{{count}}.json").write_text(os.environ["KUBERNETES_EXEC_INFO"])
(here / f"argv-{{count}}.json").write_text(json.dumps([sys.argv[1:], os.environ.get("GREETING")]))
if (here / "fail").exists():
    print("no credentials for you", file=sys.stderr)
    sys.exit(3)
status = json.loads((here / "status.json").read_text())
if "token" in status:
    status["token"] = f"{{status['token']}}-{{count}}"
print(json.dumps({{"apiVersion": os.environ["API_VERSION"], "kind": "ExecCredential", "status": status}}))
"""


def plugin(folder: Path, status: dict[str, Any], api_version: str) -> dict[str, Any]:
    """A kubeconfig `exec` entry running a real script that prints an ExecCredential (its
    token numbered by run) and records what it was given."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "plugin"
    script.write_text(PLUGIN)
    script.chmod(0o755)
    (folder / "status.json").write_text(json.dumps(status))
    return {
        "apiVersion": api_version,
        "command": "./bin/plugin",
        "args": ["get-token", "--cluster", "dev"],
        "env": [
            {"name": "GREETING", "value": "hello"},
            {"name": "API_VERSION", "value": api_version},
        ],
        "provideClusterInfo": True,
    }


@pytest.mark.parametrize(
    "api_version", ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]
)
def test_an_exec_token_is_kept_until_it_expires(tmp_path: Path, api_version: str) -> None:
    bin_dir = tmp_path / "bin"
    status = {"token": "exec", "expirationTimestamp": "2027-01-15T08:00:00Z"}
    path = kubeconfig(tmp_path / "config", {"exec": plugin(bin_dir, status, api_version)})
    credentials = from_kubeconfig([path])
    clock = Clock(1_800_000_000.0)  # 2027-01-15T08:00:00Z
    clock.now -= 3600
    credentials.clock = clock
    assert credentials.renewable
    first = credentials.auth()
    assert first.header() == {"Authorization": "Bearer exec-1"}
    assert first.expiration is not None
    assert first.expiration.timestamp() == 1_800_000_000.0
    info = json.loads((bin_dir / "info-1.json").read_text())
    assert info["apiVersion"] == api_version
    assert info["kind"] == "ExecCredential"
    assert info["spec"]["interactive"] is False
    assert info["spec"]["cluster"]["server"] == "https://127.0.0.1:6443/"
    assert json.loads((bin_dir / "argv-1.json").read_text()) == [
        ["get-token", "--cluster", "dev"],
        "hello",
    ]
    # Cached until (shortly before) it expires, then the plugin runs again.
    clock.now += 3000
    assert credentials.auth() is first
    clock.now += 600
    second = credentials.auth()
    assert second.token == "exec-2"
    # A 401 runs it again at once.
    assert credentials.renew(second).token == "exec-3"


def test_an_exec_token_without_expiry_is_kept_until_refused(tmp_path: Path) -> None:
    user = {
        "exec": plugin(tmp_path / "bin", {"token": "forever"}, "client.authentication.k8s.io/v1")
    }
    credentials = from_kubeconfig([kubeconfig(tmp_path / "config", user)])
    clock = Clock()
    credentials.clock = clock
    first = credentials.auth()
    clock.now += 10 * 24 * 3600
    assert credentials.auth() is first
    assert credentials.renew(first).token == "forever-2"


def test_an_exec_client_certificate(tmp_path: Path) -> None:
    status = {"clientCertificateData": "CERT PEM", "clientKeyData": "KEY PEM"}
    user = {"exec": plugin(tmp_path / "bin", status, "client.authentication.k8s.io/v1")}
    auth = from_kubeconfig([kubeconfig(tmp_path / "config", user)]).auth()
    assert (auth.cert_data, auth.key_data, auth.token) == (b"CERT PEM", b"KEY PEM", "")
    assert auth.has_client_certificate


def test_a_failing_plugin_is_a_clear_error(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    user = {"exec": plugin(bin_dir, {"token": "x"}, "client.authentication.k8s.io/v1")}
    credentials = from_kubeconfig([kubeconfig(tmp_path / "config", user)])
    (bin_dir / "fail").touch()
    with pytest.raises(ConfigError) as error:
        credentials.auth()
    message = str(error.value)
    assert "exited with 3" in message
    assert "no credentials for you" in message
    assert str(bin_dir / "plugin") in message
    assert "user 'dev'" in message


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ({}, "neither a token nor clientCertificateData"),
        ({"clientCertificateData": "C"}, "only one of"),
        ({"token": "t", "expirationTimestamp": "soon"}, "not an RFC 3339 time"),
    ],
)
def test_an_unusable_exec_credential_is_refused(
    tmp_path: Path, status: dict[str, Any], message: str
) -> None:
    user = {"exec": plugin(tmp_path / "bin", status, "client.authentication.k8s.io/v1")}
    with pytest.raises(ConfigError, match=message):
        from_kubeconfig([kubeconfig(tmp_path / "config", user)]).auth()


def test_the_plugins_api_version_must_be_the_one_asked_for(tmp_path: Path) -> None:
    spec = plugin(tmp_path / "bin", {"token": "t"}, "client.authentication.k8s.io/v1")
    spec["env"][1]["value"] = "client.authentication.k8s.io/v1beta1"
    with pytest.raises(
        ConfigError, match=r"the kubeconfig asks for client\.authentication\.k8s\.io/v1$"
    ):
        from_kubeconfig([kubeconfig(tmp_path / "config", {"exec": spec})]).auth()
    spec["apiVersion"] = "client.authentication.k8s.io/v1alpha1"
    with pytest.raises(ConfigError, match="exec apiVersion"):
        from_kubeconfig([kubeconfig(tmp_path / "config", {"exec": spec})])


def test_a_missing_plugin_shows_its_install_hint(tmp_path: Path) -> None:
    spec = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": "augur-no-such-plugin",
        "installHint": "install it with your package manager",
    }
    credentials = from_kubeconfig([kubeconfig(tmp_path / "config", {"exec": spec})])
    with pytest.raises(
        ConfigError, match="command not found \\(install it with your package manager\\)"
    ):
        credentials.auth()


def test_credentials_are_plain_data(tmp_path: Path) -> None:
    """Nothing in a Credentials object needs the kubernetes package."""
    credentials = Credentials(server="https://x")
    assert credentials.auth().header() == {}
    assert "kubernetes" not in type(credentials).__module__


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"interactiveMode": "Always"}, "needs a terminal"),
        ({"env": [{"value": "nameless"}]}, "list of name/value entries"),
        ({"command": ""}, "exec has no command"),
    ],
)
def test_exec_entries_augur_cannot_run_are_refused(
    tmp_path: Path, extra: dict[str, Any], message: str
) -> None:
    spec = {"apiVersion": "client.authentication.k8s.io/v1", "command": "plugin", **extra}
    with pytest.raises(ConfigError, match=message) as error:
        from_kubeconfig([kubeconfig(tmp_path / "config", {"exec": spec})])
    assert "user 'dev'" in str(error.value)
