"""One pass over a stack: gather → render → apply → status, each step its own object."""

from __future__ import annotations

import time

from augur.api.resources import MonitoringStack
from augur.controllers.gather import SourceSecrets, WorkloadReader
from augur.controllers.kpi_reader import KPIReader
from augur.controllers.policy_status import StackPolicyViews
from augur.controllers.stack_apply import StackApplier
from augur.controllers.stack_render import RenderFailed, StackRender
from augur.controllers.stack_report import StackReport
from augur.controllers.state import OperatorState
from augur.kube.ownership import ObjectKey
from augur.render.k8s.labels import StackRef
from augur.render.selection import secret_consent
from augur.render.stack import credentials_secret_of, desired_objects
from augur.status.statuses import StackOutcome


class StackReconciler:
    """Makes one stack's objects, and the statuses that depend on it, match the catalog."""

    def __init__(self, state: OperatorState, key: str) -> None:
        self.state = state
        self.key = key
        self.render = StackRender(
            key, state.config.operator_namespace, state.kube, state.tool_checks
        )
        self.secrets = SourceSecrets(state.kube, state.config.secret_refresh, key)
        self.applier = StackApplier(state.kube, state.config.list_scope, state.fence)
        self.workloads = WorkloadReader(state.kube)
        self.report = StackReport(state, key)
        self.policies = StackPolicyViews(state, key)
        self.kpis = KPIReader(state, key)

    async def reconcile(self, *, render: bool, check_live: bool) -> None:
        """Render when asked to (or never rendered yet), apply (checking live objects when
        asked to, or when the stack was replaced), then write every status."""
        catalog = self.state.catalog
        assert catalog is not None, "the catalog is set up at startup"
        entry = catalog.stack(self.key)
        if entry is None or entry.deleting:
            return
        if not isinstance(entry.resource, MonitoringStack):
            await self.report.invalid(entry)
            return
        stack = entry.resource
        ref = StackRef(stack.api_version, "MonitoringStack", entry.namespace, entry.name, entry.uid)
        check_live = self.applier.target(ref) or check_live
        started = time.monotonic()
        outcome = StackOutcome(generation=entry.generation)
        if render or self.render.rendered is None:
            try:
                await self.render.render(stack, catalog)
            except RenderFailed as error:
                outcome.render_error = str(error)
                self.state.metrics.reconcile_errors.labels("MonitoringStack", "RenderFailed").inc()
                await self.report.write(entry, outcome, None)
                return
        rendered = self.render.rendered
        assert rendered is not None
        # a namespace's Secrets are copied only with its consent; the others are never read
        allowed, refused = secret_consent(
            stack,
            rendered.output.secret_keys,
            rendered.output.secret_users,
            rendered.inputs.namespace_labels,
        )
        credentials = await self.secrets.credentials(
            allowed,
            rendered.output.secret_users,
            force=render,
            aws_profiles=rendered.output.aws_profiles,
        )
        for user, reasons in refused.items():
            credentials.missing[user] = sorted({*credentials.missing.get(user, []), *reasons})
        objects = desired_objects(
            rendered.output.manifests,
            ref,
            credentials,
            needs_credentials=bool(rendered.output.secret_keys) or stack.spec.alertmanager.enabled,
            is_namespaced=self.applier.is_namespaced,
        )
        # A key whose value is unknown (its Secret unreadable, never read) must not vanish
        # from the credentials Secret: that Secret is left as it is until the value is known.
        held = {
            ObjectKey("v1", "Secret", entry.namespace, credentials_secret_of(entry.name, key))
            for key in credentials.held
        }
        result = await self.applier.apply(objects, check_live=check_live, held=held)
        if result.fenced:
            return  # the stack is being deleted: its status and objects are going
        outcome = self.report.outcome(
            outcome,
            rendered,
            objects,
            result,
            credentials,
            catalog.invalid_selected_by(stack),
            catalog.invalid_promoperator_selected_by(stack),
        )
        outcome.components = await self.workloads.components(objects, entry.name)
        await self.report.write(entry, outcome, result)
        await self.policies.update(rendered, credentials)
        self.state.metrics.reconcile_duration.labels(self.key).observe(time.monotonic() - started)
        # scheduled, not awaited: N KPIs never delay the stack by N queries
        self.kpis.read_when_due(
            stack,
            rendered.selected_kpis,
            outcome.endpoints,
            rendered.output.rejected,
            # only a KPI's Routed condition reads them
            {p.key for p in rendered.inputs.alert_policies} if rendered.selected_kpis else set(),
        )

    def close(self) -> None:
        """The stack's worker ends: stop what runs on its behalf (a KPI reading)."""
        self.kpis.cancel()
