"""Reading CRs as a GitOps repository or pipeline holds them, and what is wrong with them.

Every problem is placed at `file:line:column` of the field at fault, so editors and CI
annotations can point at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

import yaml

from augur.api.inventory import Inventory
from augur.api.names import namespace_name_problem
from augur.api.promoperator import (
    PromOperatorObject,
    is_promoperator_document,
    parse_promoperator,
)
from augur.api.promoperator_rules import PrometheusRule
from augur.api.resources import (
    AnyResource,
    InvalidObject,
    MonitoringStack,
    Problem,
    is_augur_document,
    parse_resource,
)
from augur.commands.sources import Document, Position, documents, read_sources
from augur.render.delivery import delivery_warnings
from augur.render.selection import (
    inputs_for,
    promoperator_selects,
    reference_problems,
    stack_selects,
)

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem (or warning) at one place of one object."""

    file: str
    line: int
    column: int
    kind: str
    namespace: str
    name: str
    path: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        # Cluster-scoped objects (a Namespace) have no namespace part.
        scoped = f"{self.namespace}/" if self.namespace else ""
        obj = f" {self.kind}/{scoped}{self.name}" if self.kind else ""
        field_path = f" {self.path}:" if self.path else ""
        level = " warning:" if self.severity == WARNING else ""
        return f"{where}{obj}:{field_path}{level} {self.message}"


@dataclass
class LoadResult:
    """The valid objects of the input, and everything found wrong."""

    inventory: Inventory = field(default_factory=Inventory)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    objects: int = 0
    skipped: int = 0
    origin: dict[str, Document] = field(default_factory=dict)
    """Where each object came from: 'Kind/namespace/name' -> its document."""

    def finding(
        self,
        key: str,
        problem: Problem,
        severity: str = ERROR,
        document: Document | None = None,
        identity: tuple[str, str, str] | None = None,
    ) -> Finding:
        """A finding about the object 'Kind/namespace/name', placed at the problem's field.
        `identity` (kind, namespace, name) is given for an invalid object, whose namespace
        and name may hold any character ('/' too)."""
        kind, namespace, name = identity or key.split("/")
        document = document or self.origin.get(key)
        if document is None:
            return Finding(
                "<input>", 0, 0, kind, namespace, name, problem.path, problem.message, severity
            )
        at = document.position(problem.path)
        return Finding(
            document.source,
            at.line,
            at.column,
            kind,
            namespace,
            name,
            problem.path,
            problem.message,
            severity,
        )


def load(
    paths: Iterable[str], *, exclude: tuple[str, ...] = (), stdin: TextIO | None = None
) -> LoadResult:
    """Parse and validate every augur object, and every prometheus-operator object of a kind
    augur reads (`augur.api.promoperator`), under `paths` (`-` is standard input); other
    objects are skipped, `kind: List` items read one by one. Raises InputError for a path
    that does not exist."""
    result = LoadResult()
    sources, unreadable = read_sources(paths, exclude, stdin)
    for bad in unreadable:
        result.findings.append(Finding(bad.name, 0, 0, "", "", "", "", bad.reason))
    for source in sources:
        found, syntax = documents(source)
        for document in found:
            _read(document, result)
        if syntax is not None:
            at = syntax.position
            result.findings.append(
                Finding(syntax.source, at.line, at.column, "", "", "", "", syntax.message)
            )
    result.inventory.sort()
    for key, problems in reference_problems(result.inventory).items():
        result.findings.extend(result.finding(key, p) for p in problems)
    _add_selection_warnings(result)
    _add_delivery_warnings(result)
    return result


def _read(document: Document, result: LoadResult) -> None:
    doc = document.body
    if doc is None:
        return
    if isinstance(doc, dict) and doc.get("kind") == "Namespace":
        _read_namespace(document, result)
    foreign = is_promoperator_document(doc)
    if not (foreign or is_augur_document(doc)):
        # other kinds, those of monitoring.coreos.com augur does not read among them
        result.skipped += 1
        return
    result.objects += 1
    resource: AnyResource | PromOperatorObject
    try:
        resource = parse_promoperator(doc) if foreign else parse_resource(doc)
    except InvalidObject as error:
        key = f"{error.kind}/{error.namespace}/{error.name}"
        identity = (error.kind, error.namespace, error.name)
        result.findings.extend(
            result.finding(key, p, document=document, identity=identity) for p in error.problems
        )
        return
    key = f"{resource.kind}/{resource.key}"
    first = result.origin.get(key)
    if first is not None:
        at = first.position()
        problem = Problem("metadata.name", f"defined twice (first in {_place(first, at)})")
        result.findings.append(result.finding(key, problem, document=document))
        return
    result.origin[key] = document
    result.inventory.add(resource)
    if not _namespace_given(doc):
        problem = Problem(
            "metadata",
            "no metadata.namespace: checked as namespace `default`, but `kubectl apply` puts "
            "it in the current context's namespace (say which)",
        )
        result.warnings.append(result.finding(key, problem, WARNING, document))


def _read_namespace(document: Document, result: LoadResult) -> None:
    """Keep a Namespace's labels (stacks select namespaces by them), or say what is wrong with
    it where it is written: `kubectl apply` would refuse it too."""
    meta = document.body.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    shown = name if isinstance(name, str) else "<unnamed>"

    def refuse(path: str, message: str) -> None:
        at = document.position(path)
        result.findings.append(
            Finding(document.source, at.line, at.column, "Namespace", "", shown, path, message)
        )

    if not isinstance(meta, dict):
        refuse("metadata", "must be a mapping (name, labels, ...)")
        return
    if not isinstance(name, str) or not name:
        refuse("metadata.name", "a Namespace needs a name")
        return
    problem = namespace_name_problem(name)
    if problem is not None:
        refuse("metadata.name", problem)
        return
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict):
        refuse("metadata.labels", "must be a mapping of label names to string values")
        return
    for key, value in labels.items():
        if not isinstance(key, str):
            refuse("metadata.labels", f"label names are strings, not {_yaml_text(key)}")
            return
        if not isinstance(value, str):
            refuse(
                "metadata.labels",
                f'the value of label {key!r} must be a string: write "{_yaml_text(value)}" '
                "in quotes",
            )
            return
    result.inventory.namespace_labels[name] = dict(labels)


def _yaml_text(value: Any) -> str:
    """A value as YAML writes it (`true`, `1`, `2024-01-01`), for messages."""
    text: str = yaml.safe_dump(value, default_flow_style=True, width=80)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _place(document: Document, at: Position) -> str:
    return f"{document.source}:{at.line}:{at.column}" if at.line else document.source


def _namespace_given(doc: dict[str, Any]) -> bool:
    meta = doc.get("metadata")
    return isinstance(meta, dict) and bool(meta.get("namespace"))


def _add_selection_warnings(result: LoadResult) -> None:
    """Objects no MonitoringStack of the input selects: their rules would never load. Without
    a stack in the input every object is rendered against the default stack, so no warning."""
    inventory = result.inventory
    if not inventory.stacks:
        return
    labels = inventory.namespace_labels
    stacks = ", ".join(s.key for s in inventory.stacks)
    selected: list[AnyResource | PromOperatorObject] = [
        *inventory.alert_policies,
        *inventory.business_kpis,
        *inventory.scaling_policies,
        *inventory.prometheus_rules,
    ]
    for resource in selected:
        if any(_selects(s, resource, labels) for s in inventory.stacks):
            continue
        hint = ""
        if isinstance(resource, PrometheusRule) and not any(
            s.spec.prometheus_operator_objects.enabled for s in inventory.stacks
        ):
            hint = " (no stack loads prometheus-operator's objects: spec.prometheusOperatorObjects)"
        unknown = not hint and resource.namespace not in labels
        if unknown and any(s.spec.namespace_selector.match_labels for s in inventory.stacks):
            hint = (
                f" (the labels of namespace {resource.namespace} are not in the input: add its "
                "Namespace object if a namespaceSelector should match it)"
            )
        problem = Problem(
            "metadata",
            f"no MonitoringStack of the input selects it (stacks: {stacks}), so it is never "
            f"loaded{hint}",
        )
        result.warnings.append(result.finding(f"{resource.kind}/{resource.key}", problem, WARNING))


def _selects(
    stack: MonitoringStack,
    resource: AnyResource | PromOperatorObject,
    labels: dict[str, dict[str, str]],
) -> bool:
    """True when `stack` loads `resource` (a prometheus-operator object by the stack's
    prometheusOperatorObjects)."""
    if isinstance(resource, PrometheusRule):
        return promoperator_selects(stack, resource.namespace, resource.metadata.labels, labels)
    return stack_selects(stack, resource, labels)


def _add_delivery_warnings(result: LoadResult) -> None:
    """Alerts of any kind (a policy's, a KPI's, a stack's self-monitoring) that can only reach
    a receiver with no integration, and KPIs routed through a policy their stack does not
    load. Only for the stacks of the input: the default stack's receiver is a placeholder."""
    inventory = result.inventory
    for stack in inventory.stacks:
        for key, problems in delivery_warnings(inputs_for(stack, inventory)).items():
            result.warnings.extend(result.finding(key, p, WARNING) for p in problems)


def problem_findings(result: LoadResult, key: str, problems: list[Problem]) -> list[Finding]:
    """Findings for problems of one object named by 'Kind/namespace/name'."""
    return [result.finding(key, p) for p in problems]
