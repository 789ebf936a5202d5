"""MonitoringStack: Prometheus, Alertmanager, Grafana and Jaeger, deployed and configured."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from augur.api.clustermonitoring import ClusterMonitoring
from augur.api.common import (
    LIST_MAP_BY_TYPE,
    RESERVED_LABELS,
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
    """Names of the namespaces to take policies from (list the stack's own to keep it).
    Default: none; with no selector at all the stack takes its own namespace only."""
    any: bool = False
    """Take policies from every namespace (Prometheus then discovers targets cluster-wide).
    Default false."""
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
    alerts. augur sets the label to N on every rule of N and on every series scraped from a
    Kubernetes target in N (what a pod exports under that name becomes `exported_<label>`): it
    is reserved in the labels of N's alerts and KPIs, and in prometheus.externalLabels. Not a label of Prometheus' own
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
    """The user name, from a Secret in the stack's namespace."""
    password: SecretRef
    """The password, from a Secret in the stack's namespace."""


class RemoteWrite(ApiModel):
    """A remote-write endpoint (Thanos, Mimir, VictoriaMetrics, ...)."""

    url: HttpURL
    """The remote-write endpoint (http or https), e.g. https://mimir.example.com/api/v1/push."""
    name: str | None = Field(default=None, max_length=128)
    """Name shown in Prometheus' metrics, unique among the stack's endpoints; defaults to a
    hash."""
    basic_auth: BasicAuth | None = None
    """HTTP basic authentication for the endpoint; unset: none. Use at most one of basicAuth and
    bearerToken."""
    bearer_token: SecretRef | None = None
    """A bearer token for the endpoint, from a Secret; unset: none."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers (no secrets: they are written into the config)."""

    @model_validator(mode="after")
    def _one_auth(self) -> RemoteWrite:
        if self.basic_auth is not None and self.bearer_token is not None:
            raise ValueError("set at most one of basicAuth and bearerToken")
        return self


class ScrapeTarget(ApiModel):
    """One scrape job: which targets Prometheus discovers and how it reads their metrics."""

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
    """HTTP path the metrics are read from; default /metrics."""
    scheme: Literal["http", "https"] = "http"
    """http (default) or https."""
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


MAX_REMOTE_WRITES = 16
"""Most remote-write endpoints of one Prometheus (each holds a queue in memory)."""


class PrometheusSpec(ApiModel):
    """The stack's Prometheus."""

    enabled: bool = True
    """Run Prometheus (default true); without it there are no rules, KPIs or dashboards."""
    image: str | None = None
    """Container image; default: the pinned quay.io/prometheus/prometheus:v3.5.0."""
    replicas: int = Field(default=1, ge=0, le=10)
    """Replicas; 2 make an HA pair whose alerts Alertmanager deduplicates."""
    retention: Duration = "15d"
    """How long samples are kept."""
    retention_size: ByteSize = ""
    """Most disk the TSDB may use, e.g. 50GB; empty: no limit."""
    scrape_interval: Duration = "30s"
    """How often targets are scraped unless a scrape job says otherwise; default 30s."""
    evaluation_interval: Duration = "30s"
    """How often recording and alerting rules are evaluated; default 30s."""
    external_labels: PromLabels = Field(default_factory=dict)
    """Labels added to every series and alert leaving this Prometheus."""
    storage: Storage | None = None
    """Persistent storage; unset: an emptyDir."""
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """Resource requests and limits."""
    remote_write: list[RemoteWrite] = Field(
        default_factory=list,
        max_length=MAX_REMOTE_WRITES,
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    # a name is optional, so the list cannot be a map keyed by it
                    "rule": "self.all(x, !has(x.name)"
                    " || self.filter(y, has(y.name) && y.name == x.name).size() == 1)",
                    "message": "remoteWrite names must be unique",
                }
            ]
        },
    )
    """Endpoints every sample is also sent to (Prometheus remote write). Default: none."""
    scrape: list[ScrapeTarget] = Field(default_factory=list, json_schema_extra=LIST_MAP_BY_NAME)
    """Scrape jobs of the stack, each with a unique name; augur adds the jobs of its own
    programs. Default: none."""
    additional_scrape_configs: SecretRef | None = None
    """Raw scrape_configs appended to the generated ones (escape hatch)."""
    pod: PodSettings = Field(default_factory=PodSettings)
    """Pod placement and metadata."""
    ingress: Ingress | None = None
    """An Ingress exposing Prometheus' web UI; unset: none (in-cluster Service only)."""

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
    """Run Alertmanager (default true); without it alerts notify nobody."""
    image: str | None = None
    """Container image; default: the pinned quay.io/prometheus/alertmanager:v0.28.1."""
    replicas: int = Field(default=1, ge=0, le=10)
    """Replicas; 2 or more form a gossip cluster."""
    storage: Storage | None = None
    """Persistent storage for silences and notification state; unset: an emptyDir."""
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """Resource requests and limits."""
    route: AlertmanagerRoute = Field(default_factory=AlertmanagerRoute)
    """Grouping and timing of the top-level route (groupBy, groupWait, groupInterval,
    repeatInterval), inherited by every policy's subtree."""
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
    """An Ingress exposing Alertmanager's web UI; unset: none (in-cluster Service only)."""

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
    """Database engine: postgres (default) or mysql."""
    host: str = Field(min_length=1)
    """The database server as host:port, e.g. postgres.db.svc:5432."""
    name: str = Field(min_length=1)
    """Name of the database Grafana uses (it creates its tables there)."""
    user: str = Field(min_length=1)
    """User Grafana connects to the database as."""
    password: SecretRef
    """The database user's password, from a Secret in the stack's namespace."""
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
    """Run Grafana (default true) with the stack's datasources and dashboards."""
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
    """Which dashboards Grafana gets: augur's built-in ones and user dashboards from ConfigMaps;
    default both."""
    storage: Storage | None = None
    """Persistent storage for the SQLite database; unset: an emptyDir."""
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    """Resource requests and limits."""
    pod: PodSettings = Field(default_factory=PodSettings)
    """Pod placement and metadata."""
    ingress: Ingress | None = None
    """An Ingress exposing Grafana; unset: none (in-cluster Service only)."""

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
    """Elasticsearch URL (http or https), for type elasticsearch only."""
    username: str | None = None
    """Elasticsearch user name, for type elasticsearch only; unset: no authentication."""
    password: SecretRef | None = None
    """Elasticsearch password, from a Secret, for type elasticsearch only."""
    size: str = Field(default="10Gi", pattern=r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti)?$")
    """Volume size for badger."""
    storage_class_name: str | None = None
    """StorageClass of the badger volume; unset: the cluster's default class."""
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
    """Run Jaeger (default true) to receive and store traces."""
    image: str | None = None
    """Container image; default: the pinned docker.io/jaegertracing/jaeger:2.8.0."""
    storage: JaegerStorage = Field(default_factory=JaegerStorage)
    """Where Jaeger keeps traces; default memory (lost on restart)."""
    otlp: JaegerOTLP = Field(default_factory=JaegerOTLP)
    """The OTLP receivers applications send traces to (gRPC 4317, HTTP 4318); default both."""
    sampling: JaegerSampling = Field(default_factory=JaegerSampling)
    """Sampling strategy Jaeger serves to SDKs that ask for one."""
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


class PrometheusOperatorObjects(ApiModel):
    """prometheus-operator's objects (`monitoring.coreos.com` ServiceMonitors, PodMonitors and
    PrometheusRules) the stack loads, with the meaning prometheus-operator gives them. In a
    cluster they are read only where their CRDs are installed (their absence is no error);
    `augur render` and `validate` read them from the input files. Under tenancy they are
    held to their namespace as AlertPolicies are: a monitor's own namespaceSelector is
    ignored, honorLabels is off, and file paths (bearerTokenFile, TLS files) are refused."""

    enabled: bool = False
    """Load prometheus-operator's objects. Default false."""
    namespace_selector: NamespaceSelector | None = None
    """Namespaces they come from; default: the namespaces the stack takes policies from."""
    selector: LabelSelector = Field(default_factory=LabelSelector)
    """Labels of the objects loaded; empty: all in the selected namespaces."""


class MonitoringStackSpec(ApiModel):
    """A whole observability stack."""

    policy_selector: LabelSelector = Field(default_factory=LabelSelector)
    """Labels of the AlertPolicies, BusinessKPIs and ScalingPolicies loaded; empty: all."""
    namespace_selector: NamespaceSelector = Field(default_factory=NamespaceSelector)
    """Namespaces the policies come from; default: the stack's own."""
    tenancy: Tenancy = Field(default_factory=Tenancy)
    """Isolation of other namespaces' policies."""
    prometheus: PrometheusSpec = Field(default_factory=PrometheusSpec)
    """The stack's Prometheus: scraping, rules, storage and retention; runs by default."""
    alertmanager: AlertmanagerSpec = Field(default_factory=AlertmanagerSpec)
    """The stack's Alertmanager: receivers and routing of every selected policy; runs by
    default."""
    grafana: GrafanaSpec = Field(default_factory=GrafanaSpec)
    """The stack's Grafana with its datasources and dashboards; runs by default."""
    jaeger: JaegerSpec = Field(default_factory=JaegerSpec)
    """The stack's Jaeger for traces; runs by default."""
    network_policy: NetworkPolicySpec = Field(default_factory=NetworkPolicySpec)
    """NetworkPolicies that allow only the traffic between the stack's programs (and to their
    UIs); off by default."""
    prometheus_operator_objects: PrometheusOperatorObjects = Field(
        default_factory=PrometheusOperatorObjects
    )
    """ServiceMonitors, PodMonitors and PrometheusRules of prometheus-operator the stack loads;
    off by default."""
    cluster_monitoring: ClusterMonitoring = Field(default_factory=ClusterMonitoring)
    """Baseline monitoring of the cluster itself (node-exporter, kube-state-metrics, kubelet,
    cAdvisor, API server, CoreDNS) with augur's alerts and dashboards; off by default."""

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
    """The container image the component runs."""
    config_hash: str | None = None
    """Hash of the configuration last applied."""


class SelectedCounts(ApiModel):
    """What the stack loads."""

    alert_policies: int = 0
    """AlertPolicies selected and accepted."""
    business_kpis: int = Field(default=0, alias="businessKPIs")
    """BusinessKPIs the stack selects."""
    scaling_policies: int = 0
    """ScalingPolicies the stack selects."""
    service_monitors: int = 0
    """prometheus-operator ServiceMonitors selected and accepted."""
    pod_monitors: int = 0
    """prometheus-operator PodMonitors selected and accepted."""
    prometheus_rules: int = 0
    """prometheus-operator PrometheusRules selected and accepted."""
    rules: int = 0
    """Prometheus rules rendered from everything the stack loads."""
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
    """Ready (every component ready), Reconciled (the objects match the spec) and Degraded
    (something selected is not loaded, or a Secret is missing)."""
    components: dict[str, ComponentStatus] = Field(default_factory=dict)
    """Per component: prometheus, alertmanager, grafana, jaeger."""
    selected: SelectedCounts | None = None
    """Counts of what the stack loads."""
    rule_shards: RuleShardsStatus | None = None
    """Prometheus' rule ConfigMaps: how many, how full (absent without Prometheus)."""
    endpoints: dict[str, str] = Field(default_factory=dict)
    """In-cluster URLs of the components."""
