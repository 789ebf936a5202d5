"""Hypothesis strategies built from the API models' field types.

Every field of a model gets a strategy from its type: the validators and patterns of its
annotation say what it is (a duration, a label name, PromQL, a matcher, a URL, ...), Literal
and numeric bounds say the rest. The strategies aim at the edges where augur and the Go
programs could disagree: durations at Go's range, zero where zero is refused, RE2-only regular
expressions, PromQL outside Prometheus 3.5, broken Go templates, header names differing in case.
Most of what they produce is valid, so that enough of it renders.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from hypothesis import strategies as st
from pydantic import BaseModel

from augur.api import common
from augur.api.durations import MAX_DURATION

# -- leaves -----------------------------------------------------------------------------------


def mostly(usual: st.SearchStrategy[Any], *edges: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` nine times in ten, one of `edges` otherwise: a document has many fields, and
    it takes all of them valid for it to reach the tools."""
    return st.one_of(*([usual] * (9 * len(edges))), *edges)


_UNITS = ["y", "w", "d", "h", "m", "s", "ms"]


@st.composite
def _composed_duration(draw: st.DrawFn) -> str:
    units = sorted(
        draw(st.lists(st.sampled_from(_UNITS), min_size=1, max_size=3, unique=True)),
        key=_UNITS.index,
    )
    return "".join(f"{draw(st.integers(0, 400))}{unit}" for unit in units)


DURATIONS = mostly(
    st.sampled_from(["30s", "1m", "5m", "10m", "1h", "1h30m", "1d", "7d", "30d"]),
    st.sampled_from(["0", "0s", "1ms", "292y", "293y", "106751d", "106752d", MAX_DURATION]),
    st.just("99999999999999999999s"),
    _composed_duration(),
)
LABEL_NAMES = mostly(
    st.sampled_from(["team", "service", "env", "job", "instance", "model", "tier"]),
    st.sampled_from(["namespace", "severity", "__name__", "alertname", "le", "a_b"]),
    st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True),
)
NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
REGEXES = mostly(
    st.sampled_from(["a|b", "eu-.*", "[0-9]+", ".+", "(x|y)z?", "checkout", "(?i)api", "a{0,400}"]),
    st.sampled_from(
        ["(?x)a", "a++", "(?>a)", "a\\Z", "(?u)a", "x{1001}", "\\C", "(?!a)", "a{2,1000}"]
    ),
    st.sampled_from(["[[:alpha:]]", "\\d{2,5}", "(?P<n>a)", "\\pL+", "[^a]", "(?s).", "\\Qa.b\\E"]),
)
NUMBERS = mostly(
    st.integers(0, 1000).map(str),
    st.sampled_from(["0", "1", "0.5", "100", "1e3", "1e308", "1e999", "0x10", "Inf", "-1"]),
)
PROMETHEUS_TEMPLATES = mostly(
    st.sampled_from(
        [
            "",
            "plain words",
            "{{ $labels.instance }} is down",
            "{{ $value | humanize }}",
            "{{ if gt $value 1.0 }}high{{ else }}low{{ end }}",
            '{{ printf "%.2f" $value }}',
            "{{ with $labels.job }}{{ . }}{{ end }}",
            "{{ $externalLabels.cluster }}",
        ]
    ),
    st.sampled_from(["{{ $labels.x", "{{ nosuchfunc 1 }}", "{{ end }}", "$(UNSET)", "{{ .Foo"]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
)
ALERTMANAGER_TEMPLATES = mostly(
    st.sampled_from(
        [
            "",
            "plain words",
            "{{ .Status }}",
            '{{ .CommonLabels.alertname }} {{ template "__subject" . }}',
            "{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}",
            "{{ .CommonLabels.severity | toUpper }}",
            '{{ if eq .Status "firing" }}!{{ end }}',
            "{{ len .Alerts }} alerts",
        ]
    ),
    st.sampled_from(
        ["{{ .Status", "{{ nosuchfunc 1 }}", "{{ end }}", "$(UNSET)", "{{ $labels.x }}", "$(X)y"]
    ),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
)


@st.composite
def selectors(draw: st.DrawFn) -> str:
    metric = draw(st.sampled_from(["up", "http_requests_total", "x", "queue_depth"]))
    matchers = []
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(["job", "code", "env"]))
        op = draw(st.sampled_from(["=", "!=", "=~", "!~"]))
        value = draw(REGEXES) if "~" in op else draw(NAMES)
        escaped = value.replace("\\", "\\\\")
        matchers.append(f'{name}{op}"{escaped}"')
    joiner = draw(mostly(st.just(", "), st.just(" or ")))
    return f"{metric}{{{joiner.join(matchers)}}}" if matchers else metric


@st.composite
def instant_promql(draw: st.DrawFn, depth: int = 0, window: str | None = None) -> str:
    """An instant-vector (or scalar) expression from a small grammar; `window` replaces the
    range of every range function (for KPI ratio queries)."""
    choice = draw(st.integers(0, 9 if depth < 2 else 2))
    sel = draw(selectors())
    span = window or draw(DURATIONS)
    if choice == 0:
        return sel
    if choice == 1:
        fn = draw(
            st.sampled_from(
                ["rate", "increase", "avg_over_time", "max_over_time", "present_over_time"] * 4
                + ["mad_over_time", "first_over_time", "ts_of_max_over_time"]
            )
        )
        return f"{fn}({sel}[{span}])"
    if choice == 2:
        return draw(NUMBERS)
    inner = draw(instant_promql(depth + 1, window))
    if choice == 3:
        agg = draw(st.sampled_from(["sum", "max", "avg", "count", "topk(3,"] * 3 + ["limitk(2,"]))
        by = draw(st.sampled_from(["", " by (job)", " without (code)"]))
        return f"{agg}{by} ({inner})" if not agg.endswith(",") else f"{agg} {inner})"
    if choice == 4:
        op = draw(st.sampled_from([">", "<", "+", "*", "> bool", "and", "or", "/"]))
        return f"{inner} {op} {draw(st.one_of(NUMBERS, instant_promql(depth + 1, window)))}"
    if choice == 5:
        return f'label_replace({inner}, "dst", "$1", "job", "{draw(REGEXES).replace(chr(92), chr(92) * 2)}")'
    if choice == 6:
        fn = draw(
            st.sampled_from(["abs", "histogram_quantile(0.9,"] * 4 + ["sort_by_label", "info"])
        )
        if fn == "sort_by_label":
            return f'sort_by_label({inner}, "job")'
        return f"{fn} {inner})" if fn.endswith(",") else f"{fn}({inner})"
    if choice == 7:
        return f"scalar({inner})"
    if choice == 8:
        return f"{inner} offset {draw(DURATIONS)}"
    return f"({inner})"


RULE_PROMQL = mostly(
    instant_promql(),
    st.builds(lambda s, d: f"{s}[{d}]", selectors(), DURATIONS),
    st.just('"text"'),
)

# -- from field types -------------------------------------------------------------------------


def _validators(metadata: list[Any]) -> set[str]:
    return {getattr(getattr(m, "func", None), "__name__", "") for m in metadata}


def _pattern(metadata: list[Any]) -> str | None:
    for item in metadata:
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            return pattern
    return None


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, Ge | Gt):
            found["min_value"] = item.ge if isinstance(item, Ge) else item.gt
        if isinstance(item, Le | Lt):
            found["max_value"] = item.le if isinstance(item, Le) else item.lt
    return found


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any], bool]:
    """The annotation without Optional and Annotated, its metadata, whether None is allowed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            args = get_args(annotation)
            annotation, metadata = args[0], [*metadata, *args[1:]]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            optional = True
            annotation = members[0]
        else:
            return annotation, metadata, optional


def _string(metadata: list[Any], templates: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    validators = _validators(metadata)
    pattern = _pattern(metadata)
    if "check_duration" in validators:
        return DURATIONS
    if "_check_rule_expression" in validators or "_check_promql" in validators:
        return RULE_PROMQL
    if "_check" in validators:  # an Alertmanager matcher
        return st.builds(
            lambda n, op, v: f'{n}{op}"{v.replace(chr(92), chr(92) * 2)}"',
            st.sampled_from(["service", "team", "severity"]),
            st.sampled_from(["=", "!=", "=~", "!~"]),
            REGEXES,
        )
    if "_check_url" in validators:
        return st.sampled_from(["http://hook.example.com/x", "https://runbooks.example.com/a"])
    if pattern == common.LABEL_NAME_PATTERN:
        return LABEL_NAMES
    if pattern in (common.ALERT_NAME_PATTERN, common.DNS_SUBDOMAIN_PATTERN):
        return NAMES
    if pattern is not None:
        return st.from_regex(pattern, fullmatch=True).filter(lambda s: len(s) <= 60)
    return templates


def from_type(
    annotation: Any, metadata: list[Any], templates: st.SearchStrategy[str]
) -> st.SearchStrategy[Any]:
    """A strategy for a value of this (unwrapped) field type, as a CR holds it."""
    annotation, metadata, _ = _unwrap(annotation, metadata)
    origin = get_origin(annotation)
    if origin is Literal:
        return st.sampled_from(get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return from_model(annotation, templates)
    if origin is list:
        item = from_type(get_args(annotation)[0], [], templates)
        return st.lists(item, max_size=2)
    if origin is dict:
        validators = _validators(metadata)
        keys = (
            LABEL_NAMES
            if validators & {"_check_labels", "_check_label_names"}
            else mostly(LABEL_NAMES, st.sampled_from(["Reply-To", "reply-to", "X-Team", "subject"]))
        )
        return st.dictionaries(keys, templates, max_size=2)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        bounds = _bounds(metadata)
        low, high = bounds.get("min_value", -(2**64)), bounds.get("max_value", 2**64)
        return mostly(st.integers(max(low, 1), min(high, 1000)), st.integers(low, high))
    if annotation is float:
        bounds = _bounds(metadata)
        if bounds:
            return st.floats(**bounds, allow_nan=False, exclude_min=True)
        return mostly(st.floats(-1e6, 1e6), st.sampled_from([float("inf"), 1e308, 0.0]))
    if annotation is str:
        return _string(metadata, templates)
    raise NotImplementedError(f"no strategy for {annotation!r}")


SKIPPED = frozenset({"tests", "dashboard", "pod", "ingress", "storage", "resources", "image"})
"""Fields that never reach promtool or amtool."""


@st.composite
def from_model(
    draw: st.DrawFn, model: type[BaseModel], templates: st.SearchStrategy[str]
) -> dict[str, Any]:
    """A wire document of `model`: each optional field left out half of the time."""
    if model.__module__ == "augur.api.receivers" or model.__name__ == "AlertmanagerRoute":
        templates = ALERTMANAGER_TEMPLATES
    if model is common.SecretRef:
        return {"secretKeyRef": {"name": "creds", "key": "key"}}
    document: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in SKIPPED:
            continue
        # optional settings are left out half of the time, optional structures more often
        bare = _unwrap(info.annotation, [])[0]
        nested = get_origin(bare) is list or (
            isinstance(bare, type) and issubclass(bare, BaseModel)
        )
        if not info.is_required() and draw(st.integers(0, 3 if nested else 1)) != 0:
            continue
        value = draw(from_type(info.annotation, list(info.metadata), templates))
        document[info.alias or name] = value
    return document
