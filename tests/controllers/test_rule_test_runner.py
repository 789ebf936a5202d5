"""The rule-test runner: batches, cache, bounded calls, timeouts, and a real promtool run."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from augur.api.resources import AlertPolicy, parse_resource
from augur.controllers.rule_tests import RuleTestRunner, RuleTestSettings, run_promtool
from augur.render.rules.files import policy_rule_file
from augur.render.rules.ruletests import SuiteFiles, suite_files, translate
from augur.render.rules.tenancy import RuleScope
from augur.status.rule_tests import RuleTestEntry, RuleTestRun

POLICY = {
    "apiVersion": "augur.dev/v1alpha1",
    "kind": "AlertPolicy",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {
        "alerts": [{"name": "Down", "severity": "high", "expr": "up == 0", "for": "1m"}],
        "tests": [
            {
                "name": "fires",
                "inputSeries": [{"series": 'up{job="a"}', "values": "0x20"}],
                "expectAlerts": [{"alert": "Down", "at": "5m"}],
            },
            {
                "name": "quiet",
                "inputSeries": [{"series": "up{", "values": "1x20"}],
                "expectAlerts": [{"alert": "Down", "at": "5m", "firing": False}],
            },
        ],
    },
}


def policy() -> AlertPolicy:
    resource = parse_resource(POLICY)
    assert isinstance(resource, AlertPolicy)
    return resource


def suite(text: str) -> SuiteFiles:
    return SuiteFiles({"tests.yaml": text}, [])


class FakePromtool:
    """Records the suites of each call; each suite's result names its test file's text."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.running = 0
        self.most_running = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()

    def __call__(
        self, promtool: str, suites: list[SuiteFiles], timeout: float
    ) -> list[RuleTestRun]:
        with self.lock:
            self.calls.append([s.files["tests.yaml"] for s in suites])
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        self.release.wait(10)
        with self.lock:
            self.running -= 1
        return [RuleTestRun((RuleTestEntry(s.files["tests.yaml"], True),)) for s in suites]


def runner(fake: FakePromtool, **settings: object) -> tuple[RuleTestRunner, list[str]]:
    done: list[str] = []
    tests = RuleTestRunner(RuleTestSettings("promtool", **settings), fake)  # type: ignore[arg-type]

    async def record(key: str) -> None:
        done.append(key)

    tests.on_result = record
    return tests, done


async def test_waiting_policies_run_together_and_results_are_reported() -> None:
    fake = FakePromtool()
    tests, done = runner(fake)
    for name in ("a", "b", "c"):
        tests.request(f"ns/{name}", suite(name))
    await tests.idle()
    assert fake.calls == [["a", "b", "c"]]
    assert sorted(done) == ["ns/a", "ns/b", "ns/c"]
    result = tests.result("ns/b")
    assert result is not None and result.results[0].name == "b"
    await tests.close()


async def test_same_files_are_not_run_again() -> None:
    fake = FakePromtool()
    tests, done = runner(fake)
    tests.request("ns/a", suite("a"))
    await tests.idle()
    tests.request("ns/a", suite("a"))  # unchanged: nothing to do
    tests.request("ns/a", suite("a2"))
    await tests.idle()
    tests.request("ns/a", suite("a"))  # back to the first files: the cached result
    tests.request("ns/other", suite("a"))  # another policy with the very same files, too
    await tests.idle()
    assert fake.calls == [["a"], ["a2"]]
    assert done == ["ns/a", "ns/a", "ns/a", "ns/other"]
    result = tests.result("ns/a")
    assert result is not None and result.results[0].name == "a"
    await tests.close()


async def test_calls_are_bounded_in_number_and_size() -> None:
    fake = FakePromtool()
    fake.release.clear()
    tests, _ = runner(fake, batch=2, concurrency=2)
    for name in "abcde":
        tests.request(f"ns/{name}", suite(name))
    while len(fake.calls) < 2:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert len(fake.calls) == 2  # the third call waits for a free slot
    fake.release.set()
    await tests.idle()
    assert fake.calls == [["a", "b"], ["c", "d"], ["e"]]
    assert fake.most_running == 2
    await tests.close()


async def test_a_result_of_files_replaced_meanwhile_is_dropped() -> None:
    fake = FakePromtool()
    fake.release.clear()
    tests, done = runner(fake)
    tests.request("ns/a", suite("old"))
    while not fake.calls:
        await asyncio.sleep(0.01)
    tests.request("ns/a", suite("new"))
    assert tests.result("ns/a") is None
    fake.release.set()
    await tests.idle()
    result = tests.result("ns/a")
    assert result is not None and result.results[0].name == "new"
    assert done == ["ns/a"]
    await tests.close()


async def test_without_promtool_the_result_says_so() -> None:
    fake = FakePromtool()
    tests = RuleTestRunner(RuleTestSettings(None), fake)
    tests.request("ns/a", suite("a"))
    await tests.idle()
    result = tests.result("ns/a")
    assert result is not None and result.problem == "PromtoolUnavailable"
    assert fake.calls == []
    await tests.close()


def hanging_promtool(tmp_path: Path) -> tuple[Path, Path]:
    """A 'promtool' that starts a child and hangs; the child's pid is written down."""
    pids = tmp_path / "pids"
    script = tmp_path / "promtool"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! >> {pids}\nwait\n")
    script.chmod(0o755)
    return script, pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie until its reaper runs counts as gone
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_a_call_that_times_out_is_killed_with_its_children_and_split(tmp_path: Path) -> None:
    script, pids = hanging_promtool(tmp_path)
    runs = run_promtool(str(script), [suite("a"), suite("b")], 0.5)
    assert [r.problem for r in runs] == ["TimedOut", "TimedOut"]
    started = [int(line) for line in pids.read_text().split()]
    assert len(started) == 3  # the pair, then each alone
    assert not any(alive(pid) for pid in started)


def test_a_missing_binary_is_unavailable(tmp_path: Path) -> None:
    runs = run_promtool(str(tmp_path / "nothing"), [suite("a")], 5)
    assert runs[0].problem == "PromtoolUnavailable"


def test_a_binary_writing_no_report_failed(tmp_path: Path) -> None:
    script = tmp_path / "promtool"
    script.write_text("#!/bin/sh\necho 'unknown flag' >&2\nexit 2\n")
    script.chmod(0o755)
    runs = run_promtool(str(script), [suite("a")], 5)
    assert runs[0].problem == "PromtoolFailed"
    assert runs[0].detail == "unknown flag"


@pytest.mark.tools
def test_one_promtool_call_tests_many_policies(promtool: Path) -> None:
    p = policy()
    scope = RuleScope("shop")
    rule_file = policy_rule_file(p, scope)
    tests = [translate(p, t, scope) for t in p.spec.tests]
    good = suite_files([("shop__api.yaml", rule_file.text())], tests[:1], "1m")
    broken = suite_files([("shop__api.yaml", "groups: [\n")], tests[:1], "1m")
    both = suite_files([("shop__api.yaml", rule_file.text())], tests, "1m")
    runs = run_promtool(str(promtool), [good, broken, both], 60)
    assert [r.problem for r in runs] == [None, None, None]
    assert [(e.name, e.passed) for e in runs[0].results] == [("fires", True)]
    assert not runs[1].results[0].passed
    assert "shop__api.yaml" in runs[1].results[0].message
    assert [(e.name, e.passed) for e in runs[2].results] == [("fires", True), ("quiet", False)]
    assert "parse error" in runs[2].results[1].message  # the input series up{, as promtool says
