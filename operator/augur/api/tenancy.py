"""The label a stack enforces tenancy with is reserved in every label set a tenant writes.

Under `tenancy.enforceNamespaceLabel` augur sets that label to the namespace of each policy or
KPI from another namespace, and Alertmanager routes and inhibitions tell tenants apart by it.
A tenant that set it itself (`labels: {tenant: ml}` in namespace `shop`) would reach ml's
routes and inhibit ml's alerts, so every label set a tenant writes refuses it, whatever its
name (`namespace` is refused everywhere already: `augur.api.common.RESERVED_LABELS`).
"""

from __future__ import annotations

from augur.api.alertpolicy import AlertPolicySpec
from augur.api.businesskpi import BusinessKPISpec
from augur.api.resources import Problem


def tenant_label_sets(spec: AlertPolicySpec | BusinessKPISpec) -> list[tuple[str, dict[str, str]]]:
    """Every label set of a spec that ends up on a rule, with its field path: an AlertPolicy's
    defaults, each alert's (static and anomaly alone) and each recording rule's, a BusinessKPI's alert labels."""
    if isinstance(spec, BusinessKPISpec):
        return [("spec.alerting.labels", spec.alerting.labels)]
    sets = [("spec.defaults.labels", spec.defaults.labels)]
    sets += [(f"spec.alerts[{i}].labels", alert.labels) for i, alert in enumerate(spec.alerts)]
    sets += [(f"spec.records[{i}].labels", rec.labels) for i, rec in enumerate(spec.records)]
    return sets


def enforced_label_problems(
    spec: AlertPolicySpec | BusinessKPISpec, enforced: str | None
) -> list[Problem]:
    """The tenant's label sets that name the enforced label (none when `enforced` is None:
    the object is not a tenant of the stack)."""
    if enforced is None:
        return []
    return [
        Problem(
            f"{path}.{enforced}",
            f"label {enforced!r} is reserved: the stack enforces tenancy with it and sets it to "
            "this object's namespace",
        )
        for path, labels in tenant_label_sets(spec)
        if enforced in labels
    ]
