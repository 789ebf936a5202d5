"""kopf controllers, one module per kind plus startup/settings; importing registers them.

Each gathers inputs, calls the pure code of `augur.status` and `augur.render`, applies the
result and writes status (see docs/architecture.md)."""

from augur.controllers import (
    alertpolicy,
    businesskpi,
    monitoringstack,
    namespaces,
    promoperator,
    scalingpolicy,
    settings,
)
from augur.controllers.registry import registry

__all__ = [
    "alertpolicy",
    "businesskpi",
    "monitoringstack",
    "namespaces",
    "promoperator",
    "registry",
    "scalingpolicy",
    "settings",
]
