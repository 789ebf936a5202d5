"""kopf handlers of prometheus-operator's objects (`monitoring.coreos.com`): index them, and
re-render the stacks that select one that changed.

One row of `WATCHED` per kind; each row registers an index and an event handler. kopf looks
the kinds up in the API server's discovery at startup and watches CustomResourceDefinitions,
so a kind whose CRD is not installed is simply not watched (its index stays empty, which is no
error) and one whose CRD appears later is watched from then on. These handlers only read:
augur never writes to prometheus-operator's objects (no status, no finalizer, no annotation);
what became of them is in the status of the stacks that select them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import kopf

from augur.api.promoperator_rules import PO_GROUP
from augur.controllers.registry import registry
from augur.controllers.state import OperatorState
from augur.status.catalog import Entry

PO_VERSION = "v1"


@dataclass(frozen=True)
class WatchedKind:
    """A prometheus-operator kind the operator indexes."""

    kind: str
    """As in `augur.api.promoperator.PARSERS`."""
    plural: str

    @property
    def index_id(self) -> str:
        """The kopf index's id: the keyword argument handlers receive it under."""
        return f"promoperator_{self.plural}_index"


WATCHED = (WatchedKind("PrometheusRule", "prometheusrules"),)
"""The kinds watched. ServiceMonitor and PodMonitor join as rows once their models are in
`augur.api.promoperator.PARSERS` (and the chart's RBAC already lets the operator read them)."""


UNRESOLVED = "Unresolved resources cannot be served (try creating their CRDs):"
"""How kopf warns of handlers whose resource the API server does not serve."""
_SELECTOR = re.compile(r"Selector\(group='([^']*)'[^)]*?any_name='([^']*)'[^)]*\)")
"""A resource as kopf names it in that warning: its group and plural."""


def only_absent_promoperator_kinds(record: logging.LogRecord) -> bool:
    """Logging filter: drop kopf's warning about unserved resources when it names only
    prometheus-operator kinds (their absence is expected, not a problem); keep every other
    record, and this warning when it names any other resource (augur's own CRDs missing)."""
    message = record.getMessage()
    if not message.startswith(UNRESOLVED):
        return True
    named = _SELECTOR.findall(message.removeprefix(UNRESOLVED))
    ours = {(PO_GROUP, row.plural) for row in WATCHED}
    return not named or any((group, name) not in ours for group, name in named)


def quiet_absent_crds() -> None:
    """Install `only_absent_promoperator_kinds` on kopf's resource-discovery logger (once)."""
    logger = logging.getLogger("kopf._core.reactor.observation")
    if only_absent_promoperator_kinds not in logger.filters:
        logger.addFilter(only_absent_promoperator_kinds)


def promoperator_indexes(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The index of each watched kind, by kind, from a kopf handler's keyword arguments."""
    return {row.kind: kwargs[row.index_id] for row in WATCHED}


def _index_handler(row: WatchedKind) -> Callable[..., dict[str, Entry]]:
    def index(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, Entry]:
        state: OperatorState = memo["state"]
        entry = state.index(row.kind, body)
        return {entry.key: entry}

    index.__doc__ = f"Every {row.kind}, parsed (valid or not)."
    return index


async def promoperator_event(
    kind: str, type: str | None, body: Mapping[str, Any], state: OperatorState
) -> None:
    """A prometheus-operator object changed or went: the stacks that select it (now or
    before) render again."""
    entry = state.parsed.entry(body)
    if type == "DELETED":
        # the stacks that select it by its namespace and labels, and those that did when it
        # last changed: a stack created after that selects it without being recorded
        gone = state.promoperator_stacks.pop(f"{kind}/{entry.key}", set())
        if state.catalog is not None:
            gone |= set(state.catalog.stacks_selecting(entry))
        state.workers.poke(gone)
        state.forget(kind, entry.key, entry.uid)
        return
    if not state.changed(entry) or state.catalog is None:
        return
    poke_selecting(state, kind, entry)


def _event_handler(row: WatchedKind) -> Callable[..., Coroutine[Any, Any, None]]:
    async def event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await promoperator_event(row.kind, type, body, memo["state"])

    event.__doc__ = f"A {row.kind} changed: the stacks that select it (now or before) render."
    return event


def poke_selecting(state: OperatorState, kind: str, entry: Entry) -> None:
    """Poke the stacks that select `entry` now and those that did when it last changed (its
    labels may have moved it out of a stack), and remember the first."""
    assert state.catalog is not None
    now = set(state.catalog.stacks_selecting(entry))
    key = f"{kind}/{entry.key}"
    state.workers.poke(now | state.promoperator_stacks.get(key, set()))
    state.promoperator_stacks[key] = now


for _row in WATCHED:
    kopf.index(PO_GROUP, PO_VERSION, _row.plural, id=_row.index_id, registry=registry)(
        _index_handler(_row)
    )
    kopf.on.event(
        PO_GROUP, PO_VERSION, _row.plural, id=f"promoperator_{_row.plural}_event", registry=registry
    )(_event_handler(_row))
