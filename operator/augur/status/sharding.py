"""Operator shards: which augur instance acts on which stack, and who writes a shared status.

A MonitoringStack belongs to the shard named by its `augur.dev/shard` label (no label: the
default shard, ""). An instance started with `augur run --shard NAME` reconciles only the
stacks of shard NAME (without `--shard`, only the unlabelled ones), so the shards partition
the stacks and no two instances act on one stack. Each shard coordinates its own replicas
through its own peering object, and keeps its own finalizer on the stacks it reconciles.

A ScalingPolicy is evaluated by the instance of its own `augur.dev/shard` label, in the
same way.

An AlertPolicy may be selected by stacks of several shards: each of them loads its rules,
but its status is written by one instance only, that of the shard of the first selecting
stack (by namespace/name), and lists the stacks of that shard. A policy no stack selects (or
an invalid one) gets the same status from every instance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SHARD_LABEL = "augur.dev/shard"
"""The label naming a MonitoringStack's (or ScalingPolicy's) shard."""
PEERING_NAME = "augur"
"""The peering object of the default shard's replicas."""


def shard_of(labels: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The shard of an object with these labels ("" for the default shard)."""
    found = dict(labels).get(SHARD_LABEL)
    return str(found or "")


def peering_name(shard: str) -> str:
    """The peering object of a shard's replicas: `augur`, or `augur-<shard>`."""
    return f"{PEERING_NAME}-{shard}" if shard else PEERING_NAME


def status_writer(selecting: Mapping[str, str]) -> str | None:
    """The shard whose instance writes the status of an AlertPolicy that the stacks of
    `selecting` (stack key -> its shard) select: the first stack's (None: no stack selects
    it, every instance may)."""
    if not selecting:
        return None
    return selecting[min(selecting)]
