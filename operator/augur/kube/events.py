"""Kubernetes Events about augur's objects: built as dicts, posted once per distinct message."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from augur.kube.client import KubeClient
from augur.kube.errors import KubeError

REPORTING_COMPONENT = "augur"
_REPEAT_AFTER = 300.0
_REMEMBERED = 4096


@dataclass(frozen=True)
class Involved:
    """The object an Event is about."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str = ""


def build_event(
    about: Involved,
    type_: Literal["Normal", "Warning"],
    reason: str,
    message: str,
    *,
    instance: str,
    now: datetime,
) -> dict[str, Any]:
    """A core/v1 Event (messages are capped at the API's 1 KiB)."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    involved = {
        "apiVersion": about.api_version,
        "kind": about.kind,
        "namespace": about.namespace,
        "name": about.name,
    }
    if about.uid:
        involved["uid"] = about.uid
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{about.name[:200]}.{uuid.uuid4().hex[:12]}",
            "namespace": about.namespace,
        },
        "involvedObject": involved,
        "type": type_,
        "reason": reason,
        "message": message[:1024],
        "source": {"component": REPORTING_COMPONENT},
        "reportingComponent": REPORTING_COMPONENT,
        "reportingInstance": instance[:128],
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


class EventRecorder:
    """Posts Events, skipping one identical to one posted in the last five minutes."""

    def __init__(self, kube: KubeClient, instance: str) -> None:
        self.kube = kube
        self.instance = instance
        self._recent: OrderedDict[tuple[str, str, str, str], float] = OrderedDict()

    def should_post(self, about: Involved, reason: str, message: str, now: float) -> bool:
        """False when the same event was posted recently (events are for people, not logs)."""
        key = (about.kind, f"{about.namespace}/{about.name}", reason, message)
        last = self._recent.get(key)
        if last is not None and now - last < _REPEAT_AFTER:
            return False
        self._recent[key] = now
        self._recent.move_to_end(key)
        while len(self._recent) > _REMEMBERED:
            self._recent.popitem(last=False)
        return True

    def post(
        self, about: Involved, type_: Literal["Normal", "Warning"], reason: str, message: str
    ) -> None:
        """Post an Event (blocking; failures are swallowed: an Event is never worth an error)."""
        if not self.should_post(about, reason, message, time.monotonic()):
            return
        event = build_event(
            about, type_, reason, message, instance=self.instance, now=datetime.now(UTC)
        )
        with contextlib.suppress(KubeError):
            self.kube.create(event)
