"""Labelled message sets (JSON lines: text, bot, kind, refs, source) and how the classifier scores
on them: shared by the corpus test and the held-out test."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.capture.classify import classify
from bot.domain import KINDS

DATA = Path(__file__).resolve().parents[1] / "data"


def load(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


Prediction = tuple[dict, str, dict]


def predict(rows: list[dict]) -> list[Prediction]:
    return [(row, (r := classify(row["text"], row["bot"])).kind, dict(r.refs)) for row in rows]


@dataclass(frozen=True)
class Scores:
    per_kind: dict[str, tuple[int, float, float]]  # kind -> (n, precision, recall)
    accuracy: float
    macro_recall: float
    refs_exact: float


def score(predictions: list[Prediction]) -> Scores:
    """Per-kind precision/recall, printed as a table with the misclassified lines (`pytest -s`)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for row, kind, _refs in predictions:
        if kind == row["kind"]:
            tp[kind] += 1
        else:
            fp[kind] += 1
            fn[row["kind"]] += 1
    per_kind: dict[str, tuple[int, float, float]] = {}
    print(f"\n{'kind':<16}{'n':>5}{'precision':>11}{'recall':>9}")
    for kind in KINDS:
        n = tp[kind] + fn[kind]
        precision = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else 1.0
        recall = tp[kind] / n if n else 1.0
        per_kind[kind] = (n, precision, recall)
        print(f"{kind:<16}{n:>5}{precision:>11.3f}{recall:>9.3f}")
    exact = sum(1 for row, _kind, refs in predictions if refs == row["refs"]) / len(predictions)
    scores = Scores(
        per_kind=per_kind,
        accuracy=sum(tp.values()) / len(predictions),
        macro_recall=sum(r for _n, _p, r in per_kind.values()) / len(per_kind),
        refs_exact=exact,
    )
    print(f"accuracy {scores.accuracy:.3f}  macro recall {scores.macro_recall:.3f}  refs exact {exact:.3f}")
    for row, kind, _refs in predictions:
        if kind != row["kind"]:
            print(f"  {row['kind']} -> {kind}: {row['text'][:100]!r}")
    return scores
