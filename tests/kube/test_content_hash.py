"""Content hashes decide which of a stack's objects are applied again: any change of content
must change the hash, and remembering long strings' digests must not change any hash."""

from __future__ import annotations

import copy
from typing import Any

from augur.kube.ownership import LONG_STRING, ContentHasher, content_hash

RULES = "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up == 0\n" * 40


def shard(text: str = RULES) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "rules-0", "labels": {"a": "b"}},
        "data": {"ns-p1.yaml": text, "ns-p2.yaml": text.replace("up", "down"), "short": "x"},
    }


def test_long_strings_are_long_enough_to_matter() -> None:
    assert len(RULES) >= LONG_STRING


def test_a_change_of_one_character_of_a_long_string_changes_the_hash() -> None:
    edited = RULES[:-2] + "1\n"
    assert content_hash(shard()) != content_hash(shard(edited))
    hasher = ContentHasher()
    first = hasher.hash(shard())
    hasher.next_round()
    assert hasher.hash(shard(edited)) != first


def test_remembered_digests_give_the_same_hash_as_a_fresh_one() -> None:
    hasher = ContentHasher()
    for _ in range(3):
        # an equal but distinct string, and the very same one, hash alike
        assert hasher.hash(copy.deepcopy(shard())) == content_hash(shard())
        assert hasher.hash(shard(RULES)) == content_hash(shard())
        hasher.next_round()


def test_the_place_of_a_long_string_counts() -> None:
    swapped = shard()
    data = swapped["data"]
    data["ns-p1.yaml"], data["ns-p2.yaml"] = data["ns-p2.yaml"], data["ns-p1.yaml"]
    assert content_hash(swapped) != content_hash(shard())


def test_a_long_string_does_not_hash_like_a_list_or_a_short_string() -> None:
    as_list = shard()
    as_list["data"]["ns-p1.yaml"] = [RULES]
    assert content_hash(as_list) != content_hash(shard())
    assert content_hash({"a": "x"}) != content_hash({"a": ["x"]})


def test_only_the_last_rounds_strings_are_remembered() -> None:
    hasher = ContentHasher()
    hasher.hash(shard())
    hasher.next_round()
    hasher.hash(shard(RULES.upper()))
    hasher.next_round()
    hasher.next_round()
    assert not hasher._before and not hasher._now
