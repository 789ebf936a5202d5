"""What the operator knows of augur's objects: parsed once per change, read from kopf indexes."""

from __future__ import annotations

import json
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from augur.api.alertpolicy import AlertDefaults, Routing
from augur.api.inventory import Inventory
from augur.api.promoperator import (
    PARSERS,
    PromOperatorObject,
    is_promoperator_document,
    parse_promoperator,
)
from augur.api.resources import (
    AlertPolicy,
    AnyResource,
    InvalidObject,
    MonitoringStack,
    Problem,
    parse_resource,
)
from augur.render.selection import promoperator_selects, stack_selects, stack_selects_labels

IndexView = Mapping[Any, Iterable[Any]]
"""A kopf index (key -> store of values), or a plain dict of lists in tests."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One augur object (or prometheus-operator object) as parsed: the model when valid, the
    problems when not."""

    kind: str
    namespace: str
    name: str
    uid: str
    generation: int | None
    labels: tuple[tuple[str, str], ...]
    deleting: bool
    resource: AnyResource | PromOperatorObject | None
    """The model when valid. An AlertPolicy's has no static alerts or rule tests (see
    `policy_without_rules`): the complete model is parsed again from `packed` when its rules
    are rendered."""
    problems: tuple[Problem, ...] = ()
    alert_names: tuple[str, ...] = ()
    """Names of `spec.alerts` in order, read from the body (so also when it is invalid)."""
    test_names: tuple[str, ...] = ()
    """Names of a valid AlertPolicy's `spec.tests` in order (its model carries no tests)."""
    packed: bytes = b""
    """A valid AlertPolicy's document as parsed (compressed JSON)."""

    def full_policy(self) -> AlertPolicy:
        """The whole AlertPolicy model (alerts and tests included), parsed again."""
        resource = parse_resource(json.loads(zlib.decompress(self.packed)), checked_before=True)
        assert isinstance(resource, AlertPolicy), "packed only for AlertPolicies"
        return resource

    key: str = field(init=False, repr=False, compare=False)
    """namespace/name: one string kept with the entry (every store keys the object by it)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", sys.intern(f"{self.namespace}/{self.name}"))

    @property
    def problem_summary(self) -> str:
        """Every problem of an invalid object, in one message."""
        return "; ".join(str(p) for p in self.problems)

    @property
    def signature(self) -> tuple[Any, ...]:
        """What, when it changes, needs a new render (status writes leave it alone)."""
        return (self.uid, self.generation, self.labels, self.deleting)


@dataclass
class ParseCache:
    """Parsed objects by (uid, generation, labels), so status writes never re-parse."""

    entries: dict[str, Entry] = field(default_factory=dict)

    def entry(self, body: Mapping[str, Any]) -> Entry:
        """The Entry of a body (parsed only when its spec or labels changed)."""
        meta = body.get("metadata") or {}
        uid = str(meta.get("uid", ""))
        generation = meta.get("generation")
        labels = tuple(sorted((meta.get("labels") or {}).items()))
        deleting = meta.get("deletionTimestamp") is not None
        cached = self.entries.get(uid)
        if cached and (cached.generation, cached.labels) == (generation, labels):
            if cached.deleting == deleting:
                return cached
            cached = replace(cached, deleting=deleting)
            self.entries[uid] = cached
            return cached
        doc = _plain({k: body[k] for k in ("apiVersion", "kind", "spec") if k in body})
        doc["metadata"] = {k: _plain(meta[k]) for k in _KEPT_METADATA if k in meta}
        resource: AnyResource | PromOperatorObject | None = None
        problems: tuple[Problem, ...] = ()
        packed = b""
        try:
            resource = (
                parse_promoperator(doc) if is_promoperator_document(doc) else parse_resource(doc)
            )
        except InvalidObject as error:
            problems = tuple(error.problems)
        test_names: tuple[str, ...] = ()
        if isinstance(resource, AlertPolicy):
            packed = zlib.compress(json.dumps(doc, separators=(",", ":")).encode())
            test_names = tuple(test.name for test in resource.spec.tests)
            resource = policy_without_rules(resource)
        entry = Entry(
            kind=str(doc.get("kind", "")),
            namespace=str(doc["metadata"].get("namespace") or ""),
            name=str(meta.get("name", "")),
            uid=uid,
            generation=generation if isinstance(generation, int) else None,
            labels=labels,
            deleting=deleting,
            resource=resource,
            problems=problems,
            alert_names=_alert_names(doc),
            test_names=test_names,
            packed=packed,
        )
        self.entries[uid] = entry
        return entry

    def forget(self, uid: str) -> None:
        """Drop a deleted object."""
        self.entries.pop(uid, None)


_KEPT_METADATA = ("name", "namespace", "labels", "generation", "uid")
"""What the models read of metadata: annotations (kubectl's last-applied copy of the whole
object among them), managedFields and the rest are never parsed or kept."""


def policy_without_rules(policy: AlertPolicy) -> AlertPolicy:
    """The policy without its static alerts and rule tests, a fraction of the memory: what
    every renderer but the rules one reads (routing, receivers, inhibitions, time intervals
    and defaults for Alertmanager and selection, the anomaly alerts for Grafana's anomalies
    dashboard). Its rules render from `Entry.full_policy()`."""
    alerts = [alert for alert in policy.spec.alerts if alert.anomaly is not None]
    update: dict[str, Any] = {"alerts": alerts, "tests": []}
    # most policies leave routing or defaults as they come: one shared value serves them all
    for name, default in _SHARED_DEFAULTS.items():
        if getattr(policy.spec, name) == default:
            update[name] = default
    spec = policy.spec.model_copy(update=update)
    return policy.model_copy(update={"spec": spec})


_SHARED_DEFAULTS: dict[str, Any] = {"defaults": AlertDefaults(), "routing": Routing()}
"""Fields of an AlertPolicy's spec whose default value every outline that has it shares (the
models are values: nothing changes them once parsed)."""


def _plain(value: Any) -> Any:
    """Deep copy of a body as plain dicts and lists (kopf hands out read-only views), its
    strings shared with every equal string kept (`sys.intern`: the models keep them, and
    thousands of policies repeat their namespace, labels, severities, receivers). A walk
    with its own stack: a body nested deeper than Python's recursion limit is copied, and then
    refused by `parse_resource` (`augur.api.bounds`), instead of failing the handler."""
    if type(value) is str:
        return sys.intern(value)
    if not isinstance(value, Mapping | list | tuple):
        return value
    root: Any = {} if isinstance(value, Mapping) else []
    pending: list[tuple[Any, Any]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = (
            ((sys.intern(str(k)), v) for k, v in source.items())
            if isinstance(source, Mapping)
            else enumerate(source)
        )
        for key, item in items:
            copied: Any = item
            if type(item) is str:
                copied = sys.intern(item)
            elif isinstance(item, Mapping):
                copied = {}
                pending.append((item, copied))
            elif isinstance(item, list | tuple):
                copied = []
                pending.append((item, copied))
            if isinstance(target, dict):
                target[key] = copied
            else:
                target.append(copied)
    return root


def _alert_names(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The names of an AlertPolicy's alerts as written ("" where one has none)."""
    spec = body.get("spec")
    alerts = spec.get("alerts") if isinstance(spec, Mapping) else None
    if not isinstance(alerts, list | tuple):
        return ()
    return tuple(str(a.get("name") or "") if isinstance(a, Mapping) else "" for a in alerts)


def _values(index: IndexView) -> Iterator[Any]:
    for store in index.values():
        yield from store


class Catalog:
    """The stacks, policies, KPIs, prometheus-operator objects and namespace labels the
    operator has indexed."""

    def __init__(
        self,
        stacks: IndexView,
        alert_policies: IndexView,
        business_kpis: IndexView,
        namespaces: IndexView,
        scaling_policies: IndexView | None = None,
        promoperator: Mapping[str, IndexView] | None = None,
    ) -> None:
        self._stacks = stacks
        self._policies = alert_policies
        self._kpis = business_kpis
        self._namespaces = namespaces
        self._scaling = scaling_policies if scaling_policies is not None else {}
        self._promoperator = dict(promoperator or {})
        """prometheus-operator objects by kind (`augur.api.promoperator.PARSERS`); a kind
        whose CRD is not installed has an empty index."""

    def namespace_labels(self) -> dict[str, dict[str, str]]:
        """Labels of every Namespace."""
        return {
            str(name): dict(labels) for name, store in self._namespaces.items() for labels in store
        }

    def stacks(self) -> list[Entry]:
        """Every stack, in (namespace, name) order."""
        return sorted(_values(self._stacks), key=lambda e: (e.namespace, e.name))

    def stack(self, key: str) -> Entry | None:
        """A stack by namespace/name."""
        return next((e for e in _values(self._stacks) if e.key == key), None)

    def alert_policies(self) -> list[Entry]:
        """Every AlertPolicy, valid or not."""
        return sorted(_values(self._policies), key=lambda e: (e.namespace, e.name))

    def alert_policies_by_key(self) -> dict[str, Entry]:
        """Every AlertPolicy, valid or not, by namespace/name (in no particular order)."""
        return {f"{e.namespace}/{e.name}": e for e in _values(self._policies)}

    def alert_policy(self, key: str) -> Entry | None:
        """An AlertPolicy by namespace/name (the index's key: no scan)."""
        return next(iter(self._policies.get(key) or ()), None)

    def business_kpis(self) -> list[Entry]:
        """Every BusinessKPI, valid or not."""
        return sorted(_values(self._kpis), key=lambda e: (e.namespace, e.name))

    def scaling_policies(self) -> list[Entry]:
        """Every ScalingPolicy, valid or not."""
        return sorted(_values(self._scaling), key=lambda e: (e.namespace, e.name))

    def scaling_policy(self, key: str) -> Entry | None:
        """A ScalingPolicy by namespace/name (the index's key: no scan)."""
        return next(iter(self._scaling.get(key) or ()), None)

    def promoperator_objects(self) -> list[Entry]:
        """Every prometheus-operator object indexed, valid or not, by kind then (namespace,
        name)."""
        return [
            entry
            for kind in sorted(self._promoperator)
            for entry in sorted(
                _values(self._promoperator[kind]), key=lambda e: (e.namespace, e.name)
            )
        ]

    def inventory(self) -> Inventory:
        """The valid objects that are not being deleted, as the renderers take them (the
        AlertPolicies without their rules: render those from `policy_models()`)."""
        inventory = Inventory(namespace_labels=self.namespace_labels())
        everything = (
            self._stacks,
            self._policies,
            self._kpis,
            self._scaling,
            *(self._promoperator[kind] for kind in sorted(self._promoperator)),
        )
        for index in everything:
            for entry in _values(index):  # put in order by `sort` below
                if entry.resource is not None and not entry.deleting:
                    inventory.add(entry.resource)
        inventory.sort()
        return inventory

    def policy_models(self) -> Callable[[AlertPolicy], AlertPolicy]:
        """Gives the complete model of an AlertPolicy from `inventory()` (parsed again)."""
        entries: dict[str, Entry] = {
            e.key: e for e in _values(self._policies) if e.resource is not None
        }

        def complete(policy: AlertPolicy) -> AlertPolicy:
            entry = entries.get(policy.key)
            if entry is None or entry.resource is not policy or not entry.packed:
                return policy  # not one of this catalog's partial models: already complete
            return entry.full_policy()

        return complete

    def stacks_selecting(self, entry: Entry) -> list[str]:
        """Keys of the valid stacks that select `entry` (an AlertPolicy, BusinessKPI or
        ScalingPolicy; a prometheus-operator object, valid or not, by its namespace and
        labels)."""
        labels = self.namespace_labels()
        stacks = [s.resource for s in self.stacks() if isinstance(s.resource, MonitoringStack)]
        if entry.kind in PARSERS:
            own = dict(entry.labels)
            return [s.key for s in stacks if promoperator_selects(s, entry.namespace, own, labels)]
        resource = entry.resource
        if resource is None or isinstance(resource, PromOperatorObject):
            return []
        return [s.key for s in stacks if stack_selects(s, resource, labels)]

    def invalid_promoperator_selected_by(self, stack: MonitoringStack) -> dict[str, str]:
        """The invalid prometheus-operator objects `stack` would select, by 'Kind/namespace/
        name', with their problems (they carry no status of augur's: the stack's says why)."""
        labels = self.namespace_labels()
        return {
            f"{entry.kind}/{entry.key}": entry.problem_summary
            for entry in self.promoperator_objects()
            if entry.resource is None
            and not entry.deleting
            and promoperator_selects(stack, entry.namespace, dict(entry.labels), labels)
        }

    def invalid_selected_by(self, stack: MonitoringStack) -> int:
        """How many invalid AlertPolicies, BusinessKPIs and prometheus-operator objects
        `stack` would select (by namespace and labels: there is no model to select by)."""
        labels = self.namespace_labels()
        own = sum(
            1
            for index in (self._policies, self._kpis)
            for entry in _values(index)  # counted: no order needed
            if entry.resource is None
            and stack_selects_labels(stack, entry.namespace, dict(entry.labels), labels)
        )
        return own + len(self.invalid_promoperator_selected_by(stack))
