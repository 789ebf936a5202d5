"""Robustness figures: the time to refuse or place an error in a long PromQL expression, and a
long run of the fuzz test's check over mutated example documents.

Run: .venv/bin/python bench/robustness.py [--fuzz-examples N] [--seed S]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

from augur.api.promql import PromQLError, check_promql

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "cli"))
from fuzzing import Crash, check_input, mutated_examples


def chain_input(size: int) -> str:
    """The issue's input: `up + up + … +`, `size` characters (a syntax error at the end)."""
    return ("up + " * (size // 5 + 1))[:size].rstrip(" u") + " +"


def flat_input(size: int) -> str:
    """One selector with many matchers, then a dangling `+`: one level deep, so the error is
    placed by the binary search over prefixes."""
    matchers: list[str] = []
    length = 0
    while length < size - 10:
        matchers.append(f'l{len(matchers)}="v"')
        length += len(matchers[-1]) + 2
    return "up{" + ", ".join(matchers) + "} +"


def time_check(expr: str) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        check_promql(expr)
        outcome = "valid"
    except PromQLError as error:
        outcome = error.reason.split(":")[0]
    return time.perf_counter() - start, outcome


def promql_table() -> None:
    print("| input | size | time | outcome |")
    print("|---|---:|---:|---|")
    for name, make in (("`up + … +`", chain_input), ("flat, error at the end", flat_input)):
        for size in (1024, 4096, 65536):
            expr = make(size)
            elapsed, outcome = time_check(expr)
            print(f"| {name} | {len(expr) / 1024:.0f} KB | {elapsed * 1000:.1f} ms | {outcome} |")


def fuzz_run(examples: int, run_seed: int) -> None:
    outcomes: Counter[str] = Counter()
    crashes: list[str] = []

    @seed(run_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
        database=None,
    )
    @given(mutated_examples())
    def run(text: str) -> None:
        try:
            outcomes[check_input(text)] += 1
        except Crash as crash:
            outcomes["crash"] += 1
            crashes.append(str(crash).splitlines()[0])

    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    tried = sum(outcomes.values())
    print(
        f"fuzz: {tried} inputs in {elapsed:.0f} s: {outcomes['rendered']} rendered, "
        f"{outcomes['refused']} refused with a clean error, {outcomes['crash']} crashes"
    )
    for line in crashes:
        print("  crash:", line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fuzz-examples", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    promql_table()
    fuzz_run(args.fuzz_examples, args.seed)


if __name__ == "__main__":
    main()
