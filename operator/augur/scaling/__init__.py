"""ScalingPolicy evaluation, pure: forecast, recommendation, HPA steering, status and metrics.

No Kubernetes client, kopf or Prometheus client here: the controller reads the history, the
target and the HPA, calls `evaluate_policy`, and carries out what it returns.
"""

from augur.scaling.evaluate import (
    PROMETHEUS_GRACE_EVALUATIONS,
    RESELECT_EVERY,
    Note,
    Observed,
)
from augur.scaling.inputs import (
    HPA_API_VERSION,
    ORIGINAL_MIN_ANNOTATION,
    PAUSED_ANNOTATION,
    SCALED_OBJECT_API_VERSION,
    FloorHolder,
    QueryProblem,
    QueryWindow,
    StackChoice,
    choose_stack,
    history_window,
    hpa_holder,
    is_paused,
    keda_owner,
    load_query,
    scaled_object_holder,
    stack_ref_key,
    steered_object,
)
from augur.scaling.kept import KeptState, kept_state_from_status
from augur.scaling.policy import Evaluation, evaluate_policy
from augur.scaling.report import PolicyMetricValues, quantile_label
from augur.scaling.steering import FIELD_MANAGER, FloorChange, floor_patch, restore_floor

__all__ = [
    "FIELD_MANAGER",
    "HPA_API_VERSION",
    "ORIGINAL_MIN_ANNOTATION",
    "PAUSED_ANNOTATION",
    "PROMETHEUS_GRACE_EVALUATIONS",
    "RESELECT_EVERY",
    "SCALED_OBJECT_API_VERSION",
    "Evaluation",
    "FloorChange",
    "FloorHolder",
    "KeptState",
    "Note",
    "Observed",
    "PolicyMetricValues",
    "QueryProblem",
    "QueryWindow",
    "StackChoice",
    "choose_stack",
    "evaluate_policy",
    "floor_patch",
    "history_window",
    "hpa_holder",
    "is_paused",
    "keda_owner",
    "kept_state_from_status",
    "load_query",
    "quantile_label",
    "restore_floor",
    "scaled_object_holder",
    "stack_ref_key",
    "steered_object",
]
