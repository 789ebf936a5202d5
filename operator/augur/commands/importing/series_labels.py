"""Which labels the series of a PromQL expression may carry: enough to tell a user which
imported alerts have augur move their series' `namespace` to `exported_namespace`."""

from __future__ import annotations

from typing import Any

import promql_parser


def may_carry_label(expr: str, label: str) -> bool:
    """Whether the series `expr` returns may carry `label` (False when it surely does not:
    a scalar, an aggregation without it, a one-to-one match `on` other labels). `expr` must
    be valid: the nesting bound of `augur.api.promql` holds, so recursion is bounded."""
    return _carries(promql_parser.parse(expr), label)


def _carries(node: Any, label: str) -> bool:
    if isinstance(node, promql_parser.NumberLiteral | promql_parser.StringLiteral):
        return False
    if isinstance(node, promql_parser.VectorSelector | promql_parser.MatrixSelector):
        return True
    if isinstance(
        node, promql_parser.ParenExpr | promql_parser.UnaryExpr | promql_parser.SubqueryExpr
    ):
        return _carries(node.expr, label)
    if isinstance(node, promql_parser.AggregateExpr):
        return _aggregate_carries(node, label)
    if isinstance(node, promql_parser.Call):
        if node.func.return_type == promql_parser.ValueType.Scalar or node.func.name == "vector":
            return False
        if node.func.name in ("label_replace", "label_join") and _literal(node.args[1]) == label:
            return True
        return any(_carries(arg, label) for arg in node.args)
    if isinstance(node, promql_parser.BinaryExpr):
        return _binary_carries(node, label)
    return True


def _literal(node: Any) -> str | None:
    return str(node.val) if isinstance(node, promql_parser.StringLiteral) else None


def _aggregate_carries(node: Any, label: str) -> bool:
    if node.op.__str__() in ("topk", "bottomk", "limitk", "limit_ratio"):
        return _carries(node.expr, label)
    modifier = node.modifier
    if modifier is None:
        return node.op.__str__() == "count_values" and _literal(node.param) == label
    listed = label in modifier.labels
    if str(modifier.type).endswith("By"):
        return listed
    return not listed and _carries(node.expr, label)


def _binary_carries(node: Any, label: str) -> bool:
    lhs, rhs = _carries(node.lhs, label), _carries(node.rhs, label)
    op = str(node.op)
    modifier = node.modifier
    if op == "or":
        return lhs or rhs
    if op in ("and", "unless") or modifier is None or modifier.matching is None:
        return lhs if _is_vector(node.lhs) or not _is_vector(node.rhs) else rhs
    card = str(modifier.card)
    group = list(modifier.group_labels or [])
    if card.endswith("ManyToOne"):
        return lhs or label in group
    if card.endswith("OneToMany"):
        return rhs or label in group
    listed = label in modifier.matching.labels
    on = str(modifier.matching.type).endswith("Include")
    return listed if on else (not listed and lhs)


def _is_vector(node: Any) -> bool:
    if isinstance(node, promql_parser.NumberLiteral | promql_parser.StringLiteral):
        return False
    if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr):
        return _is_vector(node.expr)
    if isinstance(node, promql_parser.Call):
        return bool(node.func.return_type != promql_parser.ValueType.Scalar)
    if isinstance(node, promql_parser.BinaryExpr):
        return _is_vector(node.lhs) or _is_vector(node.rhs)
    return True
