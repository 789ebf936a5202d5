"""What an evaluation tells people about a ScalingPolicy (numpy-free: the operator posts
these before any forecast runs, e.g. for a spec that does not parse)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Note:
    """A Kubernetes Event to post about the policy."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str
