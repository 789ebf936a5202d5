"""The four kinds as whole objects (apiVersion, kind, metadata, spec) and parsing of documents."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from augur.api.alertpolicy import AlertPolicySpec, AlertPolicyStatus
from augur.api.bounds import shape_problem
from augur.api.businesskpi import BusinessKPISpec, BusinessKPIStatus
from augur.api.common import API_VERSION, CHECKED_BEFORE, GROUP, ApiModel
from augur.api.messages import problem_message
from augur.api.monitoringstack import MonitoringStackSpec, MonitoringStackStatus
from augur.api.names import (
    namespace_name_problem,
    object_name_problem,
    rule_source_name_problem,
    stack_name_problem,
)
from augur.api.scalingpolicy import ScalingPolicySpec, ScalingPolicyStatus

SpecT = TypeVar("SpecT", bound=ApiModel)


def _object_name(value: str) -> str:
    problem = object_name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _namespace_name(value: str) -> str:
    problem = namespace_name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class ObjectMeta(BaseModel):
    """The parts of Kubernetes object metadata augur reads; name and namespace checked as the
    API server checks them (they become file names and object names)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: Annotated[str, Field(min_length=1), AfterValidator(_object_name)]
    namespace: Annotated[
        str, BeforeValidator(lambda value: value or "default"), AfterValidator(_namespace_name)
    ] = "default"
    """Empty or unset: `default` (for `kubectl apply`, the current context's namespace)."""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    generation: int | None = None
    uid: str | None = None


class Identified:
    """What every namespaced object augur reads (its own kinds and prometheus-operator's) is
    known by: its key, name and namespace, from `metadata`. (A mixin: each model declares
    its `metadata` field where its fields are ordered.)"""

    if TYPE_CHECKING:
        metadata: ObjectMeta

    @property
    def key(self) -> str:
        """namespace/name (interned: the stores keep one string per object, however often
        a render asks)."""
        return sys.intern(f"{self.metadata.namespace}/{self.metadata.name}")

    @property
    def name(self) -> str:
        """The object's name."""
        return self.metadata.name

    @property
    def namespace(self) -> str:
        """The object's namespace."""
        return self.metadata.namespace


class Resource(Identified, BaseModel, Generic[SpecT]):
    """An augur object: its identity and its validated spec."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    kind_name: ClassVar[str]
    plural: ClassVar[str]
    short_name: ClassVar[str]
    spec_model: ClassVar[type[ApiModel]]
    status_model: ClassVar[type[ApiModel]]

    api_version: str = Field(alias="apiVersion")
    kind: str
    metadata: ObjectMeta
    spec: SpecT

    def name_problem(self) -> str | None:
        """Why this kind may not carry its name, beyond Kubernetes' own rules (None: it may)."""
        return None


class MonitoringStack(Resource[MonitoringStackSpec]):
    """MonitoringStack runs Prometheus, Alertmanager, Grafana and Jaeger, deployed and configured,
    and loads the AlertPolicies, BusinessKPIs and ScalingPolicies it selects."""

    kind_name = "MonitoringStack"
    plural = "monitoringstacks"
    short_name = "mstack"
    spec_model = MonitoringStackSpec
    status_model = MonitoringStackStatus

    def name_problem(self) -> str | None:
        """A stack's name begins its Services' and StatefulSets' names."""
        return stack_name_problem(self.name)


class AlertPolicy(Resource[AlertPolicySpec]):
    """AlertPolicy declares alerts (static and anomaly-based), their routing, escalation,
    receivers, inhibition, mute windows and rule tests; every stack selecting it loads them."""

    kind_name = "AlertPolicy"
    plural = "alertpolicies"
    short_name = "apol"
    spec_model = AlertPolicySpec
    status_model = AlertPolicyStatus

    def name_problem(self) -> str | None:
        """The name is part of its rule file's name."""
        return rule_source_name_problem(self.namespace, self.name)


class BusinessKPI(Resource[BusinessKPISpec]):
    """BusinessKPI is a KPI as PromQL with a target over a window: recording rules, burn-rate
    and breach alerts, a dashboard, and its live value in status."""

    kind_name = "BusinessKPI"
    plural = "businesskpis"
    short_name = "kpi"
    spec_model = BusinessKPISpec
    status_model = BusinessKPIStatus

    def name_problem(self) -> str | None:
        """The name is part of its rule file's name."""
        return rule_source_name_problem(self.namespace, self.name)


class ScalingPolicy(Resource[ScalingPolicySpec]):
    """ScalingPolicy forecasts a workload's load and recommends replicas; in mode apply it
    raises the HPA's minReplicas ahead of predicted load."""

    kind_name = "ScalingPolicy"
    plural = "scalingpolicies"
    short_name = "spol"
    spec_model = ScalingPolicySpec
    status_model = ScalingPolicyStatus


AnyResource = MonitoringStack | AlertPolicy | BusinessKPI | ScalingPolicy
KINDS: dict[str, type[Resource[Any]]] = {
    cls.kind_name: cls for cls in (MonitoringStack, AlertPolicy, BusinessKPI, ScalingPolicy)
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an object: where (a field path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InvalidObject(ValueError):
    """An augur object that does not validate; carries every problem found."""

    def __init__(self, kind: str, namespace: str, name: str, problems: list[Problem]) -> None:
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.problems = problems
        super().__init__(
            f"{kind}/{namespace}/{name}: " + "; ".join(str(problem) for problem in problems)
        )


def is_augur_document(doc: Any) -> bool:
    """True when `doc` is an object of one of augur's kinds (by apiVersion group)."""
    if not isinstance(doc, dict):
        return False
    api_version = str(doc.get("apiVersion", ""))
    return api_version.split("/")[0] == GROUP


def format_location(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path: ("spec", "alerts", 0, "expr") -> spec.alerts[0].expr."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith("function-after[") or part in ("str", "dict[str,str]"):
            continue
        else:
            path += f".{part}" if path else part
    return path


def problems_from(error: ValidationError, model: type[BaseModel] | None = None) -> list[Problem]:
    """Readable problems from a pydantic ValidationError of `model` (worded by
    `augur.api.messages`; `model` makes unknown-field suggestions possible)."""
    return [
        Problem(format_location(tuple(item["loc"])), problem_message(item, model))
        for item in error.errors(include_url=False)
    ]


def parse_resource(doc: dict[str, Any], *, checked_before: bool = False) -> AnyResource:
    """Validate one document of an augur kind; raise InvalidObject naming every field at fault.
    A document beyond `augur.api.bounds` (too deep, too many values) is refused before its
    fields are read. `checked_before`: the document passed this very validation before (it is
    parsed again from what was kept of it), so its PromQL is not checked again."""
    kind = str(doc.get("kind", ""))
    meta = doc.get("metadata") or {}
    name = str(meta.get("name", "<unnamed>")) if isinstance(meta, dict) else "<unnamed>"
    namespace = str(meta.get("namespace") or "default") if isinstance(meta, dict) else "default"
    if doc.get("apiVersion") != API_VERSION:
        raise InvalidObject(
            kind or "?",
            namespace,
            name,
            [Problem("apiVersion", f"{doc.get('apiVersion')!r} is not {API_VERSION}")],
        )
    cls = KINDS.get(kind)
    if cls is None:
        raise InvalidObject(
            kind or "?", namespace, name, [Problem("kind", f"unknown kind; one of {sorted(KINDS)}")]
        )
    body = {key: value for key, value in doc.items() if key != "status"}
    shape = shape_problem(body)
    if shape is not None:
        raise InvalidObject(kind, namespace, name, [Problem(*shape)])
    body.setdefault("spec", {})
    try:
        resource = cls.model_validate(
            body, context={CHECKED_BEFORE: True} if checked_before else None
        )
    except ValidationError as error:
        raise InvalidObject(kind, namespace, name, problems_from(error, cls)) from None
    problem = resource.name_problem()
    if problem is not None:
        raise InvalidObject(kind, namespace, name, [Problem("metadata.name", problem)])
    return resource  # type: ignore[return-value]
