"""Escalation steps, and the chains they form: the severities an alert climbs to, and when.

A step raises the alerts of its severities to a higher one after a delay. Steps compose: an
alert raised to `high` is raised again by a step that starts at `high`, that step's delay
counted from when `high` began. Every step must raise severity, so a chain ends after at most
as many steps as there are severity ranks; steps that would climb back down form a cycle and
are refused, naming them.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field, model_validator

from augur.api.common import (
    SEVERITY_RANK,
    ApiModel,
    Duration,
    Severity,
    cel,
    duration_seconds,
)
from augur.api.durations import duration_millis, format_millis

ESCALATED_LABEL = "augur_escalated"
"""On an escalated copy: "true" (the rules select only alerts without it)."""
ESCALATED_FROM_LABEL = "augur_escalated_from"
"""On an escalated copy: the severity of the alert it was raised from."""
ESCALATION_ANNOTATION = "escalation"
"""On an escalated copy: how it got there, e.g. `escalated from medium after 4h`."""

_RANKS = "{" + ", ".join(f"'{s}': {r}" for s, r in SEVERITY_RANK.items()) + "}"

MAX_STEPS = 16
"""Steps one policy may declare (there are six severities; the API server's CEL needs a bound)."""


class EscalationStep(ApiModel):
    """An alert still firing after `after` is raised to `to`; steps chain (see `escalation`)."""

    model_config = cel(
        (
            f"self.severities.all(s, {_RANKS}[s] < {_RANKS}[self.to])",
            "escalation must raise severity",
        )
    )

    severities: list[Severity] = Field(min_length=1, max_length=len(SEVERITY_RANK))
    """Severities this step raises: alerts of these severities, and the copies earlier steps
    raised to them."""
    after: Duration
    """How long the alert must have been firing at its current severity: from when the alert
    fired, or from when an earlier step raised it to this step's severity."""
    to: Severity
    """The severity the alert is raised to; it must be higher than every severity in
    `severities`."""
    silence_source: bool = False
    """What happens to the alert this step raised. false (the default): it keeps notifying at
    its own severity next to the raised copy, unless one of the policy's inhibitions mutes it
    (the raised copy keeps the alert's alertname and labels, so an inhibition that mutes lower
    severities on equal labels mutes it too). true: while the raised copy fires, an
    Alertmanager inhibition mutes the alert it was raised from, matching alertname and the
    routing's groupBy labels (every alert of that name in the same notification group, so
    routing.groupBy must name its labels rather than `...`)."""

    @model_validator(mode="after")
    def _raises(self) -> EscalationStep:
        for severity in self.severities:
            if SEVERITY_RANK[self.to] <= SEVERITY_RANK[severity]:
                raise ValueError(f"escalation must raise severity: {severity} -> {self.to}")
        if duration_seconds(self.after) <= 0:
            raise ValueError("after must be longer than 0s")
        return self


@dataclass(frozen=True)
class Escalation:
    """An alert of severity `origin` raised by `steps` (indexes into the policy's steps), in
    order, each from the severity the one before raised it to."""

    origin: str
    steps: tuple[tuple[int, EscalationStep], ...]

    @property
    def severity(self) -> str:
        """The severity the alert ends at."""
        return self.steps[-1][1].to

    @property
    def previous(self) -> str:
        """The severity the last step raised the alert from."""
        return self.steps[-2][1].to if len(self.steps) > 1 else self.origin

    @property
    def last(self) -> EscalationStep:
        """The step that raised the alert to `severity`."""
        return self.steps[-1][1]

    @property
    def seconds(self) -> float:
        """How long the source alert fires before this copy does: the sum of the delays."""
        return sum(duration_seconds(step.after) for _, step in self.steps)

    @property
    def after(self) -> str:
        """`seconds` as a Prometheus duration (summed exactly, in milliseconds)."""
        return format_millis(sum(duration_millis(step.after) for _, step in self.steps))

    def describe(self) -> str:
        """`escalated from medium after 5h (to high after 4h, then to critical after 1h)`."""
        text = f"escalated from {self.origin} after {self.after}"
        if len(self.steps) == 1:
            return text
        hops = [f"to {step.to} after {step.after}" for _, step in self.steps]
        return f"{text} ({', then '.join(hops)})"


def escalations(steps: Sequence[EscalationStep], origin: str) -> list[Escalation]:
    """Every severity an alert of severity `origin` is raised to, each by its quickest chain.

    Chains that reach the same severity fire together until the source resolves, so only the
    one that gets there first is kept (the earlier in step order on a tie): one escalated copy
    per severity. Ordered by delay, then severity.
    """
    settled: dict[str, Escalation] = {}
    # shortest paths (delays are positive); the counter keeps step order on equal delays
    queue: list[tuple[float, int, Escalation]] = [(0.0, 0, Escalation(origin, ()))]
    counter = 0
    while queue:
        _, _, chain = heapq.heappop(queue)
        current = chain.severity if chain.steps else origin
        if current in settled or (chain.steps and current == origin):
            continue
        if chain.steps:
            settled[current] = chain
        for index, step in enumerate(steps):
            if current in step.severities and step.to not in settled:
                counter += 1
                longer = Escalation(origin, (*chain.steps, (index, step)))
                heapq.heappush(queue, (longer.seconds, counter, longer))
    return sorted(settled.values(), key=lambda e: (e.seconds, SEVERITY_RANK[e.severity]))


Edge = tuple[str, str, int, str]
"""A step read as an edge: from severity, to severity, the step's index, the step in words."""


def escalation_cycle(raw_steps: Sequence[Any]) -> str | None:
    """Words naming the steps that form a cycle (a severity that climbs back to itself), or
    None. Reads the steps as given (mappings or models) before they are validated, skipping
    what is malformed: the step's own validation reports that."""
    edges: dict[tuple[str, str], Edge] = {}
    for index, raw in enumerate(raw_steps):
        severities, to, after = (_field(raw, key) for key in ("severities", "to", "after"))
        if not isinstance(severities, list) or not isinstance(to, str) or to not in SEVERITY_RANK:
            continue  # (any YAML may stand here: a list is no dictionary key)
        text = f"{'|'.join(map(str, severities))} -> {to} after {after}"
        for severity in severities:
            if isinstance(severity, str) and severity in SEVERITY_RANK:
                # the first step between two severities stands for the others
                edges.setdefault((severity, str(to)), (severity, str(to), index, text))
    for start in dict.fromkeys(source for source, _ in edges):
        cycle = _way_back(start, start, list(edges.values()), [])
        if cycle is not None:
            named = [f"escalation[{index}] ({text})" for _, _, index, text in cycle]
            climb = " -> ".join([start, *(to for _, to, _, _ in cycle)])
            steps = (
                f"step {named[0]} forms"
                if len(named) == 1
                else f"steps {', '.join(named[:-1])} and {named[-1]} form"
            )
            return f"{steps} a cycle {climb}: every step must raise severity"
    return None


def _field(raw: Any, key: str) -> Any:
    return raw.get(key) if isinstance(raw, dict) else getattr(raw, key, None)


def _way_back(current: str, start: str, edges: list[Edge], path: list[Edge]) -> list[Edge] | None:
    """Edges from `current` back to `start` through severities not yet on `path`; or None."""
    visited = {to for _, to, _, _ in path}
    for edge in edges:
        source, to, _, _ = edge
        if source != current:
            continue
        if to == start:
            return [*path, edge]
        if to not in visited:
            found = _way_back(to, start, edges, [*path, edge])
            if found is not None:
                return found
    return None
