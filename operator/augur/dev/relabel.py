"""Prometheus' target relabelling of one label set, for the live stack's discovery (pure)."""

from __future__ import annotations

import re
from typing import Any

Obj = dict[str, Any]


class UnsupportedRelabel(ValueError):
    """A relabel action this simulation does not implement (the target is not produced)."""


def _go_template(replacement: str) -> str:
    """Go's `$1`, `${1}`, `${name}` as Python's `\\g<...>`."""
    return re.sub(
        r"\$(?:\{(\w+)\}|(\w+))", lambda m: rf"\g<{m.group(1) or m.group(2)}>", replacement
    ).replace("$$", "$")


def _expand(match: re.Match[str], replacement: str) -> str:
    try:
        return match.expand(_go_template(replacement))
    except (IndexError, re.error):
        return ""


def relabel(labels: dict[str, str], configs: list[Obj]) -> dict[str, str] | None:
    """Prometheus' relabelling of one label set; None when a keep/drop rule drops it."""
    labels = dict(labels)
    for rule in configs:
        action = str(rule.get("action", "replace")).lower()
        pattern = re.compile(f"(?s:{rule.get('regex', '(.*)')})")
        value = str(rule.get("separator", ";")).join(
            labels.get(str(s), "") for s in rule.get("source_labels") or []
        )
        replacement = str(rule.get("replacement", "$1"))
        match = pattern.fullmatch(value)
        if action == "keep" and match is None:
            return None
        if action == "drop" and match is not None:
            return None
        if action == "replace" and match is not None:
            target = _expand(match, str(rule.get("target_label", "")))
            result = _expand(match, replacement)
            if target and result:
                labels[target] = result
            elif target:
                labels.pop(target, None)
        elif action in ("lowercase", "uppercase"):
            target = str(rule["target_label"])
            labels[target] = value.lower() if action == "lowercase" else value.upper()
        elif action == "labelmap":
            for name in list(labels):
                found = pattern.fullmatch(name)
                if found is not None:
                    labels[_expand(found, replacement)] = labels[name]
        elif action in ("labeldrop", "labelkeep"):
            keep = action == "labelkeep"
            labels = {k: v for k, v in labels.items() if bool(pattern.fullmatch(k)) == keep}
        elif action not in ("keep", "drop", "replace"):
            raise UnsupportedRelabel(action)
    return labels
