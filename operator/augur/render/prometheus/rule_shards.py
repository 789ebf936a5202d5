"""Rule files spread over a fixed number of hash-sharded ConfigMaps.

The number of shards never changes, so the pod template (its volumes) never changes when
rules come and go: Prometheus reloads them instead of restarting. A file always lands in the
same shard (by the hash of its name), so adding a policy rewrites only one ConfigMap."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

RULE_SHARDS = 8
"""ConfigMaps (and volumes) of rule files per stack."""
SHARD_LIMIT_BYTES = 900 * 1024
"""Most rule text per ConfigMap: under the 1 MiB object limit with room for metadata."""
RULES_PREFIX = "prometheus/rules/"
"""Output folder of rule files (relative to the stack's folder)."""


def shard_of(key: str) -> int:
    """The shard a rule file with this ConfigMap key lives in."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % RULE_SHARDS


def config_map_key(path: str) -> str:
    """A rule file's output path as a ConfigMap key (`[-._a-zA-Z0-9]+`)."""
    relative = path.removeprefix(RULES_PREFIX)
    return re.sub(r"[^-._a-zA-Z0-9]", "_", relative)


def is_rule_file(path: str) -> bool:
    """True for the rule files of `augur render`'s output."""
    return path.startswith(RULES_PREFIX) and path.endswith((".yaml", ".yml"))


@dataclass
class Shards:
    """The data of each shard's ConfigMap, and what did not fit."""

    data: list[dict[str, str]] = field(default_factory=lambda: [{} for _ in range(RULE_SHARDS)])
    sizes: list[int] = field(default_factory=lambda: [0] * RULE_SHARDS)
    """Bytes of keys and rule text in each shard."""
    left_out: list[str] = field(default_factory=list)
    """Output paths of rule files left out because their shard is full."""

    def warnings(self) -> list[str]:
        """What the stack's status says when shards are full."""
        if not self.left_out:
            return []
        return [
            f"Prometheus rule shards are full ({RULE_SHARDS} ConfigMaps of at most "
            f"{SHARD_LIMIT_BYTES // 1024} KiB): {len(self.left_out)} rule file(s) not loaded: "
            + ", ".join(self.left_out)
        ]


def shard_rule_files(files: dict[str, str]) -> Shards:
    """Spread the rule files among `files` over the shards, in name order within each."""
    shards = Shards()
    for path in sorted(p for p in files if is_rule_file(p)):
        key = config_map_key(path)
        shard = shard_of(key)
        text = files[path]
        size = len(key) + len(text.encode("utf-8"))
        if key in shards.data[shard] or shards.sizes[shard] + size > SHARD_LIMIT_BYTES:
            shards.left_out.append(path)
            continue
        shards.data[shard][key] = text
        shards.sizes[shard] += size
    return shards
