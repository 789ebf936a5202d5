"""MonitoringStack: Prometheus, Alertmanager, Grafana and Jaeger, deployed and configured."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from augur.api.common import (
    RESERVED_LABELS,
    LIST_MAP_BY_TYPE,
    ApiModel,
    ByteSize,
    Condition,
    Duration,
    GroupBy,
    HttpURL,
    LabelName,
    LabelSelector,
    PositiveDuration,
    PromLabels,
    SecretRef,
    cel,
)
from augur.api.receivers import Receiver
from augur.api.workload import (
    Ingress,
    LocalObjectReference,
    PodSettings,
    ResourceRequirements,
    Storage,
)

LIST_MAP_BY_NAME: dict[str, Any] = {
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["name"],
}


class NamespaceSelector(ApiModel):
    """Which namespaces' policies (and scrape targets) a stack takes; default: its own.

    Selecting a namespace loads its policies. The Secrets their receivers name are copied
    into the stack's credentials Secret only from the stack's own namespace and from
    namespaces whose Namespace carries the label `allow-stack.augur.dev/<stack namespace>:
    "true"` (set by whoever may label Namespaces, so no stack owner can help themselves to
    another team's Secrets); elsewhere the Secret is not read and the policy's
    SecretsResolved condition says SecretNotPermitted."""

    match_names: list[str] = Field(default_factory=list)
    """These namespaces."""
    any: bool = False
    """Every namespace."""
    match_labels: dict[str, str] = Field(default_factory=dict)
    """Namespaces carrying these labels."""

    @model_validator(mode="after")
    def _one_kind(self) -> NamespaceSelector:
        used = [bool(self.match_names), self.any, bool(self.match_labels)]
        if sum(used) > 1:
            raise ValueError("set only one of matchNames, any and matchLabels")
        return self


class Tenancy(ApiModel):
    """Isolation of policies that come from namespaces other than the stack's."""

    enforce_namespace_label: LabelName | None = None
    """Rules from namespace N only see series with this label = N; N's routes only get N's
    alerts. augur sets the label to N on every rule of N: it is reserved in the labels of N's
    alerts and KPIs, and in prometheus.externalLabels. Not a label of Prometheus' own
    (`__name__`, `alertname`) nor one augur sets for routing (`severity`, `augur_*`)."""

    @field_validator("enforce_namespace_label")
    @classmethod
    def _not_a_routing_label(cls, value: str | None) -> str | None:
        if value is None or value == "namespace":
            return value
        if value.startswith("__") or value in {"alertname", "alertstate", *RESERVED_LABELS}:
            raise ValueError(
                f"{value!r} cannot be the namespace label: Prometheus or augur's routing "
                "sets it already"
            )
        return value


class BasicAuth(ApiModel):
    """HTTP basic authentication, both parts from Secrets."""

    username: SecretRef
    """User name."""
    password: SecretRef
    """Password."""


class RemoteWrite(ApiModel):
    """A remote-write endpoint (Thanos, Mimir, VictoriaMetrics, ...)."""

    url: HttpURL
    """Endpoint URL."""
    name: str | None = None
    """Name shown in Prometheus' metrics; defaults to a hash."""
    basic_auth: BasicAuth | None = None
    """Basic authentication."""
    bearer_token: SecretRef | None = None
    """Bearer token."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers (no secrets: they are written into the config)."""

    @model_validator(mode="after")
    def _one_auth(self) -> RemoteWrite:
        if self.basic_auth is not None and self.bearer_token is not None:
            raise ValueError("set at most one of basicAuth and bearerToken")
        return self


class ScrapeTarget(ApiModel):
    """One scrape job."""

    model_config = cel(
        (
            "!has(self.role) || self.role != 'static' || (has(self.static) && size(self.static) > 0)",
            "role static needs at least one target in static",
        )
    )

    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)
    """Job name, unique within the stack."""
    role: Literal["pod", "service", "endpoints", "static"] = "pod"
    """How targets are discovered."""
    namespaces: list[str] = Field(default_factory=list)
    """Namespaces to discover in; default: the stack's namespaceSelector."""
    selector: LabelSelector = Field(default_factory=LabelSelector)
    """Labels of the pods/services to scrape."""
    port: str | None = None
    """Port name (or number) to scrape; unset: every declared port."""
    path: str = Field(default="/metrics", pattern=r"^/")
    """Metrics path."""
    scheme: Literal["http", "https"] = "http"
    """Scheme."""
    interval: Duration | None = None
    """Scrape interval; default: the stack's scrapeInterval."""
    timeout: Duration | None = None
    """Scrape timeout; default: Prometheus' (10s, at most the interval)."""
    static: list[str] = Field(default_factory=list)
    """host:port targets when role is static."""

    @model_validator(mode="after")
    def _static_targets(self) -> ScrapeTarget:
        if self.role == "static" and not self.static:
            raise ValueError("role static needs at least one target in static")
        if self.role != "static" and self.static:
            raise ValueError(f"static targets are only for role static, not {self.role}")
        for target in self.static:
            host, _, port = target.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"static target {target!r} is not host:port")
        return self


class PrometheusSpec(ApiModel):
    """The stack's Prometheus."""

    enabled: bool = True
    """Run Prometheus."""
    image: str | None = None
    """Container image; default: the pinned quay.io/prometheus/prometheus:v3.5.0."""
    replicas: int = Field(default=1, ge=0, le=10)
    """Replicas; 2 make an HA pair whose alerts Alertmanager deduplicates."""
    retention: Duration = "15d"
    """How long samples are kept."""
    retention_size: ByteSize = ""
    """Most disk the TSDB may use, e.g. 50GB; empty: no limit."""
    scrape_interval: Duration = "30s"
    """Default scrape interval."""
    evaluation_interval: Duration = "30s"
    """Rule evaluation interval."""
    external_labels: PromLabels = Field(default_factory=dict)
    """Labels added to every series and alert leaving this Prometheus."""
    storage: Storage | None = None
    """Persistent storage; unset: an emptyDir."""
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """Resource requests and limits."""
    remote_write: list[RemoteWrite] = Field(default_factory=list)
    """Remote-write endpoints."""
    scrape: list[ScrapeTarget] = Field(default_factory=list, json_schema_extra=LIST_MAP_BY_NAME)
    """Scrape jobs."""
    additional_scrape_configs: SecretRef | None = None
    """Raw scrape_configs appended to the generated ones (escape hatch)."""
    pod: PodSettings = Field(default_factory=PodSettings)
    """Pod placement and metadata."""
    ingress: Ingress | None = None
    """Expose the UI."""

    @model_validator(mode="after")
    def _jobs_and_endpoints(self) -> PrometheusSpec:
        # Prometheus refuses a configuration with two scrape jobs or two remote-write
        # endpoints of one name
        for what, names in (
            ("scrape job", [target.name for target in self.scrape]),
            ("remoteWrite", [w.name for w in self.remote_write if w.name is not None]),
        ):
            duplicates = sorted(n for n, count in Counter(names).items() if count > 1)
            if duplicates:
                raise ValueError(f"duplicate {what} name(s): {', '.join(duplicates)}")
        # ...and two remote-write endpoints configured alike (it tells them apart by a hash)
        for index, target in enumerate(self.remote_write):
            if target in self.remote_write[:index]:
                raise ValueError(f"remoteWrite[{index}] repeats an earlier endpoint ({target.url})")
        return self


class AlertmanagerRoute(ApiModel):
    """The top of the Alertmanager route tree."""

    group_by: GroupBy = Field(default_factory=lambda: ["alertname", "namespace"])
    """Labels alerts are grouped by."""
    group_wait: Duration = "30s"
    """Wait before the first notification of a group."""
    group_interval: PositiveDuration = "5m"
    """Wait before notifying of new alerts in a group."""
    repeat_interval: PositiveDuration = "4h"
    """Wait before repeating a notification."""


class AlertmanagerSpec(ApiModel):
    """The stack's Alertmanager."""

    model_config = cel(
        (
            "!has(self.watchdogReceiver) || self.watchdogReceiver.name !="
            " (has(self.defaultReceiver) ? self.defaultReceiver.name : 'default')",
            "watchdogReceiver needs a name of its own (not defaultReceiver's)",
        )
    )

    enabled: bool = True
    """Run Alertmanager."""
    image: str | None = None
    """Container image; default: the pinned quay.io/prometheus/alertmanager:v0.28.1."""
    replicas: int = Field(default=1, ge=0, le=10)
    """Replicas; 2 or more form a gossip cluster."""
    storage: Storage | None = None
    """Persistent storage for silences and notification state; unset: an emptyDir."""
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """Resource requests and limits."""
    route: AlertmanagerRoute = Field(default_factory=AlertmanagerRoute)
    """Top-level route."""
    default_receiver: Receiver = Field(default_factory=lambda: Receiver(name="default"))
    """Receiver of alerts no policy route takes; policies' routes may name it too."""
    watchdog_receiver: Receiver | None = None
    """Receiver of the always-firing `Watchdog` alert, meant for a dead man's switch (a
    heartbeat service that raises the alarm when the Watchdog stops arriving, e.g. a webhook
    to healthchecks.io or Dead Man's Snitch). Unset: the Watchdog goes to no receiver (never
    to defaultReceiver, where it would notify forever)."""
    pod: PodSettings = Field(default_factory=PodSettings)
    """Pod placement and metadata."""
    ingress: Ingress | None = None
    """Expose the UI."""

    @model_validator(mode="after")
    def _watchdog_receiver_has_its_own_name(self) -> AlertmanagerSpec:
        watchdog = self.watchdog_receiver
        if watchdog is not None and watchdog.name == self.default_receiver.name:
            raise ValueError(
                f"watchdogReceiver is named {watchdog.name!r} like defaultReceiver: "
                "give it a name of its own"
            )
        return self


class GrafanaDatabase(ApiModel):
    """External database for Grafana (needed by more than one replica)."""

    type: Literal["postgres", "mysql"] = "postgres"
    """Database type."""
    host: str = Field(min_length=1)
    """host:port."""
    name: str = Field(min_length=1)
    """Database name."""
    user: str = Field(min_length=1)
    """User name."""
    password: SecretRef
    """Password."""
    ssl_mode: str | None = None
    """postgres sslmode / mysql ssl setting."""


class GrafanaDashboards(ApiModel):
    """Which dashboards Grafana gets."""

    built_in: bool = True
    """Stack health, Business KPIs, anomalies and scaling dashboards."""
    config_map_selector: LabelSelector = Field(
        default_factory=lambda: LabelSelector(match_labels={"augur.dev/dashboard": "true"})
    )
    """ConfigMaps of user dashboards (JSON in their data)."""


class GrafanaSpec(ApiModel):
    """The stack's Grafana."""

    model_config = cel(
        (
            "!has(self.replicas) || self.replicas <= 1 || has(self.database)",
            "replicas > 1 needs database (replicas cannot share SQLite)",
        )
    )

    enabled: bool = True
    """Run Grafana."""
    image: str | None = None
    """Container image; default: the pinned docker.io/grafana/grafana:12.1.0."""
    replicas: int = Field(default=1, ge=0, le=10)
    """Replicas; more than one needs database."""
    admin_secret_ref: LocalObjectReference = Field(
        default_factory=lambda: LocalObjectReference(name="grafana-admin")
    )
    """Secret with the admin user and password; created with a random password when absent."""
    database: GrafanaDatabase | None = None
    """External database; required when replicas > 1."""
    dashboards: GrafanaDashboards = Field(default_factory=GrafanaDashboards)
    """Dashboards to provision."""
    storage: Storage | None = None
    """Persistent storage for the SQLite database; unset: an emptyDir."""
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """Resource requests and limits."""
    pod: PodSettings = Field(default_factory=PodSettings)
    """Pod placement and metadata."""
    ingress: Ingress | None = None
    """Expose the UI."""

    @model_validator(mode="after")
    def _ha_needs_database(self) -> GrafanaSpec:
        if self.replicas > 1 and self.database is None:
            raise ValueError("replicas > 1 needs database (replicas cannot share SQLite)")
        return self


class JaegerStorage(ApiModel):
    """Where Jaeger keeps traces."""

    model_config = cel(
        (
            "!has(self.type) || self.type != 'elasticsearch' || has(self.url)",
            "type elasticsearch needs url",
        )
    )

    type: Literal["memory", "badger", "elasticsearch"] = "memory"
    """memory (lost on restart), badger (local volume) or elasticsearch."""
    url: HttpURL | None = None
    """Elasticsearch URL."""
    username: str | None = None
    """Elasticsearch user."""
    password: SecretRef | None = None
    """Elasticsearch password."""
    size: str = Field(default="10Gi", pattern=r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti)?$")
    """Volume size for badger."""
    storage_class_name: str | None = None
    """StorageClass for badger."""
    max_traces: int = Field(default=100000, ge=1)
    """Most traces kept in memory."""

    @model_validator(mode="after")
    def _elasticsearch_url(self) -> JaegerStorage:
        if self.type == "elasticsearch" and self.url is None:
            raise ValueError("type elasticsearch needs url")
        if self.type != "elasticsearch" and (self.url or self.password or self.username):
            raise ValueError("url, username and password are for type elasticsearch")
        return self


class JaegerOTLP(ApiModel):
    """OTLP intake."""

    grpc: bool = True
    """OTLP over gRPC (port 4317)."""
    http: bool = True
    """OTLP over HTTP (port 4318)."""


class JaegerSampling(ApiModel):
    """Sampling served to SDKs that ask."""

    default_rate: float = Field(default=0.1, ge=0, le=1)
    """Probability a trace is sampled."""


class JaegerSpec(ApiModel):
    """The stack's Jaeger (v2)."""

    enabled: bool = True
    """Run Jaeger."""
    image: str | None = None
    """Container image; default: the pinned docker.io/jaegertracing/jaeger:2.8.0."""
    storage: JaegerStorage = Field(default_factory=JaegerStorage)
    """Trace storage."""
    otlp: JaegerOTLP = Field(default_factory=JaegerOTLP)
    """OTLP receivers."""
    sampling: JaegerSampling = Field(default_factory=JaegerSampling)
    """Sampling."""
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """Resource requests and limits."""
    pod: PodSettings = Field(default_factory=PodSettings)
    """Pod placement and metadata."""
    ingress: Ingress | None = None
    """Expose the query UI."""


class NetworkPolicySpec(ApiModel):
    """NetworkPolicies around the stack."""

    enabled: bool = False
    """Only what the stack needs may reach its components."""
    ingress_controller_namespace: str | None = None
    """Namespace of the ingress controller allowed to reach exposed UIs."""


class MonitoringStackSpec(ApiModel):
    """A whole observability stack."""

    policy_selector: LabelSelector = Field(default_factory=LabelSelector)
    """Labels of the AlertPolicies, BusinessKPIs and ScalingPolicies loaded; empty: all."""
    namespace_selector: NamespaceSelector = Field(default_factory=NamespaceSelector)
    """Namespaces the policies come from; default: the stack's own."""
    tenancy: Tenancy = Field(default_factory=Tenancy)
    """Isolation of other namespaces' policies."""
    prometheus: PrometheusSpec = Field(default_factory=PrometheusSpec)
    """Prometheus."""
    alertmanager: AlertmanagerSpec = Field(default_factory=AlertmanagerSpec)
    """Alertmanager."""
    grafana: GrafanaSpec = Field(default_factory=GrafanaSpec)
    """Grafana."""
    jaeger: JaegerSpec = Field(default_factory=JaegerSpec)
    """Jaeger."""
    network_policy: NetworkPolicySpec = Field(default_factory=NetworkPolicySpec)
    """NetworkPolicies."""

    @model_validator(mode="after")
    def _enforced_label_is_augurs(self) -> MonitoringStackSpec:
        label = self.tenancy.enforce_namespace_label
        if label is not None and label in self.prometheus.external_labels:
            raise ValueError(
                f"prometheus.externalLabels: label {label!r} is reserved: "
                "tenancy.enforceNamespaceLabel names it, and augur sets it to each namespace"
            )
        return self


class ComponentStatus(ApiModel):
    """Live state of one component."""

    ready: str | None = None
    """Ready replicas of desired, e.g. 1/1."""
    image: str | None = None
    """Image running."""
    config_hash: str | None = None
    """Hash of the configuration last applied."""


class SelectedCounts(ApiModel):
    """What the stack loads."""

    alert_policies: int = 0
    """AlertPolicies selected and accepted."""
    business_kpis: int = Field(default=0, alias="businessKPIs")
    """BusinessKPIs selected."""
    scaling_policies: int = 0
    """ScalingPolicies selected."""
    rules: int = 0
    """Prometheus rules rendered."""
    rejected: int = 0
    """Selected objects not loaded because they are invalid."""


class RuleShardsStatus(ApiModel):
    """Prometheus' rule ConfigMaps (shards): each holds the rule files whose names hash to it,
    up to 900 KiB. Their count doubles when a rule file does not fit its shard (the
    Prometheus pod restarts to mount the new ones) and halves when the rules fill less than
    a quarter of the capacity; ordinary edits never change it."""

    count: int = 0
    """Rule ConfigMaps, each a volume of the Prometheus pod."""
    used_ki_b: int = Field(default=0, alias="usedKiB")
    """Rule text (and file names) they hold, in KiB."""
    free_ki_b: int = Field(default=0, alias="freeKiB")
    """Room left in them together, in KiB."""
    fullest_percent: int = 0
    """How full the fullest one is: the count doubles when a file does not fit its shard."""
    left_out: int = 0
    """Rule files not loaded: larger than one ConfigMap (or past the most shards)."""


class MonitoringStackStatus(ApiModel):
    """What augur observed and did."""

    observed_generation: int | None = None
    """Generation of the spec last reconciled."""
    conditions: list[Condition] = Field(
        default_factory=list, max_length=16, json_schema_extra=LIST_MAP_BY_TYPE
    )
    """Ready, Reconciled, Degraded."""
    components: dict[str, ComponentStatus] = Field(default_factory=dict)
    """Per component: prometheus, alertmanager, grafana, jaeger."""
    selected: SelectedCounts | None = None
    """Counts of what the stack loads."""
    rule_shards: RuleShardsStatus | None = None
    """Prometheus' rule ConfigMaps: how many, how full (absent without Prometheus)."""
    endpoints: dict[str, str] = Field(default_factory=dict)
    """In-cluster URLs of the components."""
