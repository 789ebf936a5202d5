"""The output of each selected object checked with promtool and amtool before a stack's
shared files take it: many files per call, a bounded number of calls at once, each in a
thread under a timeout that kills the tool's process group; verdicts remembered by content
hash, so only new or changed output is ever judged."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from augur.api.resources import Problem
from augur.controllers.tool_process import run_tool
from augur.render.tool_checks import (
    CheckItem,
    Tool,
    Verdict,
    check_arguments,
    check_file_names,
    refusal,
    verdicts_of,
)

logger = logging.getLogger("augur.operator")

CACHE_SIZE = 16384
"""Verdicts remembered by content hash (a digest and, when refused, a message each)."""


def run_check(path: str, tool: Tool, texts: list[str], timeout: float) -> list[Verdict]:
    """Judge every text in one call of the tool at `path`, the verdict of each in order; a
    call that takes longer than `timeout` seconds is killed and its files judged again in
    halves, a single file then not judged. Blocks: run it in a thread."""
    names = check_file_names(len(texts))
    try:
        run = run_tool(
            [path, *check_arguments(tool, names)], dict(zip(names, texts, strict=True)), timeout
        )
    except OSError as error:
        return [Verdict(False, f"cannot run {path}: {error.strerror}") for _ in texts]
    if run.timed_out:
        if len(texts) == 1:
            return [Verdict(False, f"{tool.value} ran longer than {timeout:g}s")]
        half = len(texts) // 2
        return run_check(path, tool, texts[:half], timeout) + run_check(
            path, tool, texts[half:], timeout
        )
    return verdicts_of(tool, names, run.stdout, run.stderr)


Runner = Callable[[str, Tool, list[str], float], list[Verdict]]
"""Judges texts with a tool (`run_check`; tests pass another)."""


@dataclass(frozen=True)
class ToolCheckSettings:
    """How the operator checks objects' output (from `augur run`'s flags)."""

    promtool: str | None = None
    """The promtool binary; None: rule files are not checked, and the stack's status says so."""
    amtool: str | None = None
    """The amtool binary; None: Alertmanager configuration is not checked (status says so)."""
    timeout: float = 60.0
    """Longest one tool call may run."""
    concurrency: int = 2
    """Tool calls running at once (over every stack)."""
    batch: int = 200
    """Most files judged in one call."""


@dataclass
class CheckOutcome:
    """What the tools said of one stack's objects."""

    refused: dict[str, list[Problem]] = field(default_factory=dict)
    """Objects a tool refused, by 'Kind/namespace/name', with the tool's message."""
    unchecked: list[str] = field(default_factory=list)
    """Why some output went unjudged (no tool, a timeout): it was let through."""


class ToolChecker:
    """Judges objects' output with promtool and amtool, remembering verdicts by content."""

    def __init__(self, settings: ToolCheckSettings, runner: Runner = run_check) -> None:
        self.settings = settings
        self.runner = runner
        self._cache: OrderedDict[str, str | None] = OrderedDict()
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))
        self.calls = 0
        """Tool calls made (for tests and metrics)."""

    def _path(self, tool: Tool) -> str | None:
        return self.settings.promtool if tool is Tool.PROMTOOL else self.settings.amtool

    async def check(self, items: list[CheckItem]) -> CheckOutcome:
        """Every item's verdict (from the cache, else from the tool); refused objects and why
        some output went unjudged."""
        outcome = CheckOutcome()
        notes: dict[str, None] = {}
        for tool in Tool:
            of_tool = [item for item in items if item.tool is tool]
            if not of_tool:
                continue
            path = self._path(tool)
            if path is None:
                notes[f"no {tool.value}: {len(of_tool)} outputs not checked"] = None
                continue
            fresh = list({i.digest: i for i in of_tool if i.digest not in self._cache}.values())
            for verdict in await self._judge(path, tool, fresh):
                if not verdict.judged and verdict.message:
                    notes[verdict.message] = None
            for item in of_tool:
                if item.digest not in self._cache:
                    continue
                self._cache.move_to_end(item.digest)
                message = self._cache[item.digest]
                if message is not None:
                    outcome.refused.setdefault(item.source, []).append(refusal(tool, message))
        outcome.unchecked = list(notes)
        return outcome

    async def _judge(self, path: str, tool: Tool, items: list[CheckItem]) -> list[Verdict]:
        """Judge `items` in batches, a bounded number of calls at once; judged verdicts are
        remembered."""
        size = max(1, self.settings.batch)
        batches = [items[start : start + size] for start in range(0, len(items), size)]
        results = await asyncio.gather(*(self._call(path, tool, batch) for batch in batches))
        verdicts: list[Verdict] = []
        for batch, found in zip(batches, results, strict=True):
            for item, verdict in zip(batch, found, strict=True):
                if verdict.judged:
                    self._cache[item.digest] = verdict.message
                verdicts.append(verdict)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return verdicts

    async def _call(self, path: str, tool: Tool, batch: list[CheckItem]) -> list[Verdict]:
        async with self._slots:
            self.calls += 1
            texts = [item.text for item in batch]
            try:
                return await asyncio.to_thread(
                    self.runner, path, tool, texts, self.settings.timeout
                )
            except Exception as error:  # a bug here must not stop the stack's render
                logger.exception("%s check of %d files", tool.value, len(batch))
                return [Verdict(False, f"{type(error).__name__}: {error}") for _ in batch]
