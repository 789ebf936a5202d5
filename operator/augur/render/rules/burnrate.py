"""Multiwindow, multi-burn-rate alerts of ratio KPIs (the SRE workbook's, scaled to the window).

For a 30-day objective the workbook pages at 14.4× over 1h and 5m and at 6× over 6h and
30m, and opens a ticket at 3× over 1d and 2h and at 1× over 3d and 6h: each pair fires once a
fixed share of the budget (2%, 5%, 10%, 10%) is spent in its long window. For another
objective window W the windows scale by W / 30d and the burn rates stay, so each pair still
fires on the same share of the budget; no window is shorter than 5m (rates need samples).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from augur.api.common import duration_seconds
from augur.render.rules.promql_text import number, scaled_duration

WORKBOOK_WINDOW = "30d"
MIN_WINDOW_SECONDS = 300

_WORKBOOK: tuple[tuple[Literal["page", "ticket"], str, str, str, str], ...] = (
    ("page", "1h", "5m", "14.4", "2m"),
    ("page", "6h", "30m", "6", "2m"),
    ("ticket", "1d", "2h", "3", "10m"),
    ("ticket", "3d", "6h", "1", "10m"),
)


@dataclass(frozen=True)
class BurnWindow:
    """One alert of the set: a long and a short window that must both burn faster than `rate`."""

    kind: Literal["page", "ticket"]
    long: str
    short: str
    rate: Decimal
    for_: str

    def budget_share(self, objective_window: str) -> Decimal:
        """Share of the window's budget spent in `long` at exactly `rate`."""
        spent = self.rate * Decimal(str(duration_seconds(self.long)))
        return spent / Decimal(str(duration_seconds(objective_window)))

    @property
    def rate_text(self) -> str:
        """The burn-rate threshold as written in the rules."""
        return number(self.rate)


def burn_windows(objective_window: str) -> list[BurnWindow]:
    """The four window pairs for an objective over `objective_window`."""
    scale = duration_seconds(objective_window) / duration_seconds(WORKBOOK_WINDOW)
    return [
        BurnWindow(
            kind,
            scaled_duration(long, scale, floor_seconds=MIN_WINDOW_SECONDS),
            scaled_duration(short, scale, floor_seconds=MIN_WINDOW_SECONDS),
            Decimal(rate),
            for_,
        )
        for kind, long, short, rate, for_ in _WORKBOOK
    ]


def sli_windows(objective_window: str) -> list[str]:
    """Every window the burn-rate alerts read, shortest first, each once."""
    windows = {w for pair in burn_windows(objective_window) for w in (pair.long, pair.short)}
    return sorted(windows, key=duration_seconds)
