"""prometheus-operator's ServiceMonitor and PodMonitor (`monitoring.coreos.com/v1`), as
prometheus-operator v0.85.0 defines them (pkg/apis/monitoring/v1/servicemonitor_types.go,
podmonitor_types.go, types.go), with what its operator checks before it loads one
(pkg/prometheus/resource_selector.go `checkServiceMonitor` / `checkPodMonitor`).

A field this model does not know refuses the object (it is reported, never silently
dropped): a scrape class and proxy CONNECT headers are not carried over. What a stack may take of a valid monitor depends on the stack
(`monitor_problems`): file paths only from its own namespace, Secrets not ConfigMaps, no
OAuth2.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from augur.api.bounds import shape_problem
from augur.api.common import Duration, LabelSelector, duration_seconds
from augur.api.promoperator_rules import PO_API_VERSION
from augur.api.relabel import RelabelConfig, sets_label
from augur.api.resources import Identified, InvalidObject, ObjectMeta, Problem, problems_from
from augur.api.scrapeclient import ScrapeProtocol


class PoModel(BaseModel):
    """Base of prometheus-operator's models: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_attribute_docstrings=True,
    )


class SecretKeySelector(PoModel):
    """core/v1 SecretKeySelector: a key of a Secret in the monitor's namespace."""

    name: str = Field(min_length=1, max_length=253)
    key: str = Field(min_length=1, max_length=253, pattern=r"^[-._a-zA-Z0-9]+$")
    optional: bool | None = None


class ConfigMapKeySelector(PoModel):
    """core/v1 ConfigMapKeySelector."""

    name: str = Field(min_length=1, max_length=253)
    key: str = Field(min_length=1, max_length=253)
    optional: bool | None = None


class SecretOrConfigMap(PoModel):
    """Data from a Secret or a ConfigMap (not both)."""

    secret: SecretKeySelector | None = None
    config_map: ConfigMapKeySelector | None = None

    @model_validator(mode="after")
    def _one(self) -> SecretOrConfigMap:
        if self.secret is not None and self.config_map is not None:
            raise ValueError("cannot specify both Secret and ConfigMap")
        return self

    @property
    def is_set(self) -> bool:
        return self.secret is not None or self.config_map is not None


TLSVersion = Literal["TLS10", "TLS11", "TLS12", "TLS13"]


class SafeTLSConfig(PoModel):
    """TLS settings whose material comes from Secrets or ConfigMaps."""

    ca: SecretOrConfigMap = Field(default_factory=SecretOrConfigMap)
    cert: SecretOrConfigMap = Field(default_factory=SecretOrConfigMap)
    key_secret: SecretKeySelector | None = None
    server_name: str | None = None
    insecure_skip_verify: bool | None = None
    min_version: TLSVersion | None = None
    max_version: TLSVersion | None = None

    @model_validator(mode="after")
    def _pairs(self) -> SafeTLSConfig:
        has_cert = self.cert.is_set or bool(getattr(self, "cert_file", ""))
        has_key = self.key_secret is not None or bool(getattr(self, "key_file", ""))
        if has_cert and not has_key:
            raise ValueError("cannot specify client cert without client key")
        if has_key and not has_cert:
            raise ValueError("cannot specify client key without client cert")
        if self.min_version and self.max_version and self.max_version < self.min_version:
            raise ValueError("maxVersion must more than or equal to minVersion")
        return self


class TLSConfig(SafeTLSConfig):
    """TLS settings that may also name files in the Prometheus container."""

    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""

    @model_validator(mode="after")
    def _not_both(self) -> TLSConfig:
        if self.ca.is_set and self.ca_file:
            raise ValueError("cannot specify both caFile and ca")
        if self.cert.is_set and self.cert_file:
            raise ValueError("cannot specify both certFile and cert")
        if self.key_secret is not None and self.key_file:
            raise ValueError("cannot specify both keyFile and keySecret")
        return self


class BasicAuth(PoModel):
    """HTTP basic authentication from Secrets."""

    username: SecretKeySelector
    password: SecretKeySelector


class SafeAuthorization(PoModel):
    """An Authorization header whose credentials come from a Secret."""

    type: str = ""
    credentials: SecretKeySelector | None = None

    @model_validator(mode="after")
    def _valid(self) -> SafeAuthorization:
        if self.type.strip().lower() == "basic":
            raise ValueError(
                'Authorization type cannot be set to "basic", use "basic_auth" instead'
            )
        if self.credentials is None:
            raise ValueError("Authorization credentials are required")
        return self


class OAuth2(PoModel):
    """OAuth 2.0 client credentials."""

    client_id: SecretOrConfigMap
    client_secret: SecretKeySelector
    token_url: str = Field(min_length=1)
    scopes: list[str] = Field(default_factory=list)
    endpoint_params: dict[str, str] = Field(default_factory=dict)
    tls_config: SafeTLSConfig | None = None
    proxy_url: str | None = Field(default=None, pattern=r"^(http|https|socks5)://.+$")
    no_proxy: str | None = None
    proxy_from_environment: bool | None = None

    @model_validator(mode="after")
    def _client_id(self) -> OAuth2:
        if not self.client_id.is_set:
            raise ValueError("OAuth2 client id must be specified")
        return self


class AttachMetadata(PoModel):
    """Metadata added to the discovered targets."""

    node: bool | None = None


class NamespaceSelector(PoModel):
    """Which namespaces the targets are discovered in: any, or by name; default the
    monitor's own."""

    any: bool = False
    match_names: list[str] = Field(default_factory=list)


IntOrString = int | str


class _EndpointCommon(PoModel):
    """What an Endpoint and a PodMetricsEndpoint share."""

    target_port: IntOrString | None = None
    path: str = ""
    scheme: Literal["http", "https", ""] = ""
    params: dict[str, list[str]] | None = None
    interval: Duration | Literal[""] = ""
    scrape_timeout: Duration | Literal[""] = ""
    honor_labels: bool = False
    honor_timestamps: bool | None = None
    track_timestamps_staleness: bool | None = None
    basic_auth: BasicAuth | None = None
    oauth2: OAuth2 | None = None
    authorization: SafeAuthorization | None = None
    metric_relabelings: list[RelabelConfig] = Field(default_factory=list)
    relabelings: list[RelabelConfig] = Field(default_factory=list)
    proxy_url: str | None = Field(default=None, pattern=r"^(http|https|socks5)://.+$")
    no_proxy: str | None = None
    proxy_from_environment: bool | None = None
    follow_redirects: bool | None = None
    enable_http2: bool | None = None
    filter_running: bool | None = None

    @model_validator(mode="after")
    def _one_authentication(self) -> _EndpointCommon:
        used = [
            name
            for name, value in (
                ("basicAuth", self.basic_auth),
                ("authorization", self.authorization),
                ("oauth2", self.oauth2),
                ("bearerTokenSecret", self.bearer_secret),
                ("bearerTokenFile", getattr(self, "bearer_token_file", "") or None),
            )
            if value is not None
        ]
        if len(used) > 1:
            raise ValueError(
                f"at most one of basicAuth, authorization, oauth2 and a bearer token: "
                f"{', '.join(used)}"
            )
        return self

    @model_validator(mode="after")
    def _proxy(self) -> _EndpointCommon:
        # Prometheus' ProxyConfig.Validate (prometheus/common config)
        if self.proxy_from_environment and self.proxy_url:
            raise ValueError("if proxyFromEnvironment is set, proxyUrl must not be")
        if self.proxy_from_environment and self.no_proxy:
            raise ValueError("if proxyFromEnvironment is set, noProxy must not be")
        if self.no_proxy and not self.proxy_url:
            raise ValueError("noProxy needs proxyUrl")
        return self

    @property
    def bearer_secret(self) -> SecretKeySelector | None:
        """The deprecated bearerTokenSecret, when it names a Secret."""
        return None

    @property
    def port_name(self) -> str:
        """The port the endpoint names (by name); empty: none."""
        return ""


class Endpoint(_EndpointCommon):
    """One endpoint of a ServiceMonitor: a port of the selected Services."""

    port: str = ""
    tls_config: TLSConfig | None = None
    bearer_token_file: str = ""
    bearer_token_secret: SecretKeySelector | None = None

    @property
    def bearer_secret(self) -> SecretKeySelector | None:
        secret = self.bearer_token_secret
        return secret if secret is not None and secret.name else None

    @property
    def port_name(self) -> str:
        return self.port


class PodMetricsEndpoint(_EndpointCommon):
    """One endpoint of a PodMonitor: a port of the selected pods."""

    port: str | None = None
    port_number: int | None = Field(default=None, ge=1, le=65535)
    tls_config: SafeTLSConfig | None = None
    bearer_token_secret: SecretKeySelector | None = None

    @property
    def bearer_secret(self) -> SecretKeySelector | None:
        secret = self.bearer_token_secret
        return secret if secret is not None and secret.name and secret.key else None

    @property
    def port_name(self) -> str:
        return self.port or ""


class _MonitorSpecCommon(PoModel):
    job_label: str = ""
    pod_target_labels: list[str] = Field(default_factory=list)
    selector: LabelSelector
    namespace_selector: NamespaceSelector = Field(default_factory=NamespaceSelector)
    sample_limit: int | None = Field(default=None, ge=0)
    target_limit: int | None = Field(default=None, ge=0)
    label_limit: int | None = Field(default=None, ge=0)
    label_name_length_limit: int | None = Field(default=None, ge=0)
    label_value_length_limit: int | None = Field(default=None, ge=0)
    keep_dropped_targets: int | None = Field(default=None, ge=0)
    scrape_protocols: list[ScrapeProtocol] = Field(default_factory=list)
    fallback_scrape_protocol: ScrapeProtocol | None = None
    attach_metadata: AttachMetadata | None = None
    selector_mechanism: Literal["RelabelConfig", "RoleSelector"] | None = None
    scrape_classic_histograms: bool | None = None
    native_histogram_bucket_limit: int | None = Field(default=None, ge=0)
    native_histogram_min_bucket_factor: str | None = Field(
        default=None, pattern=r"^[0-9]+(\.[0-9]+)?m?$"
    )
    convert_classic_histograms_to_nhcb: bool | None = Field(
        default=None, alias="convertClassicHistogramsToNHCB"
    )
    body_size_limit: str | None = Field(
        default=None, pattern=r"^(0|([0-9]*(\.[0-9]+)?(B|KB|MB|GB|TB|PB|EB)))$"
    )

    @model_validator(mode="after")
    def _protocols(self) -> _MonitorSpecCommon:
        repeated = sorted({p for p in self.scrape_protocols if self.scrape_protocols.count(p) > 1})
        if repeated:
            raise ValueError(f"scrapeProtocols: {', '.join(repeated)} repeated")
        return self


class ServiceMonitorSpec(_MonitorSpecCommon):
    """Which Services' endpoints are scraped, and how."""

    target_labels: list[str] = Field(default_factory=list)
    endpoints: list[Endpoint] = Field(default_factory=list)


class PodMonitorSpec(_MonitorSpecCommon):
    """Which pods are scraped, and how."""

    pod_metrics_endpoints: list[PodMetricsEndpoint] = Field(default_factory=list)


class _Monitor(Identified, BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    kind_name: ClassVar[str]
    api_version: str = Field(alias="apiVersion")
    kind: str
    metadata: ObjectMeta

    @property
    def source(self) -> str:
        """'Kind/namespace/name', as statuses and findings name it."""
        return f"{self.kind_name}/{self.key}"


class ServiceMonitor(_Monitor):
    """A prometheus-operator ServiceMonitor."""

    kind_name: ClassVar[str] = "ServiceMonitor"
    spec: ServiceMonitorSpec

    @property
    def endpoints(self) -> list[Endpoint]:
        return self.spec.endpoints


class PodMonitor(_Monitor):
    """A prometheus-operator PodMonitor."""

    kind_name: ClassVar[str] = "PodMonitor"
    spec: PodMonitorSpec

    @property
    def endpoints(self) -> list[PodMetricsEndpoint]:
        return self.spec.pod_metrics_endpoints


AnyMonitor = ServiceMonitor | PodMonitor
MONITOR_KINDS: dict[str, type[ServiceMonitor] | type[PodMonitor]] = {
    "ServiceMonitor": ServiceMonitor,
    "PodMonitor": PodMonitor,
}


def parse_monitor(doc: dict[str, Any]) -> AnyMonitor:
    """Validate a ServiceMonitor or PodMonitor; raise InvalidObject naming every field at
    fault."""
    kind = str(doc.get("kind", ""))
    meta = doc.get("metadata") or {}
    name = str(meta.get("name", "<unnamed>")) if isinstance(meta, dict) else "<unnamed>"
    namespace = str(meta.get("namespace") or "default") if isinstance(meta, dict) else "default"
    if doc.get("apiVersion") != PO_API_VERSION:
        found = doc.get("apiVersion")
        problem = Problem("apiVersion", f"{found!r} is not {PO_API_VERSION}")
        raise InvalidObject(kind, namespace, name, [problem])
    cls = MONITOR_KINDS[kind]
    body = {key: value for key, value in doc.items() if key != "status"}
    shape = shape_problem(body)
    if shape is not None:
        raise InvalidObject(kind, namespace, name, [Problem(*shape)])
    try:
        return cls.model_validate(body)
    except ValidationError as error:
        raise InvalidObject(kind, namespace, name, problems_from(error)) from None


def monitor_problems(
    monitor: AnyMonitor,
    stack_namespace: str | None = None,
    default_interval: str | None = None,
    *,
    tenancy: bool = False,
) -> list[Problem]:
    """What keeps a stack of `stack_namespace` from loading a valid monitor: file paths
    (bearerTokenFile, TLS caFile/certFile/keyFile) from any other namespace — Prometheus would
    send its own files, such as its ServiceAccount token, wherever the monitor points —
    certificates in ConfigMaps, OAuth2 (its client ID would have to be written into
    prometheus.yml), and a scrapeTimeout longer than the stack's interval."""
    problems: list[Problem] = []
    attach = monitor.spec.attach_metadata
    if attach is not None and attach.node:
        problems.append(
            Problem(
                "spec.attachMetadata.node",
                "node metadata is not supported: augur's Prometheus is not granted to read Nodes",
            )
        )
    field = "endpoints" if isinstance(monitor, ServiceMonitor) else "podMetricsEndpoints"
    foreign = stack_namespace is not None and monitor.namespace != stack_namespace
    endpoints: list[Endpoint | PodMetricsEndpoint] = list(monitor.endpoints)
    for index, endpoint in enumerate(endpoints):
        at = f"spec.{field}[{index}]"
        if foreign:
            files = []
            if isinstance(endpoint, Endpoint):
                if endpoint.bearer_token_file:
                    files.append("bearerTokenFile")
                tls = endpoint.tls_config
                if tls is not None:
                    files += [
                        f"tlsConfig.{name}"
                        for name, value in (
                            ("caFile", tls.ca_file),
                            ("certFile", tls.cert_file),
                            ("keyFile", tls.key_file),
                        )
                        if value
                    ]
            problems += [
                Problem(
                    f"{at}.{name}",
                    f"file paths are refused from namespace {monitor.namespace} (not the "
                    f"stack's, {stack_namespace}): Prometheus would send its own files, such "
                    "as its ServiceAccount token, to the target; take the material from a "
                    "Secret",
                )
                for name in files
            ]
        if tenancy and foreign:
            problems += [
                Problem(
                    f"{at}.relabelings[{position}]",
                    "under the stack's tenancy a monitor may not set __address__ (it could "
                    "scrape another namespace's pods into this one's series); choose the "
                    "port with port or targetPort",
                )
                for position, rule in enumerate(endpoint.relabelings)
                if sets_label(rule, "__address__")
            ]
        if endpoint.oauth2 is not None:
            problems.append(
                Problem(
                    f"{at}.oauth2",
                    "OAuth2 is not supported on monitors: Prometheus reads the client ID only "
                    "from its configuration, and augur writes no value of a Secret or "
                    "ConfigMap there; use a MonitoringStack scrape entry's oauth2",
                )
            )
        safe_tls: SafeTLSConfig | None = endpoint.tls_config
        if safe_tls is not None:
            problems += [
                Problem(
                    f"{at}.tlsConfig.{part}.configMap",
                    "certificates from a ConfigMap are not supported: take them from a Secret",
                )
                for part, source in (("ca", safe_tls.ca), ("cert", safe_tls.cert))
                if source.config_map is not None
            ]
        timeout = endpoint.scrape_timeout
        interval = endpoint.interval or default_interval
        if timeout and interval and duration_seconds(timeout) > duration_seconds(interval):
            problems.append(
                Problem(
                    f"{at}.scrapeTimeout",
                    f"scrapeTimeout {timeout} is greater than the scrape interval {interval}",
                )
            )
    return problems
