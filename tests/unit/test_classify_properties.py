"""Properties of the classifier on arbitrary input: it never raises, is deterministic, answers a
contract kind, and its refs are contract keys whose values occur verbatim in the input."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.capture.classify import Classifier, classify
from bot.domain import KINDS, REF_KEYS

_MARKUP = st.sampled_from(
    [
        "<@U024BE7LH>",
        "<@U024BE7LH|alice>",
        "<#C0123|incident-42>",
        "<!here>",
        "<!subteam^S1|@sre>",
        "<https://example.com|label>",
        "<https://example.com>",
        "&amp;",
        "&lt;",
        "&gt;",
        "```",
        "> ",
        ">>>",
        "<",
        ">",
        "|",
        "<!date^1392734382^{date}|Feb 18>",
        ":eyes:",
        "\n",
    ]
)
_WORDS = st.sampled_from(
    [
        "rolling back",
        "rollback",
        "deploy",
        "deployed",
        "v1.2.3",
        "to",
        "prod",
        "ack",
        "on it",
        "resolved",
        "[FIRING:2]",
        "[RESOLVED]",
        "[Triggered]",
        "Application",
        "has degraded.",
        "Rollout",
        "#42",
        "INC-1",
        "DEP-7781",
        "checkout-api",
        "?",
        "not",
        "let's",
        'Revert "x"',
        "kubectl rollout undo deployment/x",
        "Helm rollback",
        "kustomization/apps.flux-system",
        " - #1 Success after 1 sec",
        "Deploy to prod succeeded",
    ]
)
_TEXT = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(_MARKUP, _WORDS, st.text(max_size=12)), max_size=60).map(" ".join),
)


def _check(text: str, is_bot: bool) -> None:
    first = classify(text, is_bot)
    second = classify(text, is_bot)
    assert first == second
    assert first.kind in KINDS
    assert set(first.refs) <= set(REF_KEYS)
    for value in first.refs.values():
        assert isinstance(value, str) and value
        assert value in text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT, st.booleans())
def test_any_text(text: str, is_bot: bool) -> None:
    _check(text, is_bot)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.lists(st.one_of(_MARKUP, _WORDS), min_size=1, max_size=8).map(" ".join), st.booleans())
def test_huge_inputs(chunk: str, is_bot: bool) -> None:
    text = (chunk * (40_000 // max(1, len(chunk)) + 1))[:40_000]
    started = time.perf_counter()
    _check(text, is_bot)
    # Not a benchmark: a generous bound that only catastrophic backtracking would break.
    assert time.perf_counter() - started < 2.0


def test_adversarial_near_matches_stay_fast() -> None:
    for text in (
        "<" * 40_000,
        "<@" + "U" * 39_990 + "|",
        "rolling " * 5000,
        "[FIRING:" + "1" * 39_990,
        "a-" * 20_000,
        "v1." * 13_000,
        "```" * 13_000,
        ("roll back " + "x " * 60) * 400,
        "if " * 13_000 + "roll",
        " " * 40_000,
    ):
        started = time.perf_counter()
        _check(text, False)
        _check(text, True)
        assert time.perf_counter() - started < 2.0, text[:30]


def test_classifier_with_bot_identity_is_total() -> None:
    c = Classifier()
    result = c.classify("", True, bot_id="B1", bot_name="")
    assert result.kind == "other"
