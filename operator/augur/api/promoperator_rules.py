"""prometheus-operator's PrometheusRule (`monitoring.coreos.com/v1`), as a stack loads it.

The fields are prometheus-operator's (v0.85.0, `pkg/apis/monitoring/v1/prometheusrule_types.go`),
written as it writes them: snake_case where Prometheus' rule files are (`keep_firing_for`,
`query_offset`, `partial_response_strategy`), `expr` a string or a whole number. What
prometheus-operator checks before it writes a rule file (`pkg/operator/rules.go:ValidateRule`,
Prometheus' `rulefmt`) is checked here, in the domain's words and at the field at fault:
exactly one of `record` and `alert`, a recording rule's name a metric name, no `for`,
`keep_firing_for` or `annotations` on a recording rule, label names (`__name__` refused),
alert templates that Go's text/template would refuse, unique group names. The expression
must be PromQL that Prometheus 3.5 evaluates as a rule (an instant vector or a scalar).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from augur.api.bounds import shape_problem
from augur.api.common import LABEL_NAME_PATTERN
from augur.api.durations import Duration
from augur.api.names import RULE_FILE_KEY_MAX
from augur.api.promql import PromQLError, check_rule_expression
from augur.api.resources import Identified, InvalidObject, ObjectMeta, Problem, problems_from
from augur.api.templates import PROMETHEUS, template_problem

PO_GROUP = "monitoring.coreos.com"
PO_API_VERSION = f"{PO_GROUP}/v1"
KIND = "PrometheusRule"

METRIC_NAME_PATTERN = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
PROMRULE_FILE_PREFIX = "promrule__"
"""A PrometheusRule's rule file is `promrule__<namespace>__<name>.yaml`."""
RESERVED_PREFIX = "augur_"
"""Labels augur routes alerts by (`augur_policy`, `augur_kpi`, …): a PrometheusRule's alerts
never carry them, so they never take an AlertPolicy's route."""


class PoModel(BaseModel):
    """Base of prometheus-operator's structures: field names as written, unknown fields
    refused (the API server prunes them silently; offline they are most likely typos)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", use_attribute_docstrings=True)


def _blank_is_unset(value: Any) -> Any:
    """prometheus-operator drops an empty duration (`ValidateRule`): so does augur."""
    return None if value == "" else value


OptionalDuration = Annotated[Duration | None, BeforeValidator(_blank_is_unset)]


def _check_label_names(labels: dict[str, str]) -> dict[str, str]:
    for name in labels:
        if not re.fullmatch(LABEL_NAME_PATTERN, name) or name == "__name__":
            raise ValueError(f"{name!r} is not a label name a rule may set")
        if name.startswith(RESERVED_PREFIX):
            raise ValueError(
                f"label {name!r} is reserved: augur routes alerts by the {RESERVED_PREFIX}* labels"
            )
    return labels


RuleLabels = Annotated[dict[str, str], AfterValidator(_check_label_names)]


def _expression(value: Any) -> Any:
    """`expr` is an int-or-string (Kubernetes' IntOrString): a whole number is its digits."""
    if isinstance(value, bool):
        raise ValueError("must be a PromQL expression (a string), not true or false")
    if isinstance(value, int):
        return str(value)
    return value


def _check_expression(value: str) -> str:
    try:
        check_rule_expression(value)
    except PromQLError as error:
        raise ValueError(str(error)) from None
    return value


Expression = Annotated[
    str,
    BeforeValidator(_expression),
    StringConstraints(min_length=1, max_length=16384),
    AfterValidator(_check_expression),
]


def _check_record(value: str) -> str:
    if not re.fullmatch(METRIC_NAME_PATTERN, value):
        raise ValueError(
            f"{value!r} is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*): a recording rule's "
            "name is the name of the series it writes"
        )
    return value


RecordName = Annotated[
    str, StringConstraints(min_length=1, max_length=256), AfterValidator(_check_record)
]


class PrometheusRuleRule(PoModel):
    """An alerting rule (`alert`) or a recording rule (`record`)."""

    record: RecordName | None = None
    """Name of the series a recording rule writes: a metric name."""
    alert: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    """Name of an alerting rule's alert."""
    expr: Expression
    """PromQL evaluated as a rule."""
    for_: OptionalDuration = Field(default=None, alias="for")
    """An alerting rule fires once its expression held this long."""
    keep_firing_for: OptionalDuration = None
    """An alerting rule keeps firing this long after its expression stopped holding."""
    labels: RuleLabels = Field(default_factory=dict)
    """Labels added to (or overwriting those of) the rule's result."""
    annotations: dict[str, str] = Field(default_factory=dict)
    """Annotations of an alerting rule's alerts."""

    @model_validator(mode="after")
    def _one_kind(self) -> PrometheusRuleRule:
        if (self.record is None) == (self.alert is None):
            raise ValueError("a rule has exactly one of `record` (a recording rule) and `alert`")
        if self.record is not None:
            for name, present in (
                ("for", self.for_),
                ("keep_firing_for", self.keep_firing_for),
                ("annotations", self.annotations),
            ):
                if present:
                    raise ValueError(f"a recording rule takes no `{name}` (only alerts do)")
            return self
        for where, texts in (("labels", self.labels), ("annotations", self.annotations)):
            for name, text in texts.items():
                problem = template_problem(text, PROMETHEUS)
                if problem is not None:
                    raise ValueError(f"{where}.{name}: {problem}")
        for name in self.annotations:
            if not re.fullmatch(LABEL_NAME_PATTERN, name):
                raise ValueError(f"annotations.{name}: not a valid annotation name")
        return self


class PrometheusRuleGroup(PoModel):
    """A group of rules Prometheus evaluates in order, at one interval."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    """Name of the group, unique in its PrometheusRule."""
    labels: RuleLabels = Field(default_factory=dict)
    """Labels added to the result of every rule of the group (a rule's own labels win)."""
    interval: OptionalDuration = None
    """How often the group is evaluated (default: Prometheus' evaluation interval)."""
    query_offset: OptionalDuration = None
    """Evaluate the group this long in the past."""
    limit: Annotated[int, Field(ge=0)] | None = None
    """Most alerts an alerting rule, or series a recording rule, may produce (0: no limit)."""
    partial_response_strategy: (
        Annotated[str, StringConstraints(pattern=r"^(?i:abort|warn)?$")] | None
    ) = None
    """Thanos Ruler's: ignored by Prometheus, as prometheus-operator ignores it."""
    rules: list[PrometheusRuleRule] = Field(default_factory=list)
    """The rules, evaluated in order."""


class PrometheusRuleSpec(PoModel):
    """The rule groups of a PrometheusRule."""

    groups: list[PrometheusRuleGroup] = Field(default_factory=list)
    """Rule groups; their names are unique."""

    @field_validator("groups")
    @classmethod
    def _unique_names(cls, groups: list[PrometheusRuleGroup]) -> list[PrometheusRuleGroup]:
        names = [group.name for group in groups]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"group name(s) {', '.join(map(repr, repeated))} used twice")
        return groups


def promrule_name_problem(namespace: str, name: str) -> str | None:
    """Why a PrometheusRule in `namespace` may not be called `name` here: its rule file's name
    must stay a valid ConfigMap key (and file name)."""
    extra = len(PROMRULE_FILE_PREFIX) + len("__") + len(".yaml")
    longest = RULE_FILE_KEY_MAX - extra - len(namespace)
    if len(name) > longest:
        return (
            f"in namespace {namespace!r} the name is at most {longest} characters (not "
            f"{len(name)}): its rule file `{PROMRULE_FILE_PREFIX}<namespace>__<name>.yaml` is a "
            f"ConfigMap key of at most {RULE_FILE_KEY_MAX}"
        )
    return None


class PrometheusRule(Identified, BaseModel):
    """A prometheus-operator PrometheusRule: rule groups a stack loads as one rule file."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    kind_name: ClassVar[str] = KIND
    api_version: Literal["monitoring.coreos.com/v1"] = Field(alias="apiVersion")
    kind: Literal["PrometheusRule"]
    metadata: ObjectMeta
    spec: PrometheusRuleSpec


def parse_prometheus_rule(doc: dict[str, Any]) -> PrometheusRule:
    """Validate a PrometheusRule document; raise InvalidObject naming every field at fault."""
    meta = doc.get("metadata") or {}
    name = str(meta.get("name", "<unnamed>")) if isinstance(meta, dict) else "<unnamed>"
    namespace = str(meta.get("namespace") or "default") if isinstance(meta, dict) else "default"
    if doc.get("apiVersion") != PO_API_VERSION:
        wrong = Problem("apiVersion", f"{doc.get('apiVersion')!r} is not {PO_API_VERSION}")
        raise InvalidObject(KIND, namespace, name, [wrong])
    body = {key: value for key, value in doc.items() if key != "status"}
    shape = shape_problem(body)
    if shape is not None:
        raise InvalidObject(KIND, namespace, name, [Problem(*shape)])
    body.setdefault("spec", {})
    try:
        rule = PrometheusRule.model_validate(body)
    except ValidationError as error:
        raise InvalidObject(KIND, namespace, name, problems_from(error, PrometheusRule)) from None
    problem = promrule_name_problem(rule.namespace, rule.name)
    if problem is not None:
        raise InvalidObject(KIND, namespace, name, [Problem("metadata.name", problem)])
    return rule


def enforced_label_problems(rule: PrometheusRule, enforced: str | None) -> list[Problem]:
    """The labels of `rule` that set `namespace` or the label a stack enforces tenancy with
    to another value than the rule's namespace (none when `enforced` is None: the rule is not
    a tenant's). Under tenancy augur sets both to the rule's namespace, as it does for an
    AlertPolicy; prometheus-operator overwrites the enforced label silently, augur refuses a
    rule that names another namespace, so the mistake shows."""
    if enforced is None:
        return []
    found = []
    for g, group in enumerate(rule.spec.groups):
        sets = [(f"spec.groups[{g}].labels", group.labels)]
        sets += [
            (f"spec.groups[{g}].rules[{r}].labels", x.labels) for r, x in enumerate(group.rules)
        ]
        for path, labels in sets:
            for name in dict.fromkeys(("namespace", enforced)):
                value = labels.get(name)
                if value is not None and value != rule.namespace:
                    found.append(
                        Problem(
                            f"{path}.{name}",
                            f"label {name!r} is reserved: under the stack's tenancy augur sets "
                            f"it to this object's namespace ({rule.namespace!r}, not {value!r})",
                        )
                    )
    return found
