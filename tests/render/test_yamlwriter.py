"""The YAML writer writes what PyYAML's safe dumper writes, for every shape renderers produce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from augur.render import yamlwriter
from augur.render.yamlwriter import dump_yaml, dump_yaml_documents

RENDER_TESTS = Path(__file__).resolve().parent
GOLDEN_FILES = sorted(RENDER_TESTS.glob("*/golden/**/*.yaml"))
"""The golden files of every component's tests (tests/render/<component>/golden/)."""


class ReferenceDumper(yaml.SafeDumper):
    """PyYAML's pure-Python safe dumper with augur's conventions."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


ReferenceDumper.add_representer(
    str,
    lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None),
)


def reference(documents: list[Any]) -> str:
    return yaml.dump_all(
        documents, Dumper=ReferenceDumper, sort_keys=False, allow_unicode=True, width=100
    )


def test_scalars_yaml_would_misread_are_quoted() -> None:
    data = {"a": ["yes", "no", "on", "null", "1", "1.5", "02:00", "18:00", "'q'", "#x", "a: b"]}
    data |= {"b": {"multi": "line\nbreak", "flag": True, "n": 3, "empty": [], "none": {}}}
    data |= {"f": [0.001, 1e-07, 3.0, -2.5, float("inf"), 1e20], "z": None}
    assert dump_yaml(data) == reference([data])
    assert yaml.safe_load(dump_yaml(data))["f"][:4] == [0.001, 1e-07, 3.0, -2.5]


@pytest.mark.parametrize("path", GOLDEN_FILES[:60], ids=lambda p: str(p.relative_to(RENDER_TESTS)))
def test_golden_documents_write_as_pyyaml_writes_them(path: Path) -> None:
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert dump_yaml_documents(documents) == reference(documents)


def test_without_libyaml_pyyaml_s_emitter_writes_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = [
        d
        for path in GOLDEN_FILES[:20]
        for d in yaml.safe_load_all(path.read_text())
        if d is not None
    ]
    with_libyaml = dump_yaml_documents(documents)
    monkeypatch.setattr(yamlwriter, "_LIBYAML", None)
    assert dump_yaml_documents(documents) == with_libyaml == reference(documents)


scalars = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=20),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
plain = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), plain, max_size=5))
def test_any_plain_data_reads_back_the_same(data: dict[str, Any]) -> None:
    # (libyaml and PyYAML's emitter differ on a few layouts, e.g. an empty key; both read back
    # the same, which is what matters for data beyond the shapes of the goldens above)
    assert yaml.safe_load(dump_yaml(data)) == data
