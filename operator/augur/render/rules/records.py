"""An AlertPolicy's own recording rules, as Prometheus rules (plain dicts).

Unlike an alert, a recorded series is input to other expressions, so it keeps the labels its
expression gives it: no `augur_policy`, no `namespace` moved to `exported_namespace` (a
record kept `by (namespace)` stays so, and the alerts reading it group as they did). Under
the stack's tenancy the expression is restricted to the namespace's series and the series
carry the tenant's labels, which the namespace's restricted rules select.
"""

from __future__ import annotations

from augur.api.alertpolicy import Record
from augur.render.rules.alerts import Rule
from augur.render.rules.tenancy import RuleScope


def record_rule(record: Record, scope: RuleScope) -> Rule:
    """The recording rule of `record` in `scope`."""
    rule: Rule = {"record": record.record, "expr": scope.restrict(record.expr)}
    labels = scope.user_labels(record.labels)
    if scope.enforce_label is not None:
        labels = {**scope.tenant_labels, **labels}
    if labels:
        rule["labels"] = labels
    return rule
