"""`required`: the literals a pattern cannot match without, and the gate built on them.

The gate may only rule a pattern out when it cannot match: checked on lines `hypothesis` writes from
every table branch's own regex, on every text of the corpora (as `human.phrase_kind` reads them) and
on lines made of the corpora's words.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from bot.capture.events import RULES
from bot.capture.guards import GUARD, RETRO, SET_ASIDE
from bot.capture.regex_factor import branches, factored
from bot.capture.required import requirement
from bot.capture.word_gate import WordGate

DATA = Path(__file__).resolve().parents[1] / "data"
PATTERNS = [*(pattern for _kind, pattern in RULES), GUARD, RETRO, SET_ASIDE]
GATE = WordGate(PATTERNS)


def _holds(source: str, text: str) -> bool:
    """Whether `text` has what `requirement(source)` says every match needs."""
    return _holds_req(requirement(source), text)


def _holds_req(req: tuple[frozenset[tuple[str, str]], ...], text: str) -> bool:
    words = re.findall(r"\w+", text)
    return all(
        any(
            (what == "sub" and s in text)
            or (what == "stem" and any(w.startswith(s) for w in words))
            or (what == "word" and s in words)
            for what, s in strings
        )
        for strings in req
    )


def _rules_out(source: str, texts: list[str]) -> list[str]:
    pattern = re.compile(source)
    assert all(not pattern.search(t) for t in texts)
    return [t for t in texts if not _holds(source, t)]


def test_word_beginnings_after_a_boundary_are_stems_and_words() -> None:
    source = r"\b(?:roll(?:ing)? back|revert\w*)\b"
    assert _holds(source, "rolling back now") and _holds(source, "reverted it")
    assert _rules_out(source, ["enrolling back", "unroll back", "scrolled back"]) == [
        "enrolling back",
        "unroll back",
        "scrolled back",
    ]
    # A literal run is read on into the group after it; a small class forks it.
    assert requirement(r"\br(?:oll|evert)")[0] == frozenset({("stem", "roll"), ("stem", "revert")})
    assert requirement(r"\bd[ée]ploy")[0] == frozenset({("stem", "deploy"), ("stem", "déploy")})
    # A word followed by a non-word character (or `\b`) is a whole word; "rol{1,2}" needs "rol".
    assert requirement(r"(?<![\w-])sev\b")[0] == frozenset({("word", "sev")})
    assert frozenset({("stem", "rol")}) in requirement(r", rol{1,2}back")
    # An optional character forks the spelling: "oom-ing" or "ooming".
    assert _rules_out(r"\boom-?ing\b", ["room-ing", "zooming", "oomph"]) == ["room-ing", "zooming", "oomph"]


def test_every_set_of_a_sequence_is_needed() -> None:
    source = r"\bwon't (?:roll back|revert)\b"
    assert _holds(source, "we won't roll back")
    assert _rules_out(source, ["won the game", "we will revert", "won't rollback"]) == [
        "won the game",
        "we will revert",
        "won't rollback",
    ]


def test_literals_inside_words_are_substrings() -> None:
    assert requirement(r"\w+ing\b") == (frozenset({("sub", "ing")}),)
    assert requirement(r"(?<=\d) ?(?:->|=>)")[0] == frozenset({("sub", "->"), ("sub", "=>")})
    # The shorter of two strings where one contains the other says the same.
    assert frozenset({("sub", "+1")}) in requirement(r"\+1|:\+1:")


def test_unknowable_patterns_have_no_requirement() -> None:
    assert requirement(r"\b\w+\b") == ()
    assert requirement(r"\bfoo|.{3}") == ()  # one branch needs nothing
    assert requirement(r"(?i:deploy)") == ()  # case-folded: "DEPLOY" matches too
    assert requirement(r"(?i)deploy") == ()
    assert requirement("deploy", re.I) == ()
    assert requirement(r"a?b?") == ()


def test_a_factored_pattern_is_read_branch_by_branch() -> None:
    pattern = factored(r"\bwon't deploy\b|\bcan't deploy\b|^hold\b")
    assert branches(pattern) == (r"\bwon't deploy\b", r"\bcan't deploy\b", r"^hold\b")
    gate = WordGate([pattern])
    assert gate.scan("we won't deploy today") == 1
    assert gate.scan("hold") == 1
    # Each word alone is in some branch, but no branch has all it needs.
    assert gate.scan("won't sleep, can't deploy the fix") == 1
    assert gate.scan("won't sleep, can't wait to deploy") == 0


def test_gate_rules_out_lines_without_the_words() -> None:
    names = [kind for kind, _p in RULES] + ["guard", "retro"]
    mask = GATE.scan("saw a weird blip")
    assert [names[i] for i in range(len(names)) if mask >> i & 1] == []
    mask = GATE.scan("rolling back checkout now")
    assert mask & (1 << names.index("rollback"))


def _corpus_lines() -> list[str]:
    lines = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append(" ".join(json.loads(line)["text"].split()).lower())
    return lines


def test_gate_never_rules_out_a_pattern_that_matches_the_corpus() -> None:
    checked = ruled_out = 0
    for text in _corpus_lines():
        mask = GATE.scan(text)
        for i, pattern in enumerate(PATTERNS):
            if pattern.search(text):
                assert mask >> i & 1, (i, text)
                checked += 1
            elif not mask >> i & 1:
                ruled_out += 1
    assert checked > 500
    assert ruled_out > 5 * checked  # and it is worth having


_WORDS = sorted({w for t in _corpus_lines() for w in re.findall(r"\S+", t)})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12), st.sampled_from([" ", ", ", "-", ""]))
def test_gate_never_rules_out_a_pattern_that_matches_generated_lines(words: list[str], sep: str) -> None:
    text = sep.join(words)
    mask = GATE.scan(text)
    for i, pattern in enumerate(PATTERNS):
        if pattern.search(text):
            assert mask >> i & 1, (i, text)


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern[:20])
def test_every_branch_s_own_matches_have_what_it_needs(pattern: re.Pattern[str]) -> None:
    """Lines `hypothesis` writes from each branch's own regex (either side of an optional part, any
    alternative) have what `requirement` says the branch needs."""
    results = [_unmet(branch) for branch in branches(pattern)]
    failures = [failure for result in results if result for failure in result]
    assert not failures, failures[:3]
    assert sum(result is None for result in results) <= 1  # a branch hypothesis cannot write


def _unmet(branch: str) -> list[str] | None:
    compiled, req, failures = re.compile(branch), requirement(branch), []

    @settings(max_examples=5, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(compiled))
    def check(text: str) -> None:
        if compiled.search(text) and not _holds_req(req, text):
            failures.append(f"{branch!r} matches {text!r}")

    try:
        check()
    except Unsatisfiable:  # a lookaround `from_regex` cannot satisfy
        return None
    return failures
