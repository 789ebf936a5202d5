"""The chart's files as they are on disk: CRDs current, versions in step with augur."""

from __future__ import annotations

import json

import yaml
from chartrender import CHART

import augur
from augur.commands.crds import crd_files


def test_chart_crds_are_the_generated_crds() -> None:
    expected = crd_files()
    on_disk = {p.name: p.read_text() for p in (CHART / "crds").glob("*.yaml")}
    assert sorted(on_disk) == sorted(expected), "run `make crds`"
    for name, text in expected.items():
        assert on_disk[name] == text, f"charts/augur/crds/{name} is stale: run `make crds`"


def test_chart_crds_are_the_top_level_crds() -> None:
    top = CHART.parents[1] / "crds"
    for path in (CHART / "crds").glob("*.yaml"):
        assert path.read_text() == (top / path.name).read_text(), path.name


def test_chart_and_app_version_are_augurs() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["version"] == augur.__version__
    assert chart["appVersion"] == augur.__version__


def test_every_default_value_is_described_by_the_schema() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert schema["additionalProperties"] is False
    assert sorted(values) == sorted(schema["properties"])
