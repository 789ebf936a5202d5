"""What the operator asks promtool and amtool to judge before a stack's shared files take an
object's output, and how their answers map back to objects.

Prometheus and Alertmanager refuse a whole reload when one part is invalid; where augur's own
validation cannot judge exactly as they do, each object's own output (the rule file of an
AlertPolicy, a BusinessKPI or a PrometheusRule, an AlertPolicy's part of the Alertmanager
configuration) is checked
alone, and a refused object is left out of the stack (`without_refused`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from augur.api.resources import Problem
from augur.render.rules.files import source_name
from augur.render.selection import StackInputs
from augur.render.stack import StackMemo


class Tool(StrEnum):
    """A program that judges one kind of output."""

    PROMTOOL = "promtool"
    AMTOOL = "amtool"


@dataclass(frozen=True)
class Verdict:
    """A tool's answer on one file."""

    judged: bool
    """False: the tool gave no answer (it timed out, or could not run); `message` says why."""
    message: str | None = None
    """Why the tool refused the file (None: it accepted it, when judged)."""

    @property
    def refused(self) -> bool:
        """True when the tool judged the file and refused it."""
        return self.judged and self.message is not None


def verdicts_of(tool: Tool, names: Sequence[str], stdout: str, stderr: str) -> list[Verdict]:
    """Each file's verdict from one call's output, in the order of `names`; a file the tool
    did not report on is not judged (the call failed before it)."""
    if tool is Tool.PROMTOOL:
        found = promtool_verdicts(names, stdout, stderr)
    else:
        found = amtool_verdicts(names, stdout)
    problem = (stderr or stdout).strip().splitlines()
    why = f"{tool.value} gave no verdict: {problem[-1] if problem else 'no output'}"
    return [Verdict(True, found[n]) if n in found else Verdict(False, why) for n in names]


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One object's output for one tool to judge."""

    source: str
    """'Kind/namespace/name' of the object."""
    tool: Tool
    text: str
    digest: str = field(init=False, compare=False)
    """What a verdict is remembered by: the tool and the text."""

    def __post_init__(self) -> None:
        data = f"{self.tool.value}\0{self.text}".encode()
        object.__setattr__(self, "digest", hashlib.sha256(data).hexdigest())


PreviousItems = Mapping[tuple[str, Tool], CheckItem]
"""The items of an earlier pass, by (source, tool): an item whose text is the very same
string is taken again, its digest not computed again."""


def _item(source: str, tool: Tool, text: str, previous: PreviousItems | None) -> CheckItem:
    before = previous.get((source, tool)) if previous is not None else None
    if before is not None and before.text is text:
        return before
    return CheckItem(source, tool, text)


def rule_file_items(memo: StackMemo, previous: PreviousItems | None = None) -> list[CheckItem]:
    """The rule file of every object a render kept a file for (objects already left out for
    other reasons have none)."""
    return [
        _item(source, Tool.PROMTOOL, rendered.text, previous)
        for source, rendered in memo.rule_files.items()
        if not rendered.problems
    ]


def alertmanager_items(
    configs: Mapping[str, str], previous: PreviousItems | None = None
) -> list[CheckItem]:
    """Each policy's smallest configuration (by 'AlertPolicy/namespace/name'), to judge."""
    return [_item(source, Tool.AMTOOL, text, previous) for source, text in configs.items()]


def check_file_names(count: int) -> list[str]:
    """The names the files of one tool call are written under (never a user's text)."""
    return [f"{index}.yml" for index in range(count)]


def check_arguments(tool: Tool, names: Sequence[str]) -> list[str]:
    """The arguments after the tool's path that judge `names`."""
    if tool is Tool.PROMTOOL:
        return ["check", "rules", "--lint=none", *names]
    return ["check-config", *names]


def promtool_verdicts(names: Sequence[str], stdout: str, stderr: str) -> dict[str, str | None]:
    """From `promtool check rules` output: each file it reports on, None when it accepted it,
    else its messages (without the file name). A file it did not report on is absent (not
    judged: the call failed before it)."""
    checked: dict[str, bool] = {}
    current: str | None = None
    for line in stdout.splitlines():
        if line.startswith("Checking "):
            current = line.removeprefix("Checking ").strip()
            checked[current] = False
        elif current is not None and line.strip().startswith("SUCCESS"):
            checked[current] = True
    messages: dict[str, list[str]] = {}
    owner: str | None = None
    for line in stderr.splitlines():
        text = line.strip()
        if not text or text == "FAILED:":
            continue
        prefixed = next((n for n in names if text.startswith(f"{n}: ")), None)
        if prefixed is not None:
            owner = prefixed
            text = text.removeprefix(f"{prefixed}: ")
        if owner is not None:
            messages.setdefault(owner, []).append(text)
    return {
        name: None if checked[name] else "; ".join(messages.get(name, [])) or "refused"
        for name in names
        if name in checked
    }


def amtool_verdicts(names: Sequence[str], stdout: str) -> dict[str, str | None]:
    """From `amtool check-config` output: each file it reports on, None when it accepted it,
    else its message. A file it did not report on is absent."""
    verdicts: dict[str, str | None] = {}
    current: str | None = None
    for line in stdout.splitlines():
        found = next((n for n in names if line.startswith(f"Checking '{n}'")), None)
        if found is not None:
            current = found
            rest = line.removeprefix(f"Checking '{found}'").strip()
            if rest.startswith("SUCCESS"):
                verdicts[found] = None
                current = None
            else:
                verdicts[found] = rest.removeprefix("FAILED:").strip() or "refused"
        elif current is not None and line.strip():
            verdicts[current] = f"{verdicts[current]} {line.strip()}"
        else:
            current = None
    return verdicts


def refusal(tool: Tool, message: str) -> Problem:
    """The problem a refused object is reported with."""
    what = "its rules" if tool is Tool.PROMTOOL else "its Alertmanager configuration"
    return Problem("", f"{tool.value} refuses {what}: {message}")


def without_refused(inputs: StackInputs, refused: Mapping[str, Iterable[Problem]]) -> StackInputs:
    """`inputs` without the objects in `refused` (by 'Kind/namespace/name'), which join the
    rejected ones with their problems."""
    rejected = {key: list(problems) for key, problems in inputs.rejected.items()}
    for key, problems in refused.items():
        rejected.setdefault(key, []).extend(problems)
    return replace(
        inputs,
        alert_policies=[p for p in inputs.alert_policies if source_name(p) not in refused],
        business_kpis=[k for k in inputs.business_kpis if source_name(k) not in refused],
        prometheus_rules=[r for r in inputs.prometheus_rules if source_name(r) not in refused],
        rejected=rejected,
    )
