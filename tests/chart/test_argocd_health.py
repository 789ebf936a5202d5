"""The README's Argo CD health check (Lua) on the statuses augur writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import lupa
import pytest
import yaml

README = Path(__file__).resolve().parents[2] / "README.md"
KINDS = ("MonitoringStack", "AlertPolicy", "BusinessKPI", "ScalingPolicy")


def _health_entries() -> dict[str, str]:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.DOTALL)
    (block,) = [b for b in blocks if "resource.customizations.health" in b]
    data: dict[str, str] = yaml.safe_load(block)["data"]
    return data


def health(script: str, obj: dict[str, Any]) -> tuple[str, str]:
    """What Argo CD would show for `obj`: the script runs with `obj` as a global."""
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute(script)
    return str(result["status"]), str(result["message"])


def policy(generation: int = 1, **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "api", "generation": generation}, "status": status}


def ready(value: str, message: str = "") -> dict[str, str]:
    return {"type": "Ready", "status": value, "reason": "Loaded", "message": message}


def test_the_four_kinds_share_one_check() -> None:
    entries = _health_entries()
    assert sorted(entries) == sorted(f"resource.customizations.health.augur.dev_{k}" for k in KINDS)
    assert len(set(entries.values())) == 1


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (policy(conditions=[ready("True", "loaded by 1 stack")]), ("Healthy", "loaded by 1 stack")),
        (policy(conditions=[ready("False", "invalid")]), ("Degraded", "invalid")),
        (policy(conditions=[ready("Unknown", "rendering")]), ("Progressing", "rendering")),
        (policy(conditions=[{"type": "Accepted", "status": "True"}]), ("Progressing", "waiting for augur")),
        (policy(), ("Progressing", "waiting for augur")),
        ({"metadata": {"name": "api"}}, ("Progressing", "waiting for augur")),
        (policy(2, observedGeneration=1, conditions=[ready("True")]), ("Progressing", "waiting for augur")),
        (policy(2, observedGeneration=2, conditions=[ready("True", "ok")]), ("Healthy", "ok")),
    ],
    ids=["ready", "not-ready", "unknown", "no-ready-condition", "no-conditions", "no-status",
         "old-generation", "current-generation"],
)  # fmt: skip
def test_health_follows_the_ready_condition(obj: dict[str, Any], expected: tuple[str, str]) -> None:
    (script,) = set(_health_entries().values())
    assert health(script, obj) == expected
