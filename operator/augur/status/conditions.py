"""Kubernetes-style status conditions, merged so lastTransitionTime only moves on a change."""

from __future__ import annotations

from typing import Any

from augur.api.common import Cond as Cond


def merge_conditions(
    existing: list[dict[str, Any]], wanted: list[Cond], *, generation: int | None, now: str
) -> list[dict[str, Any]]:
    """The conditions to write: `wanted` in order, keeping lastTransitionTime when the status
    did not change, and keeping conditions of other types that are not decided here."""
    old = {str(c.get("type")): c for c in existing if isinstance(c, dict)}
    merged: list[dict[str, Any]] = []
    for cond in wanted:
        before = old.pop(cond.type, None)
        transition = now
        if before is not None and before.get("status") == cond.status:
            transition = str(before.get("lastTransitionTime") or now)
        item: dict[str, Any] = {
            "type": cond.type,
            "status": cond.status,
            "reason": cond.reason,
            "message": cond.message[:2048],
            "lastTransitionTime": transition,
        }
        if generation is not None:
            item["observedGeneration"] = generation
        merged.append(item)
    merged.extend(old.values())
    return merged


def same_conditions(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    """True when two condition lists say the same thing (ignoring transition times)."""

    def essence(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(
            (
                c.get("type"),
                c.get("status"),
                c.get("reason"),
                c.get("message"),
                c.get("observedGeneration"),
            )
            for c in items
        )

    return essence(a) == essence(b)
