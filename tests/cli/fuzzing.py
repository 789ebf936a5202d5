"""Mutated example documents and the check every one must pass: `augur render` (which loads,
validates and renders) ends with a clean user error or success, never an exception, and
writes nothing outside its output folder. Shared by the fuzz test and `bench/robustness.py`
(a longer run)."""

from __future__ import annotations

import re
import tempfile
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import strategies as st

from augur.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = {
    str(p.relative_to(REPO)): p.read_text() for p in sorted((REPO / "examples").rglob("*.yaml"))
}
VICTIM = "@VICTIM@"
"""Stands for an absolute folder outside the output, made (with a file in it) for each run."""

NASTY_SCALARS = [
    VICTIM,
    "../../escaped",
    "../..",
    "..",
    ".",
    "a/b",
    "a" * 300,
    "",
    "up + " * 1000 + "up",
    "(" * 3000 + "up" + ")" * 3000,
    "sum(rate(x[5m])) by (job) >",
    'up{job="a" or job="b"}',
    "rate(up[999999999y])",
    "{{ $labels.x",
    "$(UNSET)",
    "99999999999999999999s",
    "0",
    "-1",
    "1e999",
    ".inf",
    ".nan",
    "null",
    "~",
    "true",
    "0x10",
    "2024-01-01",
    "\U0001f600" * 5,
    "a\nb",
    "\\",
    "%",
]
NASTY_YAML = [
    "&a [x, x]",
    "*undefined",
    "[" * 200 + "]" * 200,
    "{a: &b [1, *b]}",
    "!!binary aGk=",
    "!!python/object/apply:os.system [echo]",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "? [a, b]\n: c",
    "|\n  text",
    "'unterminated",
    "- x\n- y",
    "{a: 1, a: 2}",
    "[a, b]",
    "{}",
]
_SCALAR_VALUE = re.compile(r"(?m)(:[ ]+)([^\n#{}\[\],&*!|>'\"%@`][^\n#]*)$")


def _bomb(levels: int) -> str:
    parts = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        parts.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "{" + ", ".join(parts) + "}"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> str:
    """One change to the text: a span deleted, junk inserted, a scalar value or a line
    replaced by something nasty, a line duplicated."""
    kind = draw(st.sampled_from(["delete", "insert", "scalar", "yaml", "line", "duplicate"]))
    if kind == "delete":
        start = draw(st.integers(0, len(text)))
        return text[:start] + text[start + draw(st.integers(1, 40)) :]
    if kind == "insert":
        at = draw(st.integers(0, len(text)))
        junk = draw(
            st.sampled_from(NASTY_SCALARS + NASTY_YAML)
            | st.text(alphabet=":-[]{}&*!|>'\"#,? \n\tax0.", max_size=12)
        )
        return text[:at] + junk + text[at:]
    matches = list(_SCALAR_VALUE.finditer(text))
    if kind in ("scalar", "yaml") and matches:
        match = draw(st.sampled_from(matches))
        pool = NASTY_SCALARS if kind == "scalar" else [*NASTY_YAML, _bomb(9)]
        value = draw(st.sampled_from(pool))
        if kind == "scalar":
            value = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
            value = value.removesuffix("\n...").removesuffix("...").strip()
        return text[: match.start(2)] + value + text[match.end(2) :]
    lines = text.split("\n")
    index = draw(st.integers(0, len(lines) - 1))
    if kind == "duplicate":
        return "\n".join([*lines[: index + 1], lines[index], *lines[index + 1 :]])
    indent = draw(st.sampled_from(["", "  ", "    ", "\t"]))
    lines[index] = indent + draw(st.sampled_from(NASTY_YAML))
    return "\n".join(lines)


@st.composite
def data_mutation(draw: st.DrawFn, text: str) -> str:
    """A value somewhere in the parsed documents replaced (by a nasty scalar, random data or
    deep nesting), or a key dropped; written back as YAML."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except (yaml.YAMLError, RecursionError):
        return text  # an earlier mutation broke the YAML: nothing to walk
    if not documents:
        return text
    document = draw(st.sampled_from(documents))
    node: Any = document
    for _ in range(draw(st.integers(0, 6))):
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        containers = [(k, v) for k, v in children if isinstance(v, dict | list) and v]
        if not containers:
            break
        _, node = draw(st.sampled_from(containers))
    keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
    if not keys:
        return text
    key = draw(st.sampled_from(keys))
    how = draw(st.sampled_from(["nasty", "random", "deep", "drop"]))
    if how == "drop":
        del node[key]
    elif how == "nasty":
        node[key] = draw(st.sampled_from(NASTY_SCALARS))
    elif how == "random":
        node[key] = draw(_JSON)
    else:
        deep: Any = "x"
        for _ in range(draw(st.integers(90, 400))):
            deep = [deep]
        node[key] = deep
    return yaml.safe_dump_all(documents, sort_keys=False)


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    """An example file (or two together) after one to four mutations."""
    text = EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))]
    if draw(st.booleans()):
        text += "\n---\n" + EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))]
    for _ in range(draw(st.integers(1, 4))):
        mutation = text_mutation(text) if draw(st.booleans()) else data_mutation(text)
        text = draw(mutation)
    return text


class Crash(AssertionError):
    """An input that made augur raise, or write outside its output folder."""


def files_outside(work: Path, out: Path) -> set[str]:
    """Every path under `work` except those under `out`."""
    return {str(p.relative_to(work)) for p in work.rglob("*") if not p.is_relative_to(out)}


def check_input(text: str) -> str:
    """Run `augur render` on `text`; return 'rendered' (exit 0) or 'refused' (a clean user
    error, exit 1). Raise Crash on an exception or on a change outside the output folder."""
    with tempfile.TemporaryDirectory(prefix="augur-fuzz-") as folder:
        work = Path(folder)
        victim = work / "victim"
        victim.mkdir()
        (victim / "keep").write_text("keep")
        source = work / "in" / "input.yaml"
        source.parent.mkdir()
        source.write_text(text.replace(VICTIM, str(victim)))
        out = work / "a" / "b" / "out"  # so that `../..` from DIR/<namespace> stays in `work`
        out.parent.mkdir(parents=True)
        before = files_outside(work, out)
        result = CliRunner().invoke(main, ["render", "-f", str(source), "--out-dir", str(out)])
        error = result.exception
        if error is not None and not isinstance(error, SystemExit):
            trace = "".join(traceback.format_exception(error))
            raise Crash(f"{type(error).__name__}: {error}\n{trace}")
        if result.exit_code not in (0, 1):
            raise Crash(f"exit code {result.exit_code}: {result.output}")
        changed = files_outside(work, out) ^ before
        if changed or (victim / "keep").read_text() != "keep":
            raise Crash(f"changed outside the output folder: {sorted(changed)}")
        return "rendered" if result.exit_code == 0 else "refused"


OUTCOMES: Counter[str] = Counter()
"""What check_input returned, over a run (read by bench/robustness.py)."""
