"""What a validating admission webhook refuses: the problems of one object on its own.

`augur validate` checks files; the API server sees one object at a time. The checks that need
nothing but the object (its schema, PromQL syntax, escalation order, names referenced inside
the object) are the same code here, so `kubectl apply` is refused with the very path and
message `augur validate` prints. Checks between objects are left out on purpose: a route's
receiver may be a selecting stack's defaultReceiver, and refusing it would make
`kubectl apply -f dir/` depend on the order of the files.
"""

from __future__ import annotations

import copy
from typing import Any

from augur.api.resources import InvalidObject, Problem, is_augur_document, parse_resource


def admission_problems(
    obj: dict[str, Any], *, old: dict[str, Any] | None = None, namespace: str | None = None
) -> list[Problem]:
    """The problems that refuse `obj` (empty: admit it), as `augur validate` words them.

    `old` is the stored object of an UPDATE: when the spec is unchanged nothing is refused, so
    metadata-only writes (kopf removing its finalizer, a label added) pass even for an object
    stored before these checks existed. `namespace` is the request's, for an object created
    without `metadata.namespace`. Objects of other kinds are always admitted.
    """
    if not is_augur_document(obj):
        return []
    if old is not None and old.get("spec") == obj.get("spec"):
        return []
    body = copy.deepcopy(obj)
    meta = body.setdefault("metadata", {})
    if isinstance(meta, dict):
        if namespace and not meta.get("namespace"):
            meta["namespace"] = namespace
        if not meta.get("name") and meta.get("generateName"):
            # The API server picks the name after admission; a placeholder suffix stands in.
            meta["name"] = f"{meta['generateName']}x"
    try:
        parse_resource(body)
    except InvalidObject as error:
        return error.problems
    return []


def denial_message(obj: dict[str, Any], problems: list[Problem], namespace: str = "") -> str:
    """`Kind/namespace/name: path: message; ...`: what `augur validate` prints after the file."""
    meta = obj.get("metadata") or {}
    return str(
        InvalidObject(
            str(obj.get("kind") or "?"),
            str(meta.get("namespace") or namespace or "default"),
            str(meta.get("name") or meta.get("generateName") or "<unnamed>"),
            problems,
        )
    )
