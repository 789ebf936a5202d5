"""Rule files spread over hash-sharded ConfigMaps, as many as the rules need.

A file always lands in the shard its name hashes to (modulo the shard count), so adding or
editing a policy rewrites only one ConfigMap. Each shard is a volume of Prometheus' pod, so
the shard count is part of the pod template: it must not change on ordinary edits, which
Prometheus picks up by reloading its rule files. `shard_count` therefore keeps the count it is
given (what the live StatefulSet mounts) and changes it only when it must:

- **grow** when some rule file does not fit in its shard: double until every file fits (a
  doubling only moves files from shard `s` to shard `s + count`, so the old shards lose
  files and none gains any);
- **shrink** lazily, when the rule text fills less than `SHRINK_BELOW` of the capacity: halve
  while it does (and every file still fits), never below `RULE_SHARDS`. After a halving the
  text fills at least that share and under twice it, far from the full shard that makes
  the count grow: the count cannot flap between two values.

The count is a pure function of the rule files and the current count, so an operator that
restarts reads the count back from the StatefulSet and renders the same objects."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

RULE_SHARDS = 8
"""The fewest ConfigMaps (and volumes) of rule files per stack: the count of a new stack."""
MAX_RULE_SHARDS = 512
"""The most: 512 shards hold 450 MiB of rule text."""
SHARD_LIMIT_BYTES = 900 * 1024
"""Most rule text per ConfigMap: under the 1 MiB object limit with room for metadata."""
SHRINK_BELOW = 0.25
"""Share of the capacity under which the count is halved."""
RULES_PREFIX = "prometheus/rules/"
"""Output folder of rule files (relative to the stack's folder)."""


@functools.lru_cache(maxsize=1 << 16)
def _key_hash(key: str) -> int:
    # Cached: every pass places every file again, most of them under the same keys.
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


def shard_of(key: str, count: int = RULE_SHARDS) -> int:
    """The shard a rule file with this ConfigMap key lives in, among `count` shards."""
    return _key_hash(key) % count


_NOT_IN_KEYS = re.compile(r"[^-._a-zA-Z0-9]")


@functools.lru_cache(maxsize=1 << 16)
def config_map_key(path: str) -> str:
    """A rule file's output path as a ConfigMap key (`[-._a-zA-Z0-9]+`)."""
    # Cached: every pass places every file again, under the same paths.
    return _NOT_IN_KEYS.sub("_", path.removeprefix(RULES_PREFIX))


def _utf8_size(text: str) -> int:
    # an ASCII string (as rule files mostly are) is known to be one without reading it
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def is_rule_file(path: str) -> bool:
    """True for the rule files of `augur render`'s output."""
    return path.startswith(RULES_PREFIX) and path.endswith((".yaml", ".yml"))


@dataclass(frozen=True)
class _Placed:
    path: str
    key: str
    text: str
    size: int
    """Bytes of key and text, as counted against the shard's limit."""


def _placed(files: Mapping[str, str]) -> list[_Placed]:
    placed = []
    for path in sorted(p for p in files if is_rule_file(p)):
        key = config_map_key(path)
        text = files[path]
        placed.append(_Placed(path, key, text, len(key) + _utf8_size(text)))
    return placed


def _fits(placed: list[_Placed], count: int) -> bool:
    """True when no file that fits a shard on its own is left out among `count` shards."""
    sizes = [0] * count
    keys: set[str] = set()
    for item in placed:
        if item.size > SHARD_LIMIT_BYTES or item.key in keys:
            continue  # no count makes room for these
        keys.add(item.key)
        shard = shard_of(item.key, count)
        sizes[shard] += item.size
        if sizes[shard] > SHARD_LIMIT_BYTES:
            return False
    return True


def _count(placed: list[_Placed], current: int | None) -> int:
    count = min(max(current or RULE_SHARDS, RULE_SHARDS), MAX_RULE_SHARDS)
    if not _fits(placed, count):
        while count < MAX_RULE_SHARDS and not _fits(placed, count):
            count = min(count * 2, MAX_RULE_SHARDS)
        return count
    used = sum(item.size for item in placed if item.size <= SHARD_LIMIT_BYTES)
    while (
        count > RULE_SHARDS
        and used < SHRINK_BELOW * count * SHARD_LIMIT_BYTES
        and _fits(placed, count // 2)
    ):
        count = max(count // 2, RULE_SHARDS)
    return count


def shard_count(files: Mapping[str, str], current: int | None = None) -> int:
    """How many shards the rule files among `files` need, given that the stack has `current`
    now (None: a new stack): `current` unless the files do not fit (grow) or fill less than
    `SHRINK_BELOW` of it (shrink), as the module says."""
    return _count(_placed(files), current)


@dataclass
class Shards:
    """The data of each shard's ConfigMap, and what did not fit."""

    count: int = RULE_SHARDS
    data: list[dict[str, str]] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    """Bytes of keys and rule text in each shard."""
    left_out: list[str] = field(default_factory=list)
    """Output paths of rule files left out: larger than a shard, or every shard is full."""

    def __post_init__(self) -> None:
        self.data = self.data or [{} for _ in range(self.count)]
        self.sizes = self.sizes or [0] * self.count

    @property
    def capacity_bytes(self) -> int:
        """Rule text the shards can hold."""
        return self.count * SHARD_LIMIT_BYTES

    @property
    def used_bytes(self) -> int:
        """Rule text (and keys) the shards hold."""
        return sum(self.sizes)

    @property
    def fullest(self) -> float:
        """Share of its limit the fullest shard holds (0 to 1)."""
        return max(self.sizes, default=0) / SHARD_LIMIT_BYTES

    def warnings(self) -> list[str]:
        """What the stack's status says when rule files are left out."""
        if not self.left_out:
            return []
        return [
            f"Prometheus rule files not loaded ({self.count} ConfigMaps of at most "
            f"{SHARD_LIMIT_BYTES // 1024} KiB; a file must fit one): {len(self.left_out)} "
            "rule file(s): " + ", ".join(self.left_out)
        ]


def shard_rule_files(files: Mapping[str, str], current: int | None = None) -> Shards:
    """Spread the rule files among `files` over `shard_count(files, current)` shards, in name
    order within each."""
    placed = _placed(files)
    shards = Shards(count=_count(placed, current))
    for item in placed:
        shard = shard_of(item.key, shards.count)
        if item.key in shards.data[shard] or shards.sizes[shard] + item.size > SHARD_LIMIT_BYTES:
            shards.left_out.append(item.path)
            continue
        shards.data[shard][item.key] = item.text
        shards.sizes[shard] += item.size
    return shards
