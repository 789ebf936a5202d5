"""Prometheus relabelling (`relabel_config`), checked as Prometheus 3.5 checks it.

One model serves a MonitoringStack's scrape entries and prometheus-operator's monitors (their
field names are the same). Prometheus refuses a configuration whose rule lacks the target
label its action writes, a hashmod without modulus, a `replacement` on the actions that take
none, any field but `sourceLabels`/`targetLabel` on keepequal/dropequal and any but `regex`
on labeldrop/labelkeep (model/relabel/relabel.go, `Config.Validate`); a regex must be RE2.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from augur.api.common import LABEL_NAME_PATTERN, ApiModel
from augur.api.regex import regex_problem

RelabelAction = Literal[
    "replace",
    "keep",
    "drop",
    "hashmod",
    "labelmap",
    "labeldrop",
    "labelkeep",
    "lowercase",
    "uppercase",
    "keepequal",
    "dropequal",
]

_ACTIONS: dict[str, str] = {
    **{a: a for a in get_args(RelabelAction)},
    "Replace": "replace",
    "Keep": "keep",
    "Drop": "drop",
    "HashMod": "hashmod",
    "LabelMap": "labelmap",
    "LabelDrop": "labeldrop",
    "LabelKeep": "labelkeep",
    "Lowercase": "lowercase",
    "Uppercase": "uppercase",
    "KeepEqual": "keepequal",
    "DropEqual": "dropequal",
}
"""The spellings accepted (prometheus-operator's CRD allows both), to the one Prometheus reads."""

WRITES_TARGET = frozenset(
    {"replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal"}
)
"""Actions that need a targetLabel."""
NO_REPLACEMENT = frozenset({"lowercase", "uppercase", "keepequal", "dropequal"})
"""Actions that take no replacement."""

# a label name in which `$1`, `${1}` or `${name}` may stand for parts of it
_REF = r"(\$[0-9]+|\$\{[a-zA-Z0-9_]+\}|\$[a-zA-Z_][a-zA-Z0-9_]*)"
_TEMPLATED_LABEL = re.compile(rf"^([a-zA-Z_]|{_REF})([a-zA-Z0-9_]|{_REF})*$")


def _check_regex(value: str) -> str:
    problem = regex_problem(value, prometheus=True)
    if problem is not None:
        raise ValueError(problem)
    return value


RelabelRegex = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_check_regex)]
"""An RE2 regular expression, anchored at both ends by Prometheus."""

SourceLabel = Annotated[str, StringConstraints(pattern=LABEL_NAME_PATTERN, max_length=256)]


class RelabelConfig(ApiModel):
    """One relabelling rule, as Prometheus' relabel_config (the action's lower-case or
    prometheus-operator's CamelCase spelling, e.g. `labelmap` or `LabelMap`)."""

    source_labels: list[SourceLabel] = Field(default_factory=list, max_length=64)
    """Labels whose values, joined by separator, are matched against regex."""
    separator: str | None = Field(default=None, max_length=64)
    """What joins the source labels' values; default `;`."""
    target_label: str | None = Field(default=None, max_length=256)
    """The label written (replace, hashmod, lowercase, uppercase) or compared (keepequal,
    dropequal); replace may use `$1`-style references to the regex's groups."""
    regex: RelabelRegex | None = None
    """RE2 regular expression matched against the joined values (anchored); default `(.*)`."""
    modulus: int | None = Field(default=None, ge=1)
    """For hashmod: the modulus taken of the hash of the joined values."""
    replacement: str | None = Field(default=None, max_length=4096)
    """What replace writes (`$1`-style references to the regex's groups); default `$1`."""
    action: str = "replace"
    """replace (default), keep, drop, hashmod, labelmap, labeldrop, labelkeep, lowercase,
    uppercase, keepequal or dropequal."""

    @property
    def prometheus_action(self) -> str:
        """The action as Prometheus spells it."""
        return _ACTIONS[self.action]

    @model_validator(mode="after")
    def _as_prometheus_validates(self) -> RelabelConfig:
        if self.action not in _ACTIONS:
            raise ValueError(
                f"unknown relabel action {self.action!r}: one of {', '.join(get_args(RelabelAction))}"
            )
        action = self.prometheus_action
        if action == "hashmod" and self.modulus is None:
            raise ValueError("action hashmod needs a modulus")
        target = self.target_label
        if action in WRITES_TARGET and not target:
            raise ValueError(f"action {action} needs a targetLabel")
        if target:
            pattern_ok = (
                _TEMPLATED_LABEL.fullmatch(target)
                if action == "replace"
                else re.fullmatch(LABEL_NAME_PATTERN, target)
            )
            if not pattern_ok:
                raise ValueError(f"targetLabel {target!r} is not a label name")
        if action in NO_REPLACEMENT and self.replacement not in (None, "$1"):
            raise ValueError(f"action {action} takes no replacement")
        if action == "labelmap":
            replacement = self.replacement if self.replacement is not None else "$1"
            if not replacement or not _TEMPLATED_LABEL.fullmatch(replacement):
                raise ValueError(f"labelmap's replacement {replacement!r} is not a label name")
        if action in ("keepequal", "dropequal") and (
            self.regex is not None or self.separator not in (None, ";")
        ):
            raise ValueError(f"action {action} takes only sourceLabels and targetLabel")
        if action in ("labeldrop", "labelkeep") and (
            self.source_labels
            or target
            or self.separator not in (None, ";")
            or self.replacement not in (None, "$1")
        ):
            raise ValueError(f"action {action} takes only regex")
        return self

    def to_prometheus(self) -> dict[str, Any]:
        """The rule as Prometheus' relabel_config, with only the fields set (as
        prometheus-operator's generateRelabelConfig writes them)."""
        rule: dict[str, Any] = {}
        if self.source_labels:
            rule["source_labels"] = list(self.source_labels)
        if self.separator is not None:
            rule["separator"] = self.separator
        if self.target_label:
            rule["target_label"] = self.target_label
        if self.regex is not None and self.regex != "":
            rule["regex"] = self.regex
        if self.modulus is not None:
            rule["modulus"] = self.modulus
        if self.replacement is not None:
            rule["replacement"] = self.replacement
        rule["action"] = self.prometheus_action
        return rule


_REFERENCE = re.compile(r"\$(?:[0-9]+|\{[a-zA-Z0-9_]+\}|[a-zA-Z_][a-zA-Z0-9_]*)")


def _template_may_be(template: str, label: str) -> bool:
    """True when `template` (with `$1`-style references to anything) may expand to `label`."""
    literals = _REFERENCE.split(template)
    pattern = ".*".join(re.escape(part) for part in literals)
    return re.fullmatch(pattern, label, re.DOTALL) is not None


def sets_label(rule: RelabelConfig, label: str) -> bool:
    """True when `rule` may give `label` a value of its choosing (replace, hashmod,
    lowercase, uppercase into a target label that is, or may expand to, `label`)."""
    if rule.prometheus_action not in ("replace", "hashmod", "lowercase", "uppercase"):
        return False
    return _template_may_be(rule.target_label or "", label)


def may_write(rule: RelabelConfig, label: str) -> bool:
    """True when `rule` may set, change or remove `label` (for rules a tenant writes, which
    must leave the label tenancy is enforced with alone)."""
    action = rule.prometheus_action
    if action in ("replace", "hashmod", "lowercase", "uppercase"):
        return _template_may_be(rule.target_label or "", label)
    if action == "labelmap":
        replacement = rule.replacement if rule.replacement is not None else "$1"
        return _template_may_be(replacement, label)
    if action in ("labeldrop", "labelkeep"):
        regex = rule.regex if rule.regex is not None else "(.*)"
        try:
            matched = re.fullmatch(f"(?s:{regex})", label) is not None
        except re.error:
            return True  # RE2 syntax Python does not read: assume the worst
        return matched if action == "labeldrop" else not matched
    return False
