"""kopf handlers of Namespaces: their labels feed stacks' namespaceSelectors."""

from __future__ import annotations

from typing import Any

import kopf

from augur.handlers.registry import registry
from augur.handlers.runtime import Runtime


@kopf.index("", "v1", "namespaces", registry=registry)
def namespace_index(name: str, labels: kopf.Labels, **_: Any) -> dict[str, dict[str, str]]:
    """Labels of every Namespace."""
    return {name: dict(labels)}


@kopf.on.event("", "v1", "namespaces", registry=registry)
async def namespace_event(
    type: str | None, name: str, labels: kopf.Labels, memo: kopf.Memo, **_: Any
) -> None:
    """Labels changed: stacks selecting namespaces by label may select something else."""
    runtime: Runtime = memo["runtime"]
    signature = (type == "DELETED", tuple(sorted(labels.items())))
    slot = ("Namespace", name)
    if runtime.seen.get(slot) == signature:
        return
    first = slot not in runtime.seen
    runtime.seen[slot] = signature
    if not first:
        runtime.poke(list(runtime.workers))
