"""Render time of `/postmortem draft` for 1k / 10k / 100k timeline entries.

Run from the repo root: `.venv/bin/python bench/render.py [--runs 5]`. Prints the median of a few runs
for each stage (assemble, Markdown render, Block Kit summary), the change lineage on its own (part of
assemble; it once paired rollbacks with deploys quadratically), the ratio to 1k entries (linear growth
means ~10x per step), and a baseline measured in the same run: a plain `"\\n".join` of f-string rows,
the least any renderer could do. It ends with the 10k → 100k growth of the total and of the lineage
against the target (×≤15: near-linear, where a quadratic step shows as ~×100). No timing is asserted;
the target is ≤ 0.5 s for 10k entries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.postmortem.assemble import build_report
from bot.postmortem.lineage import trace
from bot.postmortem.policy import Policy
from bot.postmortem.render import TemplateRenderer
from bot.postmortem.summary import summary_blocks
from tests.unit import inc1042_entries as inc

SIZES = (1_000, 10_000, 100_000)
TARGET_10K = 0.5  # seconds, total for 10k entries
TARGET_SCALING = 15.0  # 10k → 100k; ×10 is linear, a quadratic stage makes it ~×100


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--template", default="postmortem")
    args = parser.parse_args()

    renderer = TemplateRenderer()
    policy = Policy.from_strings(2, "Mon-Fri 09:00-17:00", UTC)
    followups = inc.followups()
    results: dict[int, dict[str, float]] = {}
    print(f"template={args.template} runs={args.runs} (median seconds)")
    print(
        f"{'entries':>8} {'assemble':>9} {'lineage':>8} {'render':>8} {'summary':>8} {'total':>8} "
        f"{'baseline':>9} {'x base':>7} {'x 1k':>6} {'MB out':>7}"
    )
    for n in SIZES:
        entries = inc.synthetic_entries(n)
        runs = args.runs if n < 100_000 else max(1, min(args.runs, 3))

        def assemble(entries=entries):
            return build_report(inc.INCIDENT, entries, followups, now=inc.NOW, tz=UTC, policy=policy)

        report = assemble()
        markdown = renderer.render(args.template, report)
        t_assemble = median_time(assemble, runs)
        t_lineage = median_time(lambda entries=entries: trace(entries), runs)
        t_render = median_time(lambda report=report: renderer.render(args.template, report), runs)
        t_summary = median_time(lambda report=report: summary_blocks(report, version=2, changed=None), runs)

        def baseline(entries=entries):
            return "\n".join(f"| {e.occurred_at.isoformat()} | {e.kind} | {e.text} |" for e in entries)

        t_base = median_time(baseline, runs)
        total = t_assemble + t_render + t_summary
        results[n] = {"total": total, "lineage": t_lineage}
        ratio = total / results[SIZES[0]]["total"]
        print(
            f"{n:>8} {t_assemble:>9.3f} {t_lineage:>8.3f} {t_render:>8.3f} {t_summary:>8.3f} {total:>8.3f} "
            f"{t_base:>9.3f} {total / t_base:>7.1f} {ratio:>6.1f} {len(markdown) / 1e6:>7.1f}"
        )
    small, large = results[10_000], results[100_000]
    verdict = "ok" if small["total"] <= TARGET_10K else "OVER"
    print(f"10k total {small['total']:.3f} s (target <= {TARGET_10K} s): {verdict}")
    for stage in ("total", "lineage"):
        scaling = large[stage] / small[stage]
        verdict = "ok" if scaling <= TARGET_SCALING else "OVER (superlinear)"
        print(f"10k -> 100k {stage}: x{scaling:.1f} (target x<={TARGET_SCALING:.0f}): {verdict}")


if __name__ == "__main__":
    main()
