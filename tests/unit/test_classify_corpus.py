"""The labelled corpus (tests/data/corpus.jsonl) against the built-in classifier.

Thresholds: per-kind precision >= 0.95 and recall >= 0.90, refs exact-match >= 0.90 (the whole
refs dict equal). Run with `-s` to see the table.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.capture.classify import classify
from bot.domain import KINDS, REF_KEYS

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus.jsonl"
MIN_PRECISION = 0.95
MIN_RECALL = 0.90
MIN_REFS_EXACT = 0.90


def _load() -> list[dict]:
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


ROWS = _load()


def test_corpus_is_well_formed() -> None:
    assert len(ROWS) >= 330
    for row in ROWS:
        assert set(row) == {"text", "bot", "kind", "refs", "source"}, row
        assert row["kind"] in KINDS, row
        assert isinstance(row["bot"], bool)
        assert row["source"], row
        assert set(row["refs"]) <= set(REF_KEYS), row
    assert {row["kind"] for row in ROWS} == set(KINDS), "every kind is represented"


def test_corpus_refs_are_substrings_of_the_text() -> None:
    for row in ROWS:
        for key, value in row["refs"].items():
            assert isinstance(value, str) and value, (key, row)
            assert value in row["text"], (key, value, row["text"][:200])


@pytest.fixture(scope="module")
def predictions() -> list[tuple[dict, str, dict]]:
    out = []
    for row in ROWS:
        result = classify(row["text"], row["bot"])
        out.append((row, result.kind, dict(result.refs)))
    return out


def test_per_kind_precision_and_recall(predictions: list[tuple[dict, str, dict]]) -> None:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for row, kind, _refs in predictions:
        if kind == row["kind"]:
            tp[kind] += 1
        else:
            fp[kind] += 1
            fn[row["kind"]] += 1
    failures = []
    print(f"\n{'kind':<16}{'n':>5}{'precision':>11}{'recall':>9}")
    for kind in KINDS:
        n = tp[kind] + fn[kind]
        precision = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else 1.0
        recall = tp[kind] / n if n else 1.0
        print(f"{kind:<16}{n:>5}{precision:>11.3f}{recall:>9.3f}")
        if precision < MIN_PRECISION or recall < MIN_RECALL:
            failures.append(f"{kind}: precision {precision:.3f} recall {recall:.3f}")
    wrong = [(row["kind"], kind, row["text"][:100]) for row, kind, _ in predictions if kind != row["kind"]]
    print(f"total {len(predictions)}, misclassified {len(wrong)}")
    for expected, got, text in wrong:
        print(f"  {expected} -> {got}: {text!r}")
    assert not failures, failures


def test_refs_exact_match(predictions: list[tuple[dict, str, dict]]) -> None:
    exact = sum(1 for row, _kind, refs in predictions if refs == row["refs"])
    ratio = exact / len(predictions)
    print(f"\nrefs exact-match {exact}/{len(predictions)} = {ratio:.3f}")
    assert ratio >= MIN_REFS_EXACT


def test_classifier_refs_are_substrings(predictions: list[tuple[dict, str, dict]]) -> None:
    for row, _kind, refs in predictions:
        assert set(refs) <= set(REF_KEYS)
        for value in refs.values():
            assert value in row["text"]


def test_integrations_name_their_source() -> None:
    sources = {classify(row["text"], True).source for row in ROWS if row["bot"]}
    for name in (
        "alertmanager",
        "grafana",
        "grafana_oncall",
        "datadog",
        "sentry",
        "pagerduty",
        "opsgenie",
        "argocd",
        "argo_rollouts",
        "flux",
        "jenkins",
        "spinnaker",
        "gitlab",
        "github",
        "heroku",
        "hubot-deploy",
    ):
        assert name in sources, name
