"""The scaling dashboard: per ScalingPolicy, the load against its forecast band, and the
replicas augur recommends against those running.

The forecast and replica series are the operator's own metrics, labelled `namespace` and
`scaling_policy` (the ScalingPolicy's namespace and name):

- `augur_forecast_value{quantile}`: the forecast of the load metric; `quantile="0.5"` is the
  point forecast, the policy's `forecast.quantile` q the upper and 1 - q the lower edge of
  the band;
- `augur_scaling_recommended_replicas` and `augur_scaling_current_replicas`.

The actual load is the policy's own metric query (restricted to its namespace when the stack
enforces tenancy), evaluated by the stack's Prometheus."""

from __future__ import annotations

from augur.api.resources import ScalingPolicy
from augur.render.panels import (
    Obj,
    PanelBuilder,
    Query,
    Section,
    encode,
    graph,
    label_variable,
    new_dashboard,
    with_band,
    with_sections,
)
from augur.render.rules.files import stack_scope
from augur.render.rules.promql_text import number, selector
from augur.render.selection import StackInputs

UID = "augur-scaling"
FILE = "scaling.json"

FORECAST_VALUE = "augur_forecast_value"
RECOMMENDED_REPLICAS = "augur_scaling_recommended_replicas"
CURRENT_REPLICAS = "augur_scaling_current_replicas"
POLICY_LABEL = "scaling_policy"
QUANTILE_LABEL = "quantile"
CHOSEN = f'namespace=~"$namespace", {POLICY_LABEL}=~"$policy"'
"""Matchers of the dashboard's variables: a panel of a policy not chosen shows no data."""


def policy_labels(policy: ScalingPolicy) -> dict[str, str]:
    """The labels of one policy's series among the operator's metrics."""
    return {"namespace": policy.namespace, POLICY_LABEL: policy.name}


def _quantile(policy: ScalingPolicy, q: float) -> str:
    labels = {**policy_labels(policy), QUANTILE_LABEL: number(q)}
    return selector(FORECAST_VALUE, labels, CHOSEN)


def _load_panel(policy: ScalingPolicy, load: str | None) -> PanelBuilder:
    spec = policy.spec
    q = spec.forecast.quantile
    upper, lower = f"forecast q{number(q)}", f"forecast q{number(round(1 - q, 6))}"
    labels = policy_labels(policy)
    queries: list[Query] = []
    if load is not None:
        queries.append(Query(load, "actual load"))
    queries += [
        Query(_quantile(policy, 0.5), "forecast"),
        Query(_quantile(policy, q), upper),
        Query(_quantile(policy, round(1 - q, 6)), lower),
        Query(
            f"{selector(RECOMMENDED_REPLICAS, labels, CHOSEN)} * {number(spec.metric.per_replica_capacity)}",
            "capacity of recommended replicas",
        ),
    ]
    panel = graph(
        "Load vs forecast",
        queries,
        width=16,
        description=f"Load metric: `{spec.metric.query}`",
    )
    return with_band(panel, upper, lower)


def _replicas_panel(policy: ScalingPolicy) -> PanelBuilder:
    spec = policy.spec
    labels = policy_labels(policy)
    return graph(
        "Replicas",
        [
            Query(selector(RECOMMENDED_REPLICAS, labels, CHOSEN), "recommended"),
            Query(selector(CURRENT_REPLICAS, labels, CHOSEN), "current"),
            Query(f"vector({spec.replicas.min})", "min"),
            Query(f"vector({spec.replicas.max})", "max"),
        ],
        unit="none",
        width=8,
    )


def policy_section(policy: ScalingPolicy, load: str | None) -> Section:
    """The row of one ScalingPolicy."""
    target = policy.spec.target_ref
    title = (
        f"{policy.namespace}/{policy.name} ({target.kind} {target.name}, mode {policy.spec.mode})"
    )
    return title, [_load_panel(policy, load), _replicas_panel(policy)]


def load_query(inputs: StackInputs, policy: ScalingPolicy) -> str | None:
    """The policy's load query as the stack runs it: tenancy applied; None if it cannot be."""
    try:
        return stack_scope(inputs, policy.namespace).restrict(policy.spec.metric.query)
    except ValueError:  # not valid PromQL for the tenancy injector: draw the forecast only
        return None


def scaling_dashboard(inputs: StackInputs) -> Obj:
    """The dashboard of every ScalingPolicy the stack selects (empty when none)."""
    board = new_dashboard(
        UID,
        "Scaling",
        "Per ScalingPolicy: load against its forecast band, recommended against current replicas.",
    )
    board = board.with_variable(
        label_variable("namespace", "namespace", RECOMMENDED_REPLICAS, "Namespace")
    ).with_variable(
        label_variable(
            "policy", POLICY_LABEL, RECOMMENDED_REPLICAS, "ScalingPolicy", 'namespace=~"$namespace"'
        )
    )
    sections = [policy_section(p, load_query(inputs, p)) for p in inputs.scaling_policies]
    return encode(with_sections(board, sections))
