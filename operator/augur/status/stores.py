"""What the operator remembers between events, as small stores with methods (no I/O)."""

from __future__ import annotations

import json
import sys
import zlib
from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import Any

from augur.status.conditions import same_conditions
from augur.status.kpi_status import KPIOutcome
from augur.status.statuses import PolicyView

Slot = tuple[str, str]
"""(kind, namespace/name) of an object; (\"Namespace\", name) for a Namespace."""


def status_essence(status: dict[str, Any]) -> dict[str, Any]:
    """A status without its conditions and unset fields, to compare what a user reads."""
    return {k: v for k, v in status.items() if k != "conditions" and v is not None}


def status_unchanged(live: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """True when writing `new` over `live` would change nothing a user can read."""
    if live is None:
        return False
    if not same_conditions(list(live.get("conditions") or []), list(new.get("conditions") or [])):
        return False
    return status_essence(live) == status_essence(new)


SHARED_DEPTH = 16
"""How deep `shared_strings` walks: deeper than any status augur writes (a deeper one, which
only another writer could make, keeps its deeper parts as they are)."""


def shared_strings(value: Any, depth: int = 0) -> Any:
    """A copy of a status (its dicts, lists and tuples copied, as the same types) whose
    strings are shared with every equal string kept (`sys.intern`): thousands of statuses
    repeat the same keys, condition types, reasons, messages, stack names and times."""
    if type(value) is str:
        return sys.intern(value)
    if depth >= SHARED_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {shared_strings(k, depth): shared_strings(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [shared_strings(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(shared_strings(v, depth + 1) for v in value)
    return value


class StatusStore:
    """The last status seen on, or written to, each augur object, kept as compressed JSON.

    Held as dicts, a typical AlertPolicy status took about 1.7 KiB in dozens of objects;
    packed, about 0.43 KiB in one (tests/status/test_stores.py). A status is
    unpacked when read (a few microseconds), so every reader gets a copy of its own. One that
    JSON cannot hold (nested deeper than the encoder goes: only another writer makes such a
    status) is kept as a copy (`shared_strings`)."""

    def __init__(self) -> None:
        self._statuses: dict[Slot, bytes | dict[str, Any]] = {}

    def known(self, kind: str, key: str) -> dict[str, Any]:
        """The last status of an object ({} when none is known): a copy, as JSON reads it."""
        return _unpack(self._statuses.get((kind, key)))

    def remember(self, kind: str, key: str, status: dict[str, Any]) -> None:
        """`status` is what the object now carries (seen in an event, or just written)."""
        self._statuses[(kind, key)] = _pack(status)

    def would_change(self, kind: str, key: str, status: dict[str, Any]) -> bool:
        """True when writing `status` would change something a user can read."""
        kept = self._statuses.get((kind, key))
        if kept is None:
            return True
        return not status_unchanged(_unpack(kept), _as_json(status))

    def forget(self, kind: str, key: str) -> None:
        """Drop a deleted object."""
        self._statuses.pop((kind, key), None)


def _pack(status: dict[str, Any]) -> bytes | dict[str, Any]:
    try:
        text = json.dumps(status, separators=(",", ":"), ensure_ascii=False)
    except (RecursionError, TypeError, ValueError):
        return dict(shared_strings(status))
    return zlib.compress(text.encode(), 1)


def _as_json(status: dict[str, Any]) -> dict[str, Any]:
    """`status` as JSON reads it back (tuples as lists), to compare with what `_unpack` gives;
    as it is when JSON cannot hold it."""
    try:
        value = json.loads(json.dumps(status, ensure_ascii=False))
    except (RecursionError, TypeError, ValueError):
        return status
    return value if isinstance(value, dict) else {}


def _unpack(kept: bytes | dict[str, Any] | None) -> dict[str, Any]:
    if kept is None:
        return {}
    if isinstance(kept, dict):
        return dict(kept)
    value = json.loads(zlib.decompress(kept))
    return value if isinstance(value, dict) else {}


class SeenStore:
    """The signature of each object last acted on, so that events which change only what
    augur itself wrote (its status) do not start work again."""

    def __init__(self) -> None:
        self._signatures: dict[Slot, Hashable] = {}

    def knows(self, kind: str, key: str) -> bool:
        """True when the object has been seen before."""
        return (kind, key) in self._signatures

    def changed(self, kind: str, key: str, signature: Hashable) -> bool:
        """Remember `signature`; True when it differs from the one last acted on."""
        slot = (kind, key)
        if slot in self._signatures and self._signatures[slot] == signature:
            return False
        self._signatures[slot] = signature
        return True

    def forget(self, kind: str, key: str) -> None:
        """Drop a deleted object."""
        self._signatures.pop((kind, key), None)


_NO_VIEWS: Mapping[str, PolicyView] = MappingProxyType({})


class PolicyViews:
    """How each stack sees each AlertPolicy: what an AlertPolicy's status is made from."""

    def __init__(self) -> None:
        self._by_policy: dict[str, dict[str, PolicyView]] = {}
        self._by_stack: dict[str, set[str]] = {}

    def of_policy(self, policy: str) -> Mapping[str, PolicyView]:
        """Every stack's view of one policy, by stack. Read only: a change of views replaces
        the mapping, so one handed out (and kept, to compare with later) never changes."""
        return self._by_policy.get(policy, _NO_VIEWS)

    def stacks_viewing(self, policy: str) -> list[str]:
        """The stacks that selected the policy when they last rendered."""
        return sorted(self._by_policy.get(policy, {}))

    def replace_stack_views(self, stack: str, views: dict[str, PolicyView]) -> set[str]:
        """`views` is now everything `stack` sees; returns every policy whose views changed
        hands (those it sees now and those it saw before)."""
        before = self._by_stack.get(stack, set())
        for policy in before - set(views):
            self._drop(policy, stack)
        for policy, view in views.items():
            current = self._by_policy.get(policy, _NO_VIEWS)
            if current.get(stack) != view:
                self._by_policy[policy] = {**current, stack: view}
        self._by_stack[stack] = set(views)
        return before | set(views)

    def forget_stack(self, stack: str) -> list[str]:
        """Drop a deleted stack's views; returns the policies it saw."""
        policies = sorted(self._by_stack.pop(stack, set()))
        for policy in policies:
            self._drop(policy, stack)
        return policies

    def forget_policy(self, policy: str) -> list[str]:
        """Drop a deleted policy; returns the stacks that saw it."""
        stacks = sorted(self._by_policy.pop(policy, {}))
        for stack in stacks:
            self._by_stack.get(stack, set()).discard(policy)
        return stacks

    def _drop(self, policy: str, stack: str) -> None:
        views = self._by_policy.get(policy)
        if views is not None and stack in views:
            rest = {other: view for other, view in views.items() if other != stack}
            if rest:
                self._by_policy[policy] = rest
            else:
                del self._by_policy[policy]


class KPIReadings:
    """Each stack's last reading of each BusinessKPI: what a KPI's status is made from."""

    def __init__(self) -> None:
        self._by_kpi: dict[str, dict[str, KPIOutcome]] = {}

    def record(
        self, kpi: str, stack: str, outcome: KPIOutcome, selecting: list[str]
    ) -> dict[str, KPIOutcome]:
        """Keep `stack`'s reading and drop those of stacks no longer `selecting` the KPI;
        returns every kept reading, by stack."""
        readings = self._by_kpi.setdefault(kpi, {})
        readings[stack] = outcome
        for gone in set(readings) - set(selecting):
            del readings[gone]
        return dict(readings)

    def forget(self, kpi: str) -> None:
        """Drop a deleted KPI."""
        self._by_kpi.pop(kpi, None)
