"""The labelled corpus (tests/data/corpus.jsonl) against the built-in classifier.

Thresholds: per-kind precision >= 0.95 and recall >= 0.90, refs exact-match >= 0.90 (the whole
refs dict equal). Run with `-s` to see the table.
"""

from __future__ import annotations

import pytest

from bot.capture.classify import classify
from bot.domain import KINDS, REF_KEYS
from tests.unit.labelled import Prediction, load, predict, score

MIN_PRECISION = 0.95
MIN_RECALL = 0.90
MIN_REFS_EXACT = 0.90


ROWS = load("corpus.jsonl")


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
def predictions() -> list[Prediction]:
    return predict(ROWS)


def test_per_kind_precision_and_recall_and_refs(predictions: list[Prediction]) -> None:
    scores = score(predictions)
    failures = [
        f"{kind}: precision {p:.3f} recall {r:.3f}"
        for kind, (_n, p, r) in scores.per_kind.items()
        if p < MIN_PRECISION or r < MIN_RECALL
    ]
    if scores.refs_exact < MIN_REFS_EXACT:
        failures.append(f"refs exact-match {scores.refs_exact:.3f} < {MIN_REFS_EXACT}")
    assert not failures, failures


def test_classifier_refs_are_substrings(predictions: list[Prediction]) -> None:
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
