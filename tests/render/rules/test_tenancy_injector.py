"""The tenancy injector: every vector selector of real and generated PromQL gets the tenant's
matcher, nothing else changes, and promtool accepts every result. Metric names that are
PromQL keywords (`count > 0`, `sum(by)`) are restricted as any other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from promql_strategies import expressions as keyword_expressions
from promql_strategies import keyword_regressions, restricted_to
from rulehelpers import promtool_check

from augur.api.promql import PromQLError
from augur.render.rules import tenancy
from augur.render.rules.tenancy import InjectionError, inject_matcher

CORPUS = Path(__file__).parent / "data" / "promql_corpus.txt"


def corpus() -> list[str]:
    lines = CORPUS.read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith("# ")]


def selectors(node: Any) -> list[Any]:
    """Every VectorSelector of a parsed expression (those inside range selectors too)."""
    if isinstance(node, promql_parser.VectorSelector):
        return [node]
    if isinstance(node, promql_parser.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, promql_parser.Call):
        return [s for arg in node.args for s in selectors(arg)]
    if isinstance(node, promql_parser.BinaryExpr):
        return selectors(node.lhs) + selectors(node.rhs)
    if isinstance(node, promql_parser.AggregateExpr):
        return selectors(node.expr) + (selectors(node.param) if node.param is not None else [])
    if isinstance(
        node, promql_parser.ParenExpr | promql_parser.UnaryExpr | promql_parser.SubqueryExpr
    ):
        return selectors(node.expr)
    return []


def matcher_pairs(selector: Any) -> list[tuple[str, str, str]]:
    return [(m.name, str(m.op), m.value) for m in selector.matchers.matchers]


def assert_injected(original: str, injected: str) -> None:
    before = selectors(promql_parser.parse(original))
    after = selectors(promql_parser.parse(injected))
    assert len(before) == len(after), injected
    for old, new in zip(before, after, strict=True):
        assert old.name == new.name
        wanted = ("namespace", str(promql_parser.MatchOp.Equal), "tenant-a")
        assert wanted in matcher_pairs(new), injected
        extra = [m for m in matcher_pairs(new) if m not in matcher_pairs(old)]
        assert extra in ([], [wanted]), injected


@pytest.mark.parametrize("expr", corpus())
def test_corpus_expressions_get_the_matcher_everywhere(expr: str) -> None:
    injected = inject_matcher(expr, "namespace", "tenant-a")
    assert_injected(expr, injected)
    assert inject_matcher(injected, "namespace", "tenant-a") == injected


def test_injection_keeps_text_outside_selectors() -> None:
    expr = 'sum by (job) (rate(x{a="}"}[5m:1m] offset 1h)) # c\n/ on (job) group_left y'
    assert inject_matcher(expr, "namespace", "t") == (
        'sum by (job) (rate(x{a="}", namespace="t"}[5m:1m] offset 1h)) # c\n'
        '/ on (job) group_left y{namespace="t"}'
    )


def test_a_tenant_naming_another_namespace_selects_nothing() -> None:
    injected = inject_matcher('x{namespace="team-b"}', "namespace", "team-a")
    assert injected == 'x{namespace="team-b", namespace="team-a"}'


# -- generated expressions ------------------------------------------------------------------

names = st.sampled_from(["x", "http_requests_total", "job:rate:5m", "by_x", "offset_total"])
labels = st.sampled_from(["job", "code", "instance", "le"])
values = st.text(alphabet='ab}{,"\\# ', max_size=4).map(
    lambda v: v.replace("\\", "\\\\").replace('"', '\\"')
)
matcher = st.builds(
    lambda name, op, v: f'{name}{op}"{v}"', labels, st.sampled_from(["=", "!=", "=~", "!~"]), values
)
braces = st.lists(matcher, max_size=2).map(lambda ms: "{" + ", ".join(ms) + "}" if ms else "")
vector = st.builds(lambda n, b: n + b, names, braces) | st.builds(
    lambda m: "{" + m + "}",
    matcher.filter(lambda m: '=""' not in m and '=~"' not in m and "!" not in m),
)
modifier = st.sampled_from(["", " offset 5m", " offset -1m", " @ 100", " @ start()"])
duration = st.sampled_from(["1m", "5m", "1h"])


def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    ranged = st.builds(lambda v, d, m: f"rate({v}[{d}]{m})", vector, duration, modifier)
    sub = st.builds(lambda e, d: f"max_over_time(({e})[{d}:1m])", inner, duration)
    agg = st.builds(
        lambda op, g, ls, e: f"{op} {g} ({', '.join(ls)}) ({e})",
        st.sampled_from(["sum", "max", "count"]),
        st.sampled_from(["by", "without"]),
        st.lists(labels, min_size=1, max_size=2, unique=True),
        inner,
    )
    binary = st.builds(
        lambda a, op, mod, b: f"{a} {op}{mod} {b}",
        inner,
        st.sampled_from(["+", "/", "and", "or", "unless", ">"]),
        st.sampled_from(["", " on (job)", " ignoring (code)"]),
        inner,
    )
    commented = st.builds(lambda e: f"{e} # note\n", inner)
    return ranged | sub | agg | binary | commented | st.builds(lambda e: f"({e})", inner)


expressions = st.recursive(st.builds(lambda v, m: v + m, vector, modifier), extend, max_leaves=6)


def parses(expr: str) -> bool:
    try:
        promql_parser.parse(expr)
    except ValueError:
        return False
    return True


@pytest.mark.tools
def test_generated_expressions_are_injected_and_pass_promtool(
    promtool: Path, tmp_path: Path
) -> None:
    injected_all: list[str] = []

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(expressions)
    def check(expr: str) -> None:
        if not parses(expr):
            return
        injected = inject_matcher(expr, "namespace", "tenant-a")
        assert_injected(expr, injected)
        injected_all.append(injected)

    check()
    injected_all += [inject_matcher(e, "namespace", "tenant-a") for e in corpus()]
    assert len(injected_all) > 100
    rules = [{"record": f"corpus:expr:n{i}", "expr": e} for i, e in enumerate(injected_all)]
    # vector-typed or not, every expression must at least parse for promtool
    path = tmp_path / "corpus.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "corpus", "rules": rules}]}))
    result = promtool_check(promtool, [path])
    assert result.returncode == 0, result.stdout + result.stderr


# -- the scan's edges ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "injected"),
    [
        ("x", 'x{namespace="t"}'),
        ("x{}", 'x{namespace="t"}'),
        ('{a="b"}', '{a="b", namespace="t"}'),
        ('x{a="b",}', 'x{a="b",namespace="t"}'),
        ('x{namespace= # c\n "t"}', 'x{namespace= # c\n "t"}'),  # already there
        ('x{namespace=~"t"}', 'x{namespace=~"t", namespace="t"}'),
        ("x / on(job) y", 'x{namespace="t"} / on(job) y{namespace="t"}'),
        ("Sum BY (x) (Sum)", 'Sum BY (x) (Sum{namespace="t"})'),
        ("sum(x) without (by)", 'sum(x{namespace="t"}) without (by)'),
        ("x * on(job) group_left y", 'x{namespace="t"} * on(job) group_left y{namespace="t"}'),
        ("x > bool Inf", 'x{namespace="t"} > bool Inf'),
        ("x[5m:1m] offset 1h", 'x{namespace="t"}[5m:1m] offset 1h'),
        ("x # trailing comment", 'x{namespace="t"} # trailing comment'),
        ("  x  ", '  x{namespace="t"}  '),
    ],
)
def test_edges_of_the_scan(expr: str, injected: str) -> None:
    assert inject_matcher(expr, "namespace", "t") == injected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ('x{a="1"', "unbalanced '{' at offset 1"),
        ("rate(x[5m)", "unbalanced '[' at offset 6"),
        ("sum by (x", "unbalanced '(' at offset 7"),
    ],
)
def test_brackets_that_do_not_close_are_refused(expr: str, message: str) -> None:
    with pytest.raises(InjectionError, match=re.escape(message)):
        inject_matcher(expr, "namespace", "t")


@pytest.mark.parametrize(("expr", "column"), [("x $ y", 3), ('x{a="b"} "unterminated', 10)])
def test_a_character_that_starts_no_token_is_refused_where_it_is(expr: str, column: int) -> None:
    with pytest.raises(PromQLError) as raised:
        inject_matcher(expr, "namespace", "t")
    assert raised.value.column == column


# -- keywords as metric names (these read every namespace before) ----------------------------


@pytest.mark.parametrize(
    ("expr", "injected"),
    [
        ("count > 0", 'count{namespace="t"} > 0'),
        ("sum(by)", 'sum(by{namespace="t"})'),
        ("rate(offset[5m])", 'rate(offset{namespace="t"}[5m])'),
        ("COUNT > 0", 'COUNT{namespace="t"} > 0'),
        ("Unless or AND", 'Unless{namespace="t"} or AND{namespace="t"}'),
        ("offset offset 5m", 'offset{namespace="t"} offset 5m'),
        ("sum by (sum) (sum)", 'sum by (sum) (sum{namespace="t"})'),
        ("topk(1, topk)", 'topk(1, topk{namespace="t"})'),
        ("limit_ratio > limitk", 'limit_ratio{namespace="t"} > limitk{namespace="t"}'),
        ("start @ end()", 'start{namespace="t"} @ end()'),
        ("a and b", 'a{namespace="t"} and b{namespace="t"}'),
        # with a fresh name for `bool`, `Or` would read as the operator: still a keyword
        ("x > bool Or{a='1'}", 'x{namespace="t"} > bool Or{a=\'1\', namespace="t"}'),
    ],
)
def test_keywords_where_the_grammar_wants_a_metric_name_are_restricted(
    expr: str, injected: str
) -> None:
    assert inject_matcher(expr, "namespace", "t") == injected


@pytest.mark.parametrize("expr", keyword_regressions())
def test_every_keyword_in_every_case_and_shape_is_restricted(expr: str) -> None:
    injected = inject_matcher(expr, "tenant", "shop")
    assert restricted_to(injected, "tenant", "shop"), injected
    assert_injected(expr, inject_matcher(expr, "namespace", "tenant-a"))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(keyword_expressions)
def test_every_selector_of_a_generated_expression_carries_the_matcher(expr: str) -> None:
    injected = inject_matcher(expr, "namespace", "tenant-a")
    assert_injected(expr, injected)
    assert restricted_to(injected, "namespace", "tenant-a")
    assert inject_matcher(injected, "namespace", "tenant-a") == injected


def test_a_wrong_decision_is_refused_not_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever decides which words are metric names, the parsed result is checked: an
    # expression that would read every namespace is refused, never returned.
    tenancy.selector_sites.cache_clear()
    monkeypatch.setattr(tenancy, "_is_metric_name", lambda *_: False)
    with pytest.raises(InjectionError, match="1 of its 1 selectors would read every namespace"):
        inject_matcher("count > 0", "namespace", "t")
    monkeypatch.setattr(tenancy, "_is_metric_name", lambda *_: True)
    with pytest.raises(InjectionError, match="does not parse"):
        inject_matcher("a and b", "namespace", "t")
    monkeypatch.undo()
    tenancy.selector_sites.cache_clear()
    assert inject_matcher("count > 0", "namespace", "t") == 'count{namespace="t"} > 0'


def test_expressions_that_are_not_promql_are_refused() -> None:
    with pytest.raises(PromQLError):
        inject_matcher("on(job) y", "namespace", "t")
    with pytest.raises(PromQLError):
        inject_matcher("sum without (a) (x) by (b)", "namespace", "t")
