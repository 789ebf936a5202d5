"""How augur logs in to the API server, as kubectl does: a kubeconfig or the in-cluster service
account, without the `kubernetes` client package.

`load_credentials` picks the source (an explicit kubeconfig; else the in-cluster service
account; else `$KUBECONFIG`, merged, or `~/.kube/config`). `Credentials` answers what a request
needs: the server, the TLS context (CA, client certificate, `insecure-skip-tls-verify`,
`tls-server-name`) and the `Authorization` header. Tokens that change are renewed: token files
(the service account's bound token rotates) are read again every minute, exec plugin
credentials shortly before they expire, and both at once after a 401.

Supported user fields: `token`, `tokenFile`, `client-certificate[-data]`, `client-key[-data]`,
`username`/`password` and `exec` (ExecCredential `client.authentication.k8s.io/v1` and
`v1beta1`). `auth-provider` (the removed gcp/azure/oidc plugins; their replacements are exec
plugins) and a cluster's `proxy-url` are refused with a message naming them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from augur.lifetime import die_with_parent

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
TOKEN_FILE_REFRESH = 60.0
"""Seconds a token read from a file is used before the file is read again."""
EXEC_TIMEOUT = 60.0
"""Seconds an exec credential plugin may take."""
EXPIRY_MARGIN = 10.0
"""Seconds before its expirationTimestamp an exec credential is renewed."""
EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")


class ConfigError(Exception):
    """Credentials cannot be loaded: the message names the file, context or field at fault."""


@dataclass(frozen=True)
class Auth:
    """One snapshot of what authenticates a request."""

    token: str = ""
    username: str = ""
    password: str = ""
    cert_file: str = ""
    key_file: str = ""
    cert_data: bytes = b""
    key_data: bytes = b""
    expiration: datetime | None = None
    """When the token (or client certificate) stops being valid, as far as augur knows (an
    exec credential's expirationTimestamp, a token file's JWT `exp`); None: unknown."""

    def header(self) -> dict[str, str]:
        """The Authorization header (none for a client certificate alone)."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.username or self.password:
            basic = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return {"Authorization": f"Basic {basic}"}
        return {}

    @property
    def has_client_certificate(self) -> bool:
        return bool((self.cert_file or self.cert_data) and (self.key_file or self.key_data))

    @property
    def client_certificate(self) -> tuple[str, str, bytes, bytes]:
        """Certificate and key, as files and as data: what a TLS context is built from."""
        return (self.cert_file, self.key_file, self.cert_data, self.key_data)


@dataclass(frozen=True)
class ExecPlugin:
    """A kubeconfig `user.exec` entry."""

    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    api_version: str = EXEC_API_VERSIONS[0]
    install_hint: str = ""
    cluster_info: dict[str, Any] | None = None
    """The ExecCredential's spec.cluster, when the entry sets provideClusterInfo."""
    where: str = ""
    """The kubeconfig file and user, for error messages."""

    def run(self) -> Auth:
        """Run the plugin and read its ExecCredential."""
        spec: dict[str, Any] = {"interactive": False}
        if self.cluster_info is not None:
            spec["cluster"] = self.cluster_info
        info = {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": spec}
        env = {**os.environ, **dict(self.env), "KUBERNETES_EXEC_INFO": json.dumps(info)}
        name = f"exec plugin {self.command!r} of {self.where}"
        try:
            done = subprocess.run(
                [self.command, *self.args],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=EXEC_TIMEOUT,
                check=False,
                preexec_fn=die_with_parent,
            )
        except FileNotFoundError:
            hint = f" ({self.install_hint.strip()})" if self.install_hint.strip() else ""
            raise ConfigError(f"{name}: command not found{hint}") from None
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ConfigError(f"{name}: {error}") from None
        if done.returncode != 0:
            stderr = done.stderr.decode(errors="replace").strip()[-500:]
            raise ConfigError(f"{name} exited with {done.returncode}: {stderr or 'no output'}")
        try:
            credential = json.loads(done.stdout)
            assert isinstance(credential, dict)
        except (ValueError, AssertionError):
            raise ConfigError(f"{name} printed no ExecCredential JSON") from None
        if credential.get("kind") != "ExecCredential" or credential.get("apiVersion") not in (
            EXEC_API_VERSIONS
        ):
            raise ConfigError(
                f"{name} printed kind {credential.get('kind')!r} apiVersion "
                f"{credential.get('apiVersion')!r}, not an ExecCredential of {self.api_version}"
            )
        if credential.get("apiVersion") != self.api_version:
            raise ConfigError(
                f"{name} printed apiVersion {credential['apiVersion']}, the kubeconfig asks for "
                f"{self.api_version}"
            )
        status = credential.get("status") or {}
        expiration = None
        if status.get("expirationTimestamp"):
            try:
                expiration = _parse_time(str(status["expirationTimestamp"]))
            except ValueError:
                raise ConfigError(
                    f"{name}: status.expirationTimestamp {status['expirationTimestamp']!r} is "
                    "not an RFC 3339 time"
                ) from None
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if bool(cert) != bool(key):
            raise ConfigError(
                f"{name}: status has only one of clientCertificateData and clientKeyData"
            )
        if not status.get("token") and not cert:
            raise ConfigError(
                f"{name}: status has neither a token nor clientCertificateData/clientKeyData"
            )
        return Auth(
            token=str(status.get("token") or ""),
            cert_data=str(cert or "").encode(),
            key_data=str(key or "").encode(),
            expiration=expiration,
        )


def jwt_expiration(token: str) -> datetime | None:
    """The `exp` claim of a JWT (a ServiceAccount token), unverified; None for another token."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Credentials:
    """Where the API server is and how to authenticate to it; thread-safe.

    Static parts (server, TLS) are fields; the `Auth` that may change (token files, exec
    plugins) is renewed by `auth()` when due and by `renew()` after a 401."""

    server: str
    ca_file: str = ""
    ca_data: bytes = b""
    insecure: bool = False
    tls_server_name: str = ""
    static: Auth = field(default_factory=Auth)
    """Credentials written in the kubeconfig itself (token, basic, client certificate)."""
    token_file: str = ""
    exec_plugin: ExecPlugin | None = None
    source: str = ""
    """Where these came from (a kubeconfig and context, or in-cluster), for messages."""
    clock: Callable[[], float] = time.time
    _current: Auth | None = field(default=None, repr=False)
    _renew_at: float | None = field(default=None, repr=False)
    """When `_current` is read again (None: only after a 401)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def auth(self) -> Auth:
        """The current Auth, renewed first when it is due."""
        with self._lock:
            if self._current is None or self._due():
                self._current = self._load()
            return self._current

    def renew(self, stale: Auth | None = None) -> Auth:
        """A fresh Auth after the server refused `stale` (a 401): token files are read and exec
        plugins run again. Another thread having renewed it already, that one is returned."""
        with self._lock:
            if self._current is None or stale is None or self._current is stale:
                self._current = self._load()
            return self._current

    @property
    def renewable(self) -> bool:
        """Whether anything can change on renewal."""
        return bool(self.token_file or self.exec_plugin)

    def _due(self) -> bool:
        return self._renew_at is not None and self.clock() >= self._renew_at

    def _load(self) -> Auth:
        now = self.clock()
        if self.exec_plugin is not None:
            fresh = self.exec_plugin.run()
            # The kubeconfig's own token and certificate win over the plugin's (as kubectl).
            auth = replace(fresh, token=self.static.token or fresh.token)
            if self.static.has_client_certificate:
                auth = replace(
                    auth,
                    cert_file=self.static.cert_file,
                    key_file=self.static.key_file,
                    cert_data=self.static.cert_data,
                    key_data=self.static.key_data,
                )
            expires = auth.expiration
            self._renew_at = expires.timestamp() - EXPIRY_MARGIN if expires else None
        elif self.token_file:
            try:
                token = Path(self.token_file).read_text().strip()
            except OSError as error:
                raise ConfigError(f"{self.source}: cannot read the token file: {error}") from None
            auth = replace(self.static, token=token, expiration=jwt_expiration(token))
            self._renew_at = now + TOKEN_FILE_REFRESH
        else:
            auth = self.static
            self._renew_at = None
        return auth

    def ssl_context(self, auth: Auth | None = None) -> ssl.SSLContext:
        """TLS for a connection: the CA (or the system's), the client certificate of `auth`
        (or the current one), and no verification when `insecure-skip-tls-verify`."""
        auth = auth or self.auth()
        try:
            context = ssl.create_default_context(
                cafile=self.ca_file or None,
                cadata=self.ca_data.decode("ascii") if self.ca_data else None,
            )
        except (OSError, ssl.SSLError, UnicodeDecodeError) as error:
            raise ConfigError(
                f"{self.source}: cannot load the certificate authority: {error}"
            ) from None
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if auth.has_client_certificate:
            with contextlib.ExitStack() as stack:
                # ssl loads certificates only from files: data is written for the moment.
                cert = auth.cert_file or _temporary(stack, auth.cert_data)
                key = auth.key_file or _temporary(stack, auth.key_data)
                try:
                    context.load_cert_chain(cert, key)
                except (OSError, ssl.SSLError) as error:
                    raise ConfigError(
                        f"{self.source}: cannot load the client certificate: {error}"
                    ) from None
        return context


def _temporary(stack: contextlib.ExitStack, data: bytes) -> str:
    handle = stack.enter_context(
        tempfile.NamedTemporaryFile(prefix="augur-", buffering=0)  # noqa: SIM115
    )
    handle.write(data)
    return handle.name


# -- loading -------------------------------------------------------------------------------


def load_credentials(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> Credentials:
    """The credentials `augur run` uses: the kubeconfig given, else the in-cluster service
    account, else `$KUBECONFIG` (files separated by ':', merged as kubectl merges them) or
    `~/.kube/config`; of the kubeconfig, `context` or its current-context."""
    environ = os.environ if environ is None else environ
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise ConfigError(f"kubeconfig {kubeconfig} does not exist")
        return from_kubeconfig([path], context)
    if environ.get("KUBERNETES_SERVICE_HOST") and (service_account_dir / "token").is_file():
        return in_cluster(environ, service_account_dir)
    files = [Path(p).expanduser() for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if not files:
        files = [Path(environ.get("HOME", "~")).expanduser() / ".kube" / "config"]
    existing = [path for path in files if path.is_file()]
    if not existing:
        raise ConfigError(
            "no in-cluster service account (KUBERNETES_SERVICE_HOST and "
            f"{service_account_dir}/token) and no kubeconfig at {os.pathsep.join(map(str, files))}"
        )
    return from_kubeconfig(existing, context)


def in_cluster(
    environ: Mapping[str, str], service_account_dir: Path = SERVICE_ACCOUNT_DIR
) -> Credentials:
    """The pod's service account: its (rotating) token, the cluster CA, the API server the
    environment names."""
    host, port = environ.get("KUBERNETES_SERVICE_HOST", ""), environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise ConfigError("in-cluster: KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT unset")
    if ":" in host:  # IPv6
        host = f"[{host}]"
    ca = service_account_dir / "ca.crt"
    credentials = Credentials(
        server=f"https://{host}:{port}",
        ca_file=str(ca) if ca.is_file() else "",
        token_file=str(service_account_dir / "token"),
        source=f"in-cluster service account ({service_account_dir})",
    )
    credentials.auth()  # a clear error now rather than at the first request
    return credentials


def _read_kubeconfig(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"kubeconfig {path}: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"kubeconfig {path}: not a mapping")
    return document


def from_kubeconfig(files: list[Path], context: str | None = None) -> Credentials:
    """Credentials from kubeconfig files merged as kubectl merges them: of each named cluster,
    user and context the first file's wins, and so does the first current-context set. File
    paths in an entry are relative to the file the entry comes from."""
    entries: dict[str, dict[str, tuple[dict[str, Any], Path]]] = {
        "clusters": {},
        "users": {},
        "contexts": {},
    }
    current = ""
    for path in files:
        document = _read_kubeconfig(path)
        current = current or str(document.get("current-context") or "")
        for section, singular in (
            ("clusters", "cluster"),
            ("users", "user"),
            ("contexts", "context"),
        ):
            for item in document.get(section) or []:
                if isinstance(item, dict) and item.get("name") is not None:
                    body = item.get(singular) or {}
                    entries[section].setdefault(str(item["name"]), (body, path))
    names = ", ".join(str(p) for p in files)
    name = context or current
    if not name:
        raise ConfigError(f"kubeconfig {names}: no current-context, and no context given")
    if name not in entries["contexts"]:
        raise ConfigError(f"kubeconfig {names}: no context {name!r}")
    ctx, _ = entries["contexts"][name]
    cluster_name, user_name = str(ctx.get("cluster") or ""), str(ctx.get("user") or "")
    if cluster_name not in entries["clusters"]:
        raise ConfigError(
            f"kubeconfig {names}: context {name!r} names no known cluster {cluster_name!r}"
        )
    cluster, cluster_file = entries["clusters"][cluster_name]
    user, user_file = entries["users"].get(user_name, ({}, files[0]))
    if user_name and user_name not in entries["users"]:
        raise ConfigError(f"kubeconfig {names}: context {name!r} names no known user {user_name!r}")
    where = f"kubeconfig {names}, context {name!r}"
    server = str(cluster.get("server") or "")
    if not server:
        raise ConfigError(f"{where}: cluster {cluster_name!r} has no server")
    if cluster.get("proxy-url"):
        raise ConfigError(f"{where}: cluster {cluster_name!r} has a proxy-url, not supported")
    return Credentials(
        server=server.rstrip("/"),
        ca_file=_path(cluster.get("certificate-authority"), cluster_file),
        ca_data=_data(cluster, "certificate-authority-data", where),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=str(cluster.get("tls-server-name") or ""),
        static=_static_auth(user, user_file, where),
        token_file=_path(user.get("tokenFile"), user_file) if not user.get("token") else "",
        exec_plugin=_exec_plugin(user, user_file, cluster, f"{where}, user {user_name!r}"),
        source=where,
    )


def _path(value: object, relative_to: Path) -> str:
    """A file path of a kubeconfig entry, relative ones against the kubeconfig's directory."""
    if not value:
        return ""
    path = Path(str(value)).expanduser()
    return str(path if path.is_absolute() else relative_to.parent / path)


def _data(entry: Mapping[str, Any], key: str, where: str) -> bytes:
    value = entry.get(key)
    if not value:
        return b""
    try:
        return base64.b64decode(str(value), validate=True)
    except ValueError:
        raise ConfigError(f"{where}: {key} is not base64") from None


def _static_auth(user: Mapping[str, Any], user_file: Path, where: str) -> Auth:
    if user.get("auth-provider"):
        provider = (user["auth-provider"] or {}).get("name", "")
        raise ConfigError(
            f"{where}: auth-provider {provider!r} is not supported; use an exec credential "
            "plugin (kubectl's own replacement for it)"
        )
    auth = Auth(
        token=str(user.get("token") or ""),
        username=str(user.get("username") or ""),
        password=str(user.get("password") or ""),
        cert_file=_path(user.get("client-certificate"), user_file),
        key_file=_path(user.get("client-key"), user_file),
        cert_data=_data(user, "client-certificate-data", where),
        key_data=_data(user, "client-key-data", where),
    )
    has_cert = bool(auth.cert_file or auth.cert_data)
    has_key = bool(auth.key_file or auth.key_data)
    if has_cert != has_key:
        raise ConfigError(f"{where}: the user has a client certificate or key, not both")
    return auth


def _exec_plugin(
    user: Mapping[str, Any], user_file: Path, cluster: Mapping[str, Any], where: str
) -> ExecPlugin | None:
    spec = user.get("exec")
    if not spec:
        return None
    if not isinstance(spec, dict) or not spec.get("command"):
        raise ConfigError(f"{where}: exec has no command")
    api_version = str(spec.get("apiVersion") or "")
    if api_version not in EXEC_API_VERSIONS:
        raise ConfigError(
            f"{where}: exec apiVersion {api_version!r} is not one of {', '.join(EXEC_API_VERSIONS)}"
        )
    if spec.get("interactiveMode") == "Always":
        raise ConfigError(f"{where}: the exec plugin needs a terminal (interactiveMode Always)")
    env = spec.get("env") or []
    if not isinstance(env, list) or not all(isinstance(e, dict) and e.get("name") for e in env):
        raise ConfigError(f"{where}: exec env must be a list of name/value entries")
    command = str(spec["command"])
    # As kubectl: a command with a path separator is relative to the kubeconfig's directory.
    if os.sep in command and not os.path.isabs(command):
        command = str(user_file.parent / command)
    cluster_info = None
    if spec.get("provideClusterInfo"):
        cluster_info = {
            key: value
            for key, value in (
                ("server", cluster.get("server")),
                ("tls-server-name", cluster.get("tls-server-name")),
                ("insecure-skip-tls-verify", cluster.get("insecure-skip-tls-verify")),
                ("certificate-authority-data", cluster.get("certificate-authority-data")),
            )
            if value
        }
    return ExecPlugin(
        command=command,
        args=tuple(str(a) for a in spec.get("args") or ()),
        env=tuple((str(e["name"]), str(e.get("value", ""))) for e in env),
        api_version=api_version,
        install_hint=str(spec.get("installHint") or ""),
        cluster_info=cluster_info,
        where=where,
    )
