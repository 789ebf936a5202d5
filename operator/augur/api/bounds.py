"""How large and how deep an object may be: the bounds every walk of user data relies on.

Free-form fields (a pod's `affinity`, `tolerations`) take any YAML, and validation, rendering
and writing walk them. An object nested deeper than MAX_DEPTH or holding more than MAX_NODES
values is refused before any of that, wherever it comes from: the CLI's YAML (whose loader
also refuses alias bombs, see `augur.commands.sources`), the API server's JSON, an admission
request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 100
"""Deepest nesting of mappings and lists an object may have. Kubernetes objects stay far below
it (augur's own CRDs: 22 levels); the bound keeps every recursive walk of the data (the YAML
composer, validation, the renderers, the YAML writer) far from Python's recursion limit."""
MAX_NODES = 1_000_000
"""Most values (mappings, lists and scalars) in one object: several times what the API
server's request size limit lets through as JSON."""


def shape_problem(value: Any) -> tuple[str, str] | None:
    """(field path, message) when `value` nests deeper than MAX_DEPTH or holds more than
    MAX_NODES values; None when it does not. A walk with its own stack that stops at the
    first excess, so it is bounded even for data that shares parts (a value met twice is
    counted twice, as every later walk would meet it twice)."""
    pending: list[tuple[Any, int, str]] = [(value, 1, "")]
    nodes = 0
    while pending:
        item, depth, path = pending.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return "", f"more than {MAX_NODES} values in one object"
        if isinstance(item, Mapping):
            children = [(v, f"{path}.{k}" if path else str(k)) for k, v in item.items()]
        elif isinstance(item, list | tuple):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(item)]
        else:
            continue
        if children and depth >= MAX_DEPTH:
            return path, f"nested deeper than {MAX_DEPTH} levels"
        pending += [(child, depth + 1, child_path) for child, child_path in reversed(children)]
    return None
