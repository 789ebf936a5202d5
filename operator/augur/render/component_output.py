"""What each renderer of a stack returns, and how the outputs of several add up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from augur.api.resources import Problem


@dataclass
class ComponentOutput:
    """What one renderer produces for a stack."""

    files: dict[str, str] = field(default_factory=dict)
    """Configuration files by path relative to the stack's folder (e.g. prometheus/rules/x.yaml)."""
    manifests: list[dict[str, Any]] = field(default_factory=list)
    """Kubernetes objects."""
    rule_count: int = 0
    """Prometheus rules rendered."""
    secret_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Keys the stack's credentials Secret must hold: key -> (source Secret, source key)."""
    secret_users: dict[str, str] = field(default_factory=dict)
    """Who needs a key of `secret_keys`, when not the stack itself: key -> namespace/name of
    the AlertPolicy."""
    aws_profiles: dict[str, str] = field(default_factory=dict)
    """Keys of `secret_keys` that hold a user's AWS shared credentials file -> the profile to
    take from it: such a file is never copied whole, only that profile goes into the one
    merged file Alertmanager reads (SNS)."""
    rejected: dict[str, list[Problem]] = field(default_factory=dict)
    """Objects left out, by 'Kind/namespace/name', with why."""
    warnings: list[str] = field(default_factory=list)
    """What the stack's status should say although everything rendered (e.g. rule shards full)."""

    def merge(self, other: ComponentOutput) -> None:
        """Add another renderer's output to this one."""
        clash = set(self.files) & set(other.files)
        if clash:
            raise ValueError(f"two renderers wrote {sorted(clash)}")
        self.files.update(other.files)
        self.manifests.extend(other.manifests)
        self.rule_count += other.rule_count
        self.secret_keys.update(other.secret_keys)
        self.secret_users.update(other.secret_users)
        self.aws_profiles.update(other.aws_profiles)
        self.warnings.extend(other.warnings)
        for key, problems in other.rejected.items():
            self.rejected.setdefault(key, []).extend(problems)


@dataclass(frozen=True)
class ScrapeJobs:
    """Scrape jobs one component hands Prometheus (through `augur.render.stack`), with what
    Prometheus' ServiceAccount needs to run them."""

    jobs: tuple[dict[str, Any], ...] = ()
    """Entries of prometheus.yml's scrape_configs, appended after the stack's own jobs."""
    namespaces: frozenset[str] = frozenset()
    """Namespaces the jobs discover targets in (Prometheus gets its discovery Role in each)."""
    cluster_rules: tuple[dict[str, Any], ...] = ()
    """ClusterRole rules the jobs need beyond discovery (cluster-scoped resources such as
    nodes, non-resource URLs such as the API server's /metrics)."""


@dataclass(frozen=True)
class Dashboard:
    """A Grafana dashboard one component hands Grafana (through `augur.render.stack`)."""

    file: str
    """File name (`<slug>.json`), unique within its folder."""
    folder: str
    """Grafana folder (title) it appears in."""
    data: dict[str, Any]
    """Grafana's JSON model of the dashboard."""
