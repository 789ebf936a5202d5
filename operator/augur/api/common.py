"""Types shared by the four kinds: the base model, durations, quantities, selectors, conditions.

Durations are defined in `augur.api.durations` and re-exported here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic.alias_generators import to_camel

from augur.api.durations import DURATION_MEANING, DURATION_PATTERN
from augur.api.durations import Duration as Duration
from augur.api.durations import PositiveDuration as PositiveDuration
from augur.api.durations import duration_seconds as duration_seconds
from augur.api.durations import format_duration as format_duration
from augur.api.promql import PromQLError, check_promql, check_rule_expression
from augur.api.templates import PROMETHEUS, template_problem

GROUP = "augur.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"


class ApiModel(BaseModel):
    """Base of every spec model: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_attribute_docstrings=True,
        validate_default=False,
    )

    def to_wire(self) -> dict[str, Any]:
        """The object as it appears in a CR: camelCase, without unset optional fields."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def cel(*rules: tuple[str, str]) -> ConfigDict:
    """Model config adding CEL rules (x-kubernetes-validations) to the generated CRD schema.

    Each rule mirrors a pydantic validator of the same model, so the API server refuses what
    `augur validate` refuses, as far as CEL can say it.
    """
    return ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [{"rule": rule, "message": msg} for rule, msg in rules]
        }
    )


# -- quantities and sizes -------------------------------------------------------------------

QUANTITY_PATTERN = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$"
Quantity = Annotated[str, StringConstraints(pattern=QUANTITY_PATTERN, max_length=32)]
"""A Kubernetes quantity such as `20Gi` or `500m`."""

SIZE_PATTERN = r"^([0-9]+(B|KB|MB|GB|TB|PB|EB))?$"
ByteSize = Annotated[str, StringConstraints(pattern=SIZE_PATTERN, max_length=32)]
"""A Prometheus byte size such as `50GB` (empty: no limit)."""

# -- names ----------------------------------------------------------------------------------

LABEL_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
LabelName = Annotated[str, StringConstraints(pattern=LABEL_NAME_PATTERN, max_length=128)]
"""A Prometheus label name."""

DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
ObjectName = Annotated[
    str, StringConstraints(pattern=DNS_SUBDOMAIN_PATTERN, min_length=1, max_length=253)
]
"""A Kubernetes object name (DNS subdomain)."""

ALERT_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
AlertName = Annotated[str, StringConstraints(pattern=ALERT_NAME_PATTERN, max_length=128)]
"""An alert name: a valid Prometheus metric name without colons (e.g. `HighErrorRate`)."""

ItemName = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$", max_length=128)
]
"""A name of an item inside a CR (receiver, time interval, test)."""

PATTERN_MEANINGS = {
    DURATION_PATTERN: DURATION_MEANING,
    QUANTITY_PATTERN: "a Kubernetes quantity (like 500m, 2Gi, 20Gi)",
    SIZE_PATTERN: "a byte size (like 512MB, 50GB)",
    LABEL_NAME_PATTERN: "a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)",
    DNS_SUBDOMAIN_PATTERN: "a Kubernetes name (lower-case letters, digits, '-' and '.')",
    ALERT_NAME_PATTERN: "an alert name ([a-zA-Z_][a-zA-Z0-9_]*)",
}
"""What each pattern means, for error messages a person can read."""

RESERVED_LABELS = frozenset(
    {
        "namespace",
        "severity",
        "augur_policy",
        "augur_kpi",
        "augur_escalated",
        "augur_escalated_from",
    }
)


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    for name in labels:
        if not re.fullmatch(LABEL_NAME_PATTERN, name):
            raise ValueError(f"{name!r} is not a valid Prometheus label name")
        if name in RESERVED_LABELS:
            raise ValueError(
                f"label {name!r} is reserved: augur sets {', '.join(sorted(RESERVED_LABELS))}"
            )
    return _check_alert_templates(labels)


def _check_alert_template(text: str) -> str:
    problem = template_problem(text, PROMETHEUS)
    if problem is not None:
        raise ValueError(problem)
    return text


def _check_alert_templates(texts: dict[str, str]) -> dict[str, str]:
    for name, text in texts.items():
        problem = template_problem(text, PROMETHEUS)
        if problem is not None:
            raise ValueError(f"{name}: {problem}")
    return texts


UserLabels = Annotated[dict[str, str], AfterValidator(_check_labels)]
"""Labels added to alerts; the reserved labels (namespace, severity, augur_*) are refused.
Values are Prometheus templates and must parse."""

AlertTemplate = Annotated[str, AfterValidator(_check_alert_template)]
"""Text of an alert that Prometheus expands as a Go template ($labels, $value, ...)."""

AlertAnnotations = Annotated[dict[str, str], AfterValidator(_check_alert_templates)]
"""An alert's annotations: Prometheus templates that must parse."""


def _check_label_names(labels: dict[str, str]) -> dict[str, str]:
    for name in labels:
        if not re.fullmatch(LABEL_NAME_PATTERN, name):
            raise ValueError(f"{name!r} is not a valid Prometheus label name")
    return labels


PromLabels = Annotated[dict[str, str], AfterValidator(_check_label_names)]
"""A set of Prometheus labels."""


def _check_group_by(labels: list[str]) -> list[str]:
    for label in labels:
        if label != "..." and not re.fullmatch(LABEL_NAME_PATTERN, label):
            raise ValueError(f"{label!r} is not a label name (or '...' for every label)")
    # Alertmanager refuses both in a route's group_by
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValueError(f"label(s) {', '.join(repeated)} repeated")
    if "..." in labels and len(labels) > 1:
        raise ValueError("'...' (every label) takes no other label beside it")
    return labels


GroupBy = Annotated[list[str], AfterValidator(_check_group_by)]
"""Labels Alertmanager groups notifications by; `...` groups by every label."""

# -- URLs -----------------------------------------------------------------------------------


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


HttpURL = Annotated[
    str, StringConstraints(pattern=r"^https?://", max_length=2048), AfterValidator(_check_url)
]
"""An absolute http or https URL."""

# -- PromQL ---------------------------------------------------------------------------------


CHECKED_BEFORE = "augur.dev/checked-before"
"""Key of the validation context for a document this very code validated before (parsed again
from what was kept of it): its expressions are not checked again, the most costly part of a
parse."""


def _checked_before(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get(CHECKED_BEFORE))


def _check_promql(value: str, info: ValidationInfo) -> str:
    if _checked_before(info):
        return value
    try:
        check_promql(value)
    except PromQLError as error:
        raise ValueError(str(error)) from None
    return value


PromQL = Annotated[
    str, StringConstraints(min_length=1, max_length=16384), AfterValidator(_check_promql)
]
"""A PromQL expression; it must parse."""


def _check_rule_expression(value: str, info: ValidationInfo) -> str:
    if _checked_before(info):
        return value
    try:
        check_rule_expression(value)
    except PromQLError as error:
        raise ValueError(str(error)) from None
    return value


RulePromQL = Annotated[
    str, StringConstraints(min_length=1, max_length=16384), AfterValidator(_check_rule_expression)
]
"""A PromQL expression Prometheus evaluates as a rule: it must parse, and its value must be an
instant vector or a scalar."""

PromQLTemplate = Annotated[str, StringConstraints(min_length=1, max_length=16384)]
"""A PromQL expression with a `{{window}}` placeholder, checked after substitution."""

# -- severities -----------------------------------------------------------------------------

Severity = Literal["critical", "high", "medium", "warning", "low", "info"]
SEVERITY_RANK: dict[str, int] = {
    "critical": 5,
    "high": 4,
    "medium": 3,
    "warning": 3,
    "low": 2,
    "info": 1,
}

# -- references and selectors ---------------------------------------------------------------


class SecretKeySelector(ApiModel):
    """A key of a Secret in the same namespace as the object that references it."""

    name: ObjectName
    """Name of the Secret."""
    key: Annotated[str, StringConstraints(pattern=r"^[-._a-zA-Z0-9]+$", max_length=253)]
    """Key within the Secret."""


class SecretRef(ApiModel):
    """A reference to a Secret key; secrets are never inlined in a CR."""

    secret_key_ref: SecretKeySelector
    """The Secret and key holding the value."""


class LabelSelectorRequirement(ApiModel):
    """One requirement of a label selector."""

    key: str
    """The label key the requirement applies to."""
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    """How the key relates to the values."""
    values: list[str] = Field(default_factory=list)
    """Values for In and NotIn; empty for Exists and DoesNotExist."""

    @model_validator(mode="after")
    def _values_match_operator(self) -> LabelSelectorRequirement:
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"operator {self.operator} needs at least one value")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"operator {self.operator} takes no values")
        return self


class LabelSelector(ApiModel):
    """A Kubernetes label selector; empty selects everything."""

    match_labels: dict[str, str] = Field(default_factory=dict)
    """Labels that must all be present with these values."""
    match_expressions: list[LabelSelectorRequirement] = Field(default_factory=list)
    """Set-based requirements, all of which must hold."""

    def matches(self, labels: dict[str, str]) -> bool:
        """True when `labels` satisfy every part of this selector."""
        for key, value in self.match_labels.items():
            if labels.get(key) != value:
                return False
        for req in self.match_expressions:
            present = req.key in labels
            if req.operator == "In" and not (present and labels[req.key] in req.values):
                return False
            if req.operator == "NotIn" and present and labels[req.key] in req.values:
                return False
            if req.operator == "Exists" and not present:
                return False
            if req.operator == "DoesNotExist" and present:
                return False
        return True


CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
"""What Kubernetes accepts as a condition's reason (metav1.Condition): a CamelCase word."""

ConditionStatus = Literal["True", "False", "Unknown"]

LIST_MAP_BY_TYPE: dict[str, Any] = {
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
}
"""Conditions form a map by type: server-side apply merges them entry by entry."""


@dataclass(frozen=True)
class Cond:
    """A condition as decided, before it is merged into status (which adds the
    transition time and the observed generation)."""

    type: str
    status: ConditionStatus
    reason: str
    message: str = ""


class Condition(ApiModel):
    """A status condition in the shape of Kubernetes' metav1.Condition."""

    type: str = Field(min_length=1, max_length=316)
    """Type of the condition in CamelCase, e.g. Ready; one entry per type."""
    status: ConditionStatus
    """Whether the condition holds: True, False or Unknown (not yet decided)."""
    observed_generation: int | None = Field(default=None, ge=0)
    """The metadata.generation of the spec this condition describes; older than the
    object's generation means the condition is out of date."""
    last_transition_time: str = Field(json_schema_extra={"format": "date-time"})
    """When the status last changed from one value to another (RFC 3339); a change of
    reason or message alone keeps it."""
    reason: str = Field(min_length=1, max_length=1024, pattern=CONDITION_REASON_PATTERN)
    """Why the condition has its status: one CamelCase word a program can match on, e.g.
    AllComponentsReady or SecretMissing."""
    message: str = Field(max_length=32768)
    """Details for a person (may be empty)."""
