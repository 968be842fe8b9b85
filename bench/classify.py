"""Classifier throughput and latency: the labelled corpus and 40 kB adversarial inputs.

    .venv/bin/python bench/classify.py [--rounds N]

Prints messages/second and p50/p99 per-message time, next to a baseline measured in the same run
over the same inputs (a trivial `str.lower()` pass), and the ratio between them. Then checks the
budget from each input's cheapest round (on a shared machine a scheduler pause is not charged to
the classifier): at least MIN_RATE messages/second over the corpus and no input over MAX_INPUT_MS.
Exits 1 naming what is over budget.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from bot.capture.classify import classify

CORPUS = ROOT / "tests" / "data" / "corpus.jsonl"
SIZE = 40_000
MIN_RATE = 15_000
MAX_INPUT_MS = 5.0


def _adversarial() -> list[tuple[str, bool]]:
    """Near-matches repeated to 40 kB: each is built to make a careless regex backtrack."""
    fill = lambda chunk: (chunk * (SIZE // len(chunk) + 1))[:SIZE]  # noqa: E731
    texts = [
        fill("rolling "),  # verb prefix that never completes
        fill("roll back " + "x " * 40),  # rollback verb followed by junk
        fill("if the errors "),  # conditional without an action
        fill("<@U024BE7LH"),  # unterminated Slack markup
        fill("<https://example.com/" + "a" * 50 + "|"),  # unterminated link label
        fill("[FIRING:1"),  # unterminated Alertmanager title
        fill("v1.2."),  # version that never ends
        fill("checkout-api-"),  # hyphenated name that never ends
        fill("a1b2c3d4e5f6"),  # endless hex
        fill("```"),  # fence storm
        fill("> rolling back\n"),  # quote storm
        fill("Application x"),  # Argo CD prefix without a verb
        fill(" - #1 Still"),  # Jenkins status prefix
        fill("deploy-"),  # deploy word glued to dashes
        fill("2026-02-10T10:03:15Z ERROR x\n"),  # log paste
        "ack " + "x" * (SIZE - 4),  # an event hidden in a long line
    ]
    return [(t, b) for t in texts for b in (False, True)]


def _measure(
    inputs: Sequence[tuple[str, bool]], fn: Callable[[str, bool], object], rounds: int
) -> list[float]:
    times: list[float] = []
    for _ in range(rounds):
        for text, is_bot in inputs:
            started = time.perf_counter()
            fn(text, is_bot)
            times.append(time.perf_counter() - started)
    return times


def _row(name: str, times: list[float]) -> tuple[str, float, float, float]:
    total = sum(times)
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return name, len(times) / total if total else float("inf"), statistics.median(ordered) * 1e6, p99 * 1e6


def _report(title: str, inputs: Sequence[tuple[str, bool]], rounds: int) -> None:
    # Warm up caches and the regex engine before timing.
    for text, is_bot in inputs[:50]:
        classify(text, is_bot)
    ours = _row("classify", _measure(inputs, classify, rounds))
    base = _row("baseline str.lower()", _measure(inputs, lambda t, _b: t.lower(), rounds))
    print(f"\n{title}: {len(inputs)} inputs x {rounds} rounds")
    print(f"  {'':<22}{'msgs/s':>12}{'p50 µs':>10}{'p99 µs':>10}")
    for name, rate, p50, p99 in (ours, base):
        print(f"  {name:<22}{rate:>12,.0f}{p50:>10.1f}{p99:>10.1f}")
    print(
        f"  ratio classify/baseline: p50 x{ours[2] / base[2]:.0f}, throughput x{base[1] / ours[1]:.0f} slower"
    )


def _cheapest(inputs: Sequence[tuple[str, bool]], rounds: int) -> list[float]:
    """Each input's cheapest time over `rounds` classifications, in seconds."""
    return [min(_measure([item], classify, rounds)) for item in inputs]


def _slowest(inputs: Sequence[tuple[str, bool]], rounds: int) -> tuple[float, str]:
    """(ms, text) of the input whose cheapest round costs most."""
    costs = _cheapest(inputs, rounds)
    worst = max(range(len(costs)), key=costs.__getitem__)
    return costs[worst] * 1e3, inputs[worst][0]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    with CORPUS.open(encoding="utf-8") as fh:
        corpus = [(row["text"], row["bot"]) for row in map(json.loads, fh) if row]
    _report("corpus", corpus, args.rounds)
    rate = len(corpus) / sum(_cheapest(corpus, args.rounds))
    print(f"  corpus at each input's cheapest round: {rate:,.0f} msgs/s")
    adversarial = _adversarial()
    _report(f"adversarial {SIZE // 1000} kB", adversarial, max(1, args.rounds // 10))
    slowest_ms, slowest = _slowest([*corpus, *adversarial], 5)
    print(f"\nslowest input: {slowest_ms:.2f} ms ({slowest[:40]!r}…)")
    over = []
    if rate < MIN_RATE:
        over.append(f"corpus throughput {rate:,.0f} msgs/s < {MIN_RATE:,}")
    if slowest_ms > MAX_INPUT_MS:
        over.append(f"an input takes {slowest_ms:.2f} ms > {MAX_INPUT_MS} ms")
    if over:
        sys.exit("over budget: " + "; ".join(over))
    print(f"within budget: >= {MIN_RATE:,} msgs/s, every input <= {MAX_INPUT_MS} ms")


if __name__ == "__main__":
    main()
