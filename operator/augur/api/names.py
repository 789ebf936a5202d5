"""Kubernetes' rules for object names and namespaces, and the tighter limits of augur's kinds.

A name or namespace ends up in object names, file names and ConfigMap keys (`augur render`
writes `DIR/<namespace>/<stack>/`, a rule file is `<namespace>__<name>.yaml`), so it is checked
offline exactly as the API server checks it: namespaces are DNS-1123 labels, names DNS-1123
subdomains. A kind whose name becomes part of longer names (a stack's Services and
StatefulSets, a policy's rule file) also has a shorter limit of its own.
"""

from __future__ import annotations

import re

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(_LABEL)
_DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_DNS1035_LABEL = re.compile("[a-z]([-a-z0-9]*[a-z0-9])?")

STACK_NAME_MAX = 39
"""A MonitoringStack's longest name. Its Services are `<stack>-alertmanager-headless` (DNS-1035
labels, at most 63 characters), and its StatefulSets' pods carry the label
`controller-revision-hash: <stack>-alertmanager-<hash of up to 10 characters>` (a label value,
at most 63): 63 - len("-alertmanager-") - 10 = 39."""

RULE_FILE_KEY_MAX = 253
"""A rule file's ConfigMap key (`kpi__<namespace>__<name>.yaml`) is at most 253 characters."""
RULE_FILE_EXTRA = len("kpi__") + len("__") + len(".yaml")
"""Characters a rule file's name adds to the namespace and the name."""


def namespace_name_problem(value: str) -> str | None:
    """Why `value` is not a namespace name (a DNS-1123 label), or None when it is one."""
    if len(value) > DNS1123_LABEL_MAX:
        return f"a namespace name is at most {DNS1123_LABEL_MAX} characters (not {len(value)})"
    if not _DNS1123_LABEL.fullmatch(value):
        return (
            f"{value!r} is not a namespace name: lower-case letters, digits and '-', starting "
            "and ending with a letter or digit (a DNS-1123 label, like 'shop' or 'team-a')"
        )
    return None


def object_name_problem(value: str) -> str | None:
    """Why `value` is not an object name (a DNS-1123 subdomain), or None when it is one."""
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        return f"a name is at most {DNS1123_SUBDOMAIN_MAX} characters (not {len(value)})"
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        return (
            f"{value!r} is not a Kubernetes name: lower-case letters, digits, '-' and '.', "
            "each dot-separated part starting and ending with a letter or digit (a DNS-1123 "
            "subdomain, like 'api' or 'api.v2')"
        )
    return None


def stack_name_problem(value: str) -> str | None:
    """Why a MonitoringStack may not be called `value` (beyond object_name_problem)."""
    if len(value) > STACK_NAME_MAX:
        return (
            f"a MonitoringStack's name is at most {STACK_NAME_MAX} characters (not {len(value)}): "
            "it begins the names of its Services and StatefulSets, which Kubernetes limits"
        )
    if not _DNS1035_LABEL.fullmatch(value):
        return (
            f"{value!r} cannot name a MonitoringStack: it begins the names of its Services, "
            "which start with a letter and hold only lower-case letters, digits and '-' "
            "(a DNS-1035 label)"
        )
    return None


def rule_source_name_problem(namespace: str, name: str) -> str | None:
    """Why an AlertPolicy or BusinessKPI in `namespace` may not be called `name`: its rule
    file's name must stay a valid ConfigMap key (and file name)."""
    longest = RULE_FILE_KEY_MAX - RULE_FILE_EXTRA - len(namespace)
    if len(name) > longest:
        return (
            f"in namespace {namespace!r} the name is at most {longest} characters (not "
            f"{len(name)}): its rule file `[kpi__]<namespace>__<name>.yaml` is a ConfigMap key "
            f"of at most {RULE_FILE_KEY_MAX}"
        )
    return None
