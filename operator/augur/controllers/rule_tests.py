"""AlertPolicy rule tests run with promtool, off the reconcile path.

A policy whose tests or rendered rules change asks for a run (`request`) and gets on at once:
a background task gathers the waiting policies, answers those whose files it has run before
from its cache (by content hash), and runs the others' test files together, many per
`promtool test rules` call (each start of promtool costs about 0.08 s of processor time),
a bounded number of calls at once, each in a thread under a timeout that kills promtool's
process group. A call that times out is split in halves and run again, so one slow policy
only times out itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from augur.controllers.tool_process import run_tool
from augur.render.rules.ruletests import SUITE_FILE, SuiteFiles, junit_suites, verdicts
from augur.status.rule_tests import RuleTestRun, failed_run, run_of

logger = logging.getLogger("augur.operator")

CACHE_SIZE = 4096
"""Runs remembered by content hash (a few KB each)."""


def run_promtool(promtool: str, suites: list[SuiteFiles], timeout: float) -> list[RuleTestRun]:
    """Run every suite in one `promtool test rules` call (each in its own folder), the result
    of each in order; a call that takes longer than `timeout` seconds is killed and its suites
    run again in halves, a single suite then reported as TimedOut. Blocks: run it in a thread."""
    files: dict[str, str] = {}
    names = []
    for index, suite in enumerate(suites):
        for name, text in suite.files.items():
            files[f"{index}/{name}"] = text
        names.append(f"{index}/{SUITE_FILE}")
    try:
        run = run_tool(
            [promtool, "test", "rules", "--junit=junit.xml", *names],
            files,
            timeout,
            read_back=["junit.xml"],
        )
    except OSError as error:
        detail = f"cannot run {promtool}: {error.strerror}"
        return [failed_run("PromtoolUnavailable", detail) for _ in suites]
    if run.timed_out:
        if len(suites) == 1:
            return [failed_run("TimedOut", f"promtool ran longer than {timeout:g}s")]
        half = len(suites) // 2
        return run_promtool(promtool, suites[:half], timeout) + run_promtool(
            promtool, suites[half:], timeout
        )
    report = run.outputs.get("junit.xml")
    return _results(suites, names, report, (run.stderr or run.stdout).strip())


def _results(
    suites: list[SuiteFiles], names: list[str], report: str | None, output: str
) -> list[RuleTestRun]:
    """Each suite's result from promtool's JUnit report (None: it wrote none)."""
    if report is None:
        return [failed_run("PromtoolFailed", output or "promtool wrote no report") for _ in suites]
    try:
        by_file = junit_suites(report)
    except ParseError as error:
        return [failed_run("PromtoolFailed", f"unreadable report: {error}") for _ in suites]
    runs = []
    for suite, name in zip(suites, names, strict=True):
        cases = by_file.get(name)
        if cases is None:
            runs.append(failed_run("PromtoolFailed", output or f"no result for {name}"))
        else:
            runs.append(run_of(verdicts(suite.tests, cases)))
    return runs


Runner = Callable[[str, list[SuiteFiles], float], list[RuleTestRun]]
"""Runs suites with promtool (`run_promtool`; tests pass another)."""


@dataclass(frozen=True)
class RuleTestSettings:
    """How the operator runs rule tests (from `augur run`'s flags)."""

    promtool: str | None = None
    """The promtool binary; None: there is none, and TestsPassed says so."""
    timeout: float = 60.0
    """Longest one promtool call may run."""
    concurrency: int = 1
    """promtool calls running at once."""
    batch: int = 200
    """Most policies tested in one promtool call."""


class RuleTestRunner:
    """Runs the rule tests of policies as they ask, and keeps each policy's last result."""

    def __init__(self, settings: RuleTestSettings, runner: Runner = run_promtool) -> None:
        self.settings = settings
        self.runner = runner
        self.on_result: Callable[[str], Awaitable[None]] | None = None
        """Called with a policy's namespace/name when its result changed."""
        self._latest: dict[str, str] = {}
        """The digest each policy last asked to be tested with."""
        self._pending: dict[str, SuiteFiles] = {}
        self._results: dict[str, RuleTestRun] = {}
        self._cache: OrderedDict[str, RuleTestRun] = OrderedDict()
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))
        self._task: asyncio.Task[None] | None = None
        self._runs: set[asyncio.Task[None]] = set()

    def result(self, key: str) -> RuleTestRun | None:
        """The last result of the policy's current tests (None: not run yet)."""
        return self._results.get(key)

    def request(self, key: str, suite: SuiteFiles) -> None:
        """Test policy `key` with `suite` (replacing what it asked before); returns at once."""
        digest = suite.digest()
        if self._latest.get(key) == digest:
            return
        self._latest[key] = digest
        self._results.pop(key, None)
        self._pending[key] = suite
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._serve())
        self._wake.set()

    def forget(self, key: str) -> None:
        """The policy went, or has no tests any more."""
        self._latest.pop(key, None)
        self._pending.pop(key, None)
        self._results.pop(key, None)

    async def close(self) -> None:
        """Stop the background task and wait for running calls to end."""
        tasks = [t for t in (self._task, *self._runs) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until nothing is waiting or running (for tests)."""
        while self._pending or self._runs:
            await asyncio.sleep(0.01)

    async def _serve(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._slots.acquire()
                batch = self._take()
                if not batch:
                    self._slots.release()
                    continue
                task = asyncio.get_running_loop().create_task(self._run(batch))
                self._runs.add(task)
                task.add_done_callback(self._runs.discard)

    def _take(self) -> dict[str, SuiteFiles]:
        """Up to a batch of waiting policies; the ones whose files ran before get the cached
        result at once."""
        batch: dict[str, SuiteFiles] = {}
        for key in list(self._pending):
            if len(batch) >= self.settings.batch:
                break
            suite = self._pending.pop(key)
            cached = self._cache.get(self._latest.get(key, ""))
            if cached is not None:
                self._cache.move_to_end(self._latest[key])
                self._finish(key, self._latest[key], cached)
            else:
                batch[key] = suite
        return batch

    async def _run(self, batch: dict[str, SuiteFiles]) -> None:
        try:
            digests = {key: suite.digest() for key, suite in batch.items()}
            runs = await self._runs_of(list(batch.values()))
            for (key, digest), run in zip(digests.items(), runs, strict=True):
                if run.problem is None:  # a timeout or a missing binary may pass next time
                    self._cache[digest] = run
                    while len(self._cache) > CACHE_SIZE:
                        self._cache.popitem(last=False)
                self._finish(key, digest, run)
        finally:
            self._slots.release()

    async def _runs_of(self, suites: list[SuiteFiles]) -> list[RuleTestRun]:
        promtool = self.settings.promtool
        if promtool is None:
            detail = "no promtool: give `augur run --promtool PATH`, or put promtool on PATH"
            return [failed_run("PromtoolUnavailable", detail) for _ in suites]
        try:
            return await asyncio.to_thread(self.runner, promtool, suites, self.settings.timeout)
        except Exception as error:  # a bug here must not stop the runner
            logger.exception("rule tests of %d policies", len(suites))
            return [
                failed_run("PromtoolFailed", f"{type(error).__name__}: {error}") for _ in suites
            ]

    def _finish(self, key: str, digest: str, run: RuleTestRun) -> None:
        """Keep a result when it is of the files the policy last asked for, and say so."""
        if self._latest.get(key) != digest:
            return  # the policy changed meanwhile: its newer files are waiting
        self._results[key] = run
        if self.on_result is not None:
            task = asyncio.get_running_loop().create_task(self._notify(key))
            self._runs.add(task)
            task.add_done_callback(self._runs.discard)

    async def _notify(self, key: str) -> None:
        assert self.on_result is not None
        try:
            await self.on_result(key)
        except Exception:  # a failed status write must not stop the runner
            logger.exception("status of AlertPolicy %s after its rule tests", key)
