"""What one evaluation hands the next through the policy's status, so that a restarted
operator resumes where it stopped: auto's selected method, the floor's scaling state and
how many evaluations in a row Prometheus failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from augur.forecast.recommend import PastRecommendation

STATUS_KEY = "evaluation"
"""The status field holding the kept state."""


def rfc3339(seconds: float) -> str:
    """Epoch seconds as an RFC 3339 UTC time, to the second."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> float:
    """Epoch seconds of an RFC 3339 time; ValueError if it is not one."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True)
class KeptState:
    """The state one evaluation leaves for the next (all empty for a new policy)."""

    selected_method: str | None = None
    """The method `auto` selected last (engine spelling, `a+b` for a combination)."""
    selected_at: float | None = None
    """When it was selected (epoch seconds)."""
    forecast_floor: int | None = None
    """The forecast's own floor last recommended: where the next step limits start."""
    recent: tuple[PastRecommendation, ...] = ()
    """Forecast replicas recommended within the scale-down stabilization window."""
    failed_queries: int = 0
    """Evaluations in a row in which Prometheus could not answer."""
    applied_min: int | None = None
    """The minimum augur last set (status `applied.minReplicas`)."""
    applied_at: float | None = None
    """When it was set."""
    steered: str | None = None
    """"Kind/name" of the object whose minimum augur holds raised: when `hpaRef` changes, the
    controller restores this one."""
    reasons: tuple[tuple[str, str], ...] = ()
    """(condition type, reason) of the last evaluation: events fire only on a change."""

    def reason_of(self, condition: str) -> str | None:
        """The last reason of `condition`, or None."""
        return dict(self.reasons).get(condition)


def _time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _recent(items: Any) -> tuple[PastRecommendation, ...]:
    kept = []
    for item in items if isinstance(items, list) else []:
        at = _time(item.get("at")) if isinstance(item, Mapping) else None
        replicas = _int(item.get("replicas")) if isinstance(item, Mapping) else None
        if at is not None and replicas is not None:
            kept.append(PastRecommendation(at, replicas))
    return tuple(kept)


def kept_state_from_status(status: Mapping[str, Any] | None) -> KeptState:
    """The kept state in a policy's status (a dict as read); what is missing or malformed is
    left empty, so a hand-edited status costs one full re-selection, never a crash."""
    status = status or {}
    kept = status.get(STATUS_KEY)
    kept = kept if isinstance(kept, Mapping) else {}
    applied = status.get("applied")
    applied = applied if isinstance(applied, Mapping) else {}
    method = kept.get("selectedMethod")
    steered = kept.get("steered")
    reasons = tuple(
        (str(c.get("type")), str(c.get("reason")))
        for c in status.get("conditions") or []
        if isinstance(c, Mapping) and c.get("type")
    )
    return KeptState(
        selected_method=method if isinstance(method, str) and method else None,
        selected_at=_time(kept.get("selectedAt")),
        forecast_floor=_int(kept.get("forecastFloor")),
        recent=_recent(kept.get("recentRecommendations")),
        failed_queries=_int(kept.get("failedQueries")) or 0,
        applied_min=_int(applied.get("minReplicas")),
        applied_at=_time(applied.get("at")),
        steered=steered if isinstance(steered, str) and steered else None,
        reasons=reasons,
    )


def kept_state_to_status(state: KeptState) -> dict[str, Any]:
    """The status field (under STATUS_KEY) that `kept_state_from_status` reads back.

    Every key is present, None when empty, so that a merge patch clears what is gone.
    """
    return {
        "selectedMethod": state.selected_method,
        "selectedAt": rfc3339(state.selected_at) if state.selected_at is not None else None,
        "forecastFloor": state.forecast_floor,
        "recentRecommendations": [
            {"at": rfc3339(past.at), "replicas": past.replicas} for past in state.recent
        ],
        "failedQueries": state.failed_queries,
        "steered": state.steered,
    }
