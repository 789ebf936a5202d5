"""PromQL for the tenancy injector's tests: the keyword metric names that once passed the
injector unrestricted, expressions built from them, and a hypothesis strategy that generates
expressions over a fixed set of metric names (real data exists for them in the differential
test against Prometheus)."""

from __future__ import annotations

from typing import Any

import promql_parser
from hypothesis import strategies as st

KEYWORD_NAMES = (
    "by",
    "without",
    "offset",
    "sum",
    "count",
    "avg",
    "min",
    "max",
    "group",
    "topk",
    "bottomk",
    "quantile",
    "stddev",
    "stdvar",
    "count_values",
    "limitk",
    "limit_ratio",
    "and",
    "or",
    "unless",
    "start",
    "end",
    "step",
)
"""Words of Prometheus' lexer that are also metric names where the grammar wants one."""

CASES = (str.lower, str.upper, str.capitalize)

METRIC_NAMES = (
    "http_requests_total",
    "up",
    *KEYWORD_NAMES,
    *(case(word) for case in (str.upper, str.capitalize) for word in KEYWORD_NAMES),
)
"""Every metric name the generated expressions use (each keyword in three cases)."""


def keyword_regressions() -> list[str]:
    """Expressions whose keyword metric names the word-list injector left unrestricted (each
    read every namespace): every keyword, in three cases, in the shapes the bypasses took."""
    found = []
    for word in KEYWORD_NAMES:
        for case in CASES:
            name = case(word)
            found += [
                f"{name} > 0",
                f"sum({name})",
                f"rate({name}[5m])",
                f"sum by (job) ({name})",
                f"{name} offset 5m",
                f"max_over_time(({name} > 0)[10m:1m])",
                f"http_requests_total and {name}",
                f"{name} or up",
            ]
    found += [
        "count > 0",
        "sum(by)",
        "rate(offset[5m])",
        "offset offset 5m",
        "sum by (sum) (sum)",
        "sum without (by, offset) (by)",
        "topk by (job) (1, topk)",
        'count_values("v", count_values)',
        "quantile(0.5, quantile)",
        "sum(count) by (job) / count(sum) by (job)",
        "and and and",
        "or or unless unless unless",
        "by * on (job) group_left by",
        "start @ end()",
        "step offset 1m",
    ]
    return found


def selectors(tree: Any) -> list[Any]:
    """Every VectorSelector of a parsed expression (those inside range selectors too)."""
    found = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)
        elif isinstance(node, promql_parser.MatrixSelector):
            pending.append(node.vector_selector)
        elif isinstance(node, promql_parser.Call):
            pending += node.args
        elif isinstance(node, promql_parser.BinaryExpr):
            pending += [node.lhs, node.rhs]
        elif isinstance(node, promql_parser.AggregateExpr):
            pending += [node.expr] + ([node.param] if node.param is not None else [])
        elif isinstance(
            node, promql_parser.ParenExpr | promql_parser.UnaryExpr | promql_parser.SubqueryExpr
        ):
            pending.append(node.expr)
    return found


def restricted_to(expr: str, label: str, value: str) -> bool:
    """True when every vector selector of `expr` holds `label="value"`."""
    wanted = (label, str(promql_parser.MatchOp.Equal), value)
    found = selectors(promql_parser.parse(expr))
    return bool(found) and all(
        wanted in [(m.name, str(m.op), m.value) for m in s.matchers.matchers] for s in found
    )


def parses(expr: str) -> bool:
    """True when Prometheus' grammar (the PyPI parser) accepts `expr`."""
    try:
        promql_parser.parse(expr)
    except ValueError:
        return False
    return True


# -- the generator ---------------------------------------------------------------------------

names = st.sampled_from(METRIC_NAMES)
matchers = st.sampled_from(
    [
        "",
        '{job="a"}',
        '{instance!="i0"}',
        '{namespace="ml"}',  # a tenant naming another namespace
        '{namespace=~".+"}',
        '{namespace!="shop"}',
        '{job=~"a|b", instance="i1"}',
    ]
)
named_vector = st.builds(lambda n, m: n + m, names, matchers)
nameless_vector = st.builds(
    lambda n, extra: f'{{__name__="{n}"{extra}}}', names, st.sampled_from(["", ', job="b"'])
) | st.sampled_from(['{__name__=~"by|offset|count"}', '{job="a"}', '{"sum", job="a"}'])
vector = named_vector | named_vector | named_vector | nameless_vector
modifier = st.sampled_from(["", "", " offset 5m", " offset 1m", " @ end()"])
window = st.sampled_from(["5m", "10m"])
grouping = st.sampled_from(["", " by (job)", " without (instance)", " by (namespace)"])
aggregation = st.sampled_from(
    ["sum", "count", "avg", "min", "max", "group", "stddev", "stdvar", "SUM", "Count"]
)


def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Expressions one level up from `inner`."""
    ranged = st.builds(
        lambda f, v, w, m: f"{f}({v}[{w}]{m})",
        st.sampled_from(["rate", "increase", "max_over_time", "avg_over_time", "changes"]),
        vector,
        window,
        modifier,
    )
    aggregated = st.builds(lambda op, g, e: f"{op}{g} ({e})", aggregation, grouping, inner)
    trailing = st.builds(lambda op, e, g: f"{op}({e}){g}", aggregation, inner, grouping)
    parameter = st.builds(
        lambda op, g, e: f"{op}{g} ({'0.5' if op == 'quantile' else '1'}, {e})",
        st.sampled_from(["topk", "bottomk", "quantile", "TOPK"]),
        grouping,
        inner,
    )
    binary = st.builds(
        lambda a, op, b: f"{a} {op} {b}",
        inner,
        st.sampled_from(["+", "-", "/", "and", "or", "unless", "AND", "Or", ">", "> bool"]),
        inner,
    )
    matched = st.builds(
        lambda a, op, b: f"{a} {op} on (namespace, job, instance) {b}",
        inner,
        st.sampled_from(["+", "*", "and", "unless"]),
        inner,
    )
    compared = st.builds(lambda e, c: f"{e} {c}", inner, st.sampled_from(["> 1", "< 100", "== 0"]))
    sub = st.builds(
        lambda f, e, w: f"{f}(({e})[{w}:1m])",
        st.sampled_from(["max_over_time", "avg_over_time"]),
        inner,
        window,
    )
    call = st.builds(
        lambda f, e: f.format(e),
        st.sampled_from(
            [
                "abs({})",
                "absent({})",
                "sort({})",
                "-({})",
                "({})",
                "clamp_min({}, 0)",
                'label_replace({}, "copy", "$1", "job", "(.*)")',
                'count_values("v", {})',
                "vector(scalar(sum({})))",
            ]
        ),
        inner,
    )
    return ranged | aggregated | trailing | parameter | binary | matched | compared | sub | call


expressions = st.recursive(
    st.builds(lambda v, m: v + m, vector, modifier), extend, max_leaves=5
).filter(parses)
"""Valid PromQL over `METRIC_NAMES`, keyword names in every position the grammar allows."""
