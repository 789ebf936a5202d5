"""Rule shards grow with the rules: every rule file placed at any size, the pod template
changed only when the count grows, shrinking lazy, and the count read back after a restart."""

from __future__ import annotations

import functools
from typing import Any

import pytest
import yaml
from stackhelpers import named, objects, stack_yaml

from augur.api.inventory import Inventory
from augur.api.resources import AnyResource, parse_resource
from augur.render.component_output import ComponentOutput
from augur.render.prometheus import rule_shards
from augur.render.prometheus.objects import mounted_rule_shards
from augur.render.prometheus.rule_shards import (
    RULE_SHARDS,
    SHARD_LIMIT_BYTES,
    config_map_key,
    shard_count,
    shard_of,
    shard_rule_files,
)
from augur.render.selection import StackInputs, inputs_for, stacks_of
from augur.render.stack import StackMemo, render_stack, rerender_stack

ALERTS = 10
STS = "platform-prometheus"


def _policy(index: int, token: str = "0") -> dict[str, Any]:
    """An AlertPolicy of ten alerts, as bench/scale.py writes them."""
    alerts = [
        {
            "name": f"Alert{a}",
            "severity": "high" if a % 2 else "medium",
            "expr": f'sum(rate(http_requests_total{{service="svc-{index}",code=~"5..",'
            f'v="{token if a == 0 else 0}"}}[5m])) > {a + 1}',
            "for": "5m",
            "summary": f"service svc-{index} fails ({a})",
        }
        for a in range(ALERTS)
    ]
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": f"p{index:05d}", "namespace": "monitoring"},
        "spec": {"alerts": alerts},
    }


@functools.cache
def _parsed(index: int, token: str) -> AnyResource:
    return parse_resource(_policy(index, token))


def _inputs(count: int, tokens: dict[int, str] | None = None) -> StackInputs:
    """The stack with `count` policies; the same model object for the same policy, as the
    operator's parse cache hands them out."""
    tokens = tokens or {}
    inventory = Inventory()
    inventory.add(parse_resource(yaml.safe_load(stack_yaml({}))))
    for i in range(count):
        inventory.add(_parsed(i, tokens.get(i, "0")))
    inventory.sort()
    [stack] = stacks_of(inventory)
    return inputs_for(stack, inventory)


def _generated_files(count: int) -> dict[str, str]:
    """`count` rule files as the renderer writes bench/scale.py's policies (one policy
    rendered, its name replaced): the real size of each, without rendering them all."""
    output = render_stack(_inputs(1))
    [(path, text)] = [(p, t) for p, t in output.files.items() if p.endswith("__p00000.yaml")]
    return {
        path.replace("p00000", f"p{i:05d}"): text.replace("p00000", f"p{i:05d}").replace(
            "svc-0", f"svc-{i}"
        )
        for i in range(count)
    }


def _template(output: ComponentOutput) -> dict[str, Any]:
    return dict(named(output, "StatefulSet", STS)["spec"]["template"])


def _rule_maps(output: ComponentOutput) -> dict[str, dict[str, str]]:
    return {
        c["metadata"]["name"]: c["data"]
        for c in objects(output, "ConfigMap")
        if "-prometheus-rules-" in c["metadata"]["name"]
    }


@pytest.mark.parametrize("policies", [5000, 10000])
def test_every_rule_file_is_placed_at_thousands_of_policies(policies: int) -> None:
    files = _generated_files(policies)
    total = sum(len(config_map_key(p)) + len(t.encode()) for p, t in files.items())
    assert total > RULE_SHARDS * SHARD_LIMIT_BYTES  # the old fixed 8 shards cannot hold them
    shards = shard_rule_files(files)
    assert shards.left_out == []
    placed = {key for data in shards.data for key in data}
    assert placed == {config_map_key(p) for p in files}
    for number, data in enumerate(shards.data):
        assert all(shard_of(key, shards.count) == number for key in data)
    assert max(shards.sizes) <= SHARD_LIMIT_BYTES
    # the fewest doublings that fit: half as many shards would leave some file out
    assert shard_rule_files(files, shards.count // 2).count == shards.count
    half = rule_shards._placed(files)
    assert not rule_shards._fits(half, shards.count // 2)


def test_growing_keeps_the_old_shards_and_moves_files_only_to_new_ones() -> None:
    files = _generated_files(3000)
    small = shard_rule_files(files, RULE_SHARDS)
    assert small.count > RULE_SHARDS
    doubled = small.count * 2
    for key in (k for data in small.data for k in data):
        assert shard_of(key, doubled) in (
            shard_of(key, small.count),
            shard_of(key, small.count) + small.count,
        )


def test_shrinking_is_lazy_and_never_flaps() -> None:
    files = _generated_files(3000)
    grown = shard_count(files)
    assert grown > RULE_SHARDS
    # Deleting half the policies keeps the count: the text still fills more than a quarter.
    half = dict(list(files.items())[:1500])
    assert shard_count(half, grown) == grown
    # Down to a tenth: halved while the text fills under a quarter of the capacity.
    tenth = dict(list(files.items())[:300])
    shrunk = shard_count(tenth, grown)
    assert RULE_SHARDS <= shrunk < grown
    used = sum(len(config_map_key(p)) + len(t.encode()) for p, t in tenth.items())
    assert shrunk == RULE_SHARDS or used >= rule_shards.SHRINK_BELOW * shrunk * SHARD_LIMIT_BYTES
    # Rendering again from the count it shrank to keeps it (no flap), and growing back
    # needs the files of a full shard again.
    assert shard_count(tenth, shrunk) == shrunk
    assert shard_count({}, grown) == RULE_SHARDS
    assert shard_count({}, None) == RULE_SHARDS


def test_a_file_larger_than_a_shard_is_left_out_without_growing() -> None:
    files = _generated_files(10)
    files["prometheus/rules/huge.yaml"] = "#" * (SHARD_LIMIT_BYTES + 1)
    shards = shard_rule_files(files)
    assert shards.count == RULE_SHARDS
    assert shards.left_out == ["prometheus/rules/huge.yaml"]
    assert "1 rule file(s): prometheus/rules/huge.yaml" in shards.warnings()[0]


def test_a_shard_counts_the_bytes_of_a_file_not_its_characters() -> None:
    key = config_map_key("prometheus/rules/x.yaml")
    ascii_text = "#" * (SHARD_LIMIT_BYTES - len(key))
    assert shard_rule_files({"prometheus/rules/x.yaml": ascii_text}).left_out == []
    # as many characters, one of them two bytes long in UTF-8: one byte too many
    wide = "é" + ascii_text[1:]
    shards = shard_rule_files({"prometheus/rules/x.yaml": wide})
    assert shards.left_out == ["prometheus/rules/x.yaml"]
    assert shard_rule_files({"prometheus/rules/x.yaml": wide[1:]}).sizes[
        shard_of(key, RULE_SHARDS)
    ] == len(key) + len(wide[1:])


def test_the_pod_template_changes_only_when_the_count_grows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Shards of 24 KiB: a few dozen real policies fill the 8 of them.
    monkeypatch.setattr(rule_shards, "SHARD_LIMIT_BYTES", 24 * 1024)
    output, memo = rerender_stack(_inputs(20))
    assert memo.shards is not None and memo.shards.count == RULE_SHARDS
    counts = [RULE_SHARDS]
    templates = [_template(output)]
    for count in range(20, 140, 10):
        # ten more policies, and an edit of one already there
        output, memo = rerender_stack(_inputs(count + 10, {count // 2: f"e{count}"}), memo)
        assert memo.shards is not None and memo.shards.left_out == []
        assert output.warnings == []
        counts.append(memo.shards.count)
        templates.append(_template(output))
        placed = {k for data in _rule_maps(output).values() for k in data}
        assert len(placed) == count + 10 + 1  # every policy's file and the self-monitoring one
        assert len(_rule_maps(output)) == memo.shards.count
    grew_at = [i for i in range(1, len(counts)) if counts[i] != counts[i - 1]]
    assert grew_at, "the rules outgrew 8 shards of 24 KiB"
    assert counts == sorted(counts)  # never shrinks while rules are added
    for i in range(1, len(templates)):
        assert (templates[i] == templates[i - 1]) == (i not in grew_at)
    config = yaml.safe_load(output.files["prometheus/prometheus.yml"])
    assert config["rule_files"] == [f"../rules/shard-{i}/*.yaml" for i in range(counts[-1])]


def test_a_restarted_operator_reads_the_count_back_and_renders_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rule_shards, "SHARD_LIMIT_BYTES", 24 * 1024)
    inputs = _inputs(120)
    _, memo = rerender_stack(_inputs(10))
    _, memo = rerender_stack(inputs, memo)
    assert memo.shards is not None and memo.shards.count > RULE_SHARDS
    # Fewer policies now, but still above the shrink threshold: the count stays.
    fewer = _inputs(90)
    kept, memo = rerender_stack(fewer, memo)
    mounted = mounted_rule_shards(named(kept, "StatefulSet", STS))
    assert mounted == memo.shards.count
    restarted, fresh = rerender_stack(fewer, StackMemo(), rule_shards=mounted)
    assert restarted == kept
    assert fresh.shards is not None and fresh.shards.count == mounted
    assert mounted_rule_shards(None) is None
