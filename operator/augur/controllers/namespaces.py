"""kopf handlers of Namespaces: their labels feed stacks' namespaceSelectors."""

from __future__ import annotations

from typing import Any

import kopf

from augur.controllers.registry import registry
from augur.controllers.state import OperatorState


@kopf.index("", "v1", "namespaces", registry=registry)
def namespace_index(name: str, labels: kopf.Labels, **_: Any) -> dict[str, dict[str, str]]:
    """Labels of every Namespace."""
    return {name: dict(labels)}


@kopf.on.event("", "v1", "namespaces", registry=registry)
async def namespace_event(
    type: str | None, name: str, labels: kopf.Labels, memo: kopf.Memo, **_: Any
) -> None:
    """Labels changed: stacks selecting namespaces by label may select something else (the
    first sight of a Namespace changes nothing: the index already holds it)."""
    state: OperatorState = memo["state"]
    signature = (type == "DELETED", tuple(sorted(labels.items())))
    first = not state.seen.knows("Namespace", name)
    if state.seen.changed("Namespace", name, signature) and not first:
        state.workers.poke_all()
