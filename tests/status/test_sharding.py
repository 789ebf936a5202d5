"""Operator shards: a stack's shard from its label, a shard's peering name, and the one
writer of a status that stacks of several shards share."""

from __future__ import annotations

from augur.status.sharding import SHARD_LABEL, peering_name, shard_of, status_writer


def test_a_stack_belongs_to_the_shard_its_label_names() -> None:
    assert shard_of({SHARD_LABEL: "red", "team": "x"}) == "red"
    assert shard_of((("team", "x"), (SHARD_LABEL, "blue"))) == "blue"
    assert shard_of({}) == shard_of({SHARD_LABEL: ""}) == ""


def test_each_shard_peers_alone() -> None:
    assert peering_name("") == "augur"
    assert peering_name("red") == "augur-red"


def test_the_first_selecting_stack_names_the_status_writer() -> None:
    assert status_writer({}) is None
    assert status_writer({"ops/red": "red", "ops/blue": "blue"}) == "blue"
    assert status_writer({"a/x": "", "b/y": "red"}) == ""
