"""Go templates in alert texts and receivers: what text/template refuses, refused on the field.

The cases are compared with the pinned tools in `test_template_checks_agree_with_the_tools`:
promtool parses an annotation as Prometheus does, `amtool template render` runs a receiver's.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.api.resources import InvalidObject, parse_resource
from augur.api.templates import ALERTMANAGER, PROMETHEUS, reloader_reference, template_problem

BROKEN = [
    "{{ $labels.x",
    "{{ nosuchfunc 1 }}",
    "{{ end }}",
    "{{ if $value }}never ended",
    "{{ else }}",
    "{{ }}",
    "{{ (1 }}",
    "{{ $undeclared }}",
    '{{ "open }}',
    "{{/* open comment }}",
    '{{ define "b" }}{{ $labels }}{{ end }}',
]
PROMETHEUS_FINE = [
    "plain",
    "{{ $labels.instance }} is down",
    "{{ $value | humanize }}",
    "{{ if gt $value 1.0 }}a{{ else }}b{{ end }}",
    '{{ printf "%.2f" $value }}',
    "{{ with $labels.job }}{{ . }}{{ end }}",
    "{{- /* note */ -}}{{ $x := 1 }}{{ $x }}",
    '{{ "}}" }}',
]
ALERTMANAGER_FINE = [
    "{{ .Status }}",
    '{{ template "__subject" . }}',
    "{{ range $i, $a := .Alerts }}{{ $i }}{{ .Labels.a }}{{ end }}",
    "{{ range .Alerts }}{{ break }}{{ end }}",
    '{{ .Status | toUpper | printf "%s" }}',
    '{{ define "a" }}x{{ end }}{{ template "a" . }}',
]


@pytest.mark.parametrize("text", BROKEN)
def test_broken_templates_refused_in_both_dialects(text: str) -> None:
    assert template_problem(text, PROMETHEUS) is not None
    assert template_problem(text, ALERTMANAGER) is not None


@pytest.mark.parametrize("text", PROMETHEUS_FINE)
def test_prometheus_templates_accepted(text: str) -> None:
    assert template_problem(text, PROMETHEUS) is None


@pytest.mark.parametrize("text", ALERTMANAGER_FINE)
def test_alertmanager_templates_accepted(text: str) -> None:
    assert template_problem(text, ALERTMANAGER) is None


def test_dialects_differ_in_variables_functions_and_templates() -> None:
    assert template_problem("{{ $labels.a }}", ALERTMANAGER) is not None
    assert template_problem("{{ humanize 1 }}", ALERTMANAGER) is not None
    assert template_problem('{{ date "x" .Status }}', PROMETHEUS) is not None
    assert template_problem('{{ template "nosuch" . }}', ALERTMANAGER) == (
        'not a valid template: no such template "nosuch"'
    )


def test_reloader_references() -> None:
    assert reloader_reference("a $(UNSET) b") == "$(UNSET)"
    assert reloader_reference("$ (X) $X ${X} $()") is None


def policy(**spec: Any) -> dict[str, Any]:
    meta = {"name": "p", "namespace": "team"}
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": meta,
        "spec": spec,
    }


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidObject) as caught:
        parse_resource(doc)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"summary": "{{ $labels.x"}, "spec.alerts[0].summary"),
        ({"description": "{{ nosuchfunc 1 }}"}, "spec.alerts[0].description"),
        ({"annotations": {"a": "{{ end }}"}}, "spec.alerts[0].annotations"),
        ({"labels": {"team": "{{ $labels.x"}}, "spec.alerts[0].labels"),
    ],
)
def test_alert_templates_refused_on_their_field(fields: dict[str, Any], path: str) -> None:
    alert = {"name": "A", "severity": "high", "expr": "up", **fields}
    found = problems(policy(alerts=[alert]))
    assert len(found) == 1 and found[0].startswith(f"{path}: "), found
    assert "not a valid template" in found[0]


SLACK = {"apiURL": {"secretKeyRef": {"name": "s", "key": "k"}}}


@pytest.mark.parametrize(
    ("channel", "words"),
    [
        ({**SLACK, "text": "{{ .Status"}, "text: not a valid template: unclosed action"),
        ({**SLACK, "title": "$(UNSET)"}, "title: $(UNSET) would be replaced"),
    ],
)
def test_receiver_templates_and_reloader_references_refused(
    channel: dict[str, Any], words: str
) -> None:
    found = problems(policy(receivers=[{"name": "r", "slack": channel}]))
    assert len(found) == 1 and found[0].startswith("spec.receivers[0].slack: "), found
    assert words in found[0]


def test_reloader_reference_in_a_matcher_refused() -> None:
    route = {"receivers": ["default"], "matchers": ['team="$(TEAM)"']}
    found = problems(policy(routing={"routes": [route]}))
    assert found and "$(TEAM) would be replaced by the configuration reloader" in found[0]


@pytest.mark.tools
def test_template_checks_agree_with_the_tools(promtool: Path, amtool: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.tmpl"
    empty.write_text("")
    for index, text in enumerate(BROKEN + PROMETHEUS_FINE):
        rule = {"alert": "A", "expr": "up", "annotations": {"s": text}}
        path = tmp_path / f"{index}.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [rule]}]}))
        done = subprocess.run([str(promtool), "check", "rules", str(path)], capture_output=True)
        assert (done.returncode == 0) == (template_problem(text, PROMETHEUS) is None), text
    for text in BROKEN + ALERTMANAGER_FINE:
        done = subprocess.run(
            [
                str(amtool),
                "template",
                "render",
                f"--template.glob={empty}",
                f"--template.text={text}",
            ],
            capture_output=True,
        )
        assert (done.returncode == 0) == (template_problem(text, ALERTMANAGER) is None), text
