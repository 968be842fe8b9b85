"""`required`: the literals a pattern cannot match without, and the gate built on them.

The gate may only rule a pattern out when it cannot match: checked on every text of the corpora
(as `human.phrase_kind` reads them) and on generated lines made of the tables' own words.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.capture.events import RULES
from bot.capture.guards import GUARD, RETRO
from bot.capture.required import WordGate, requirement

DATA = Path(__file__).resolve().parents[1] / "data"
PATTERNS = [*(pattern for _kind, pattern in RULES), GUARD, RETRO]
GATE = WordGate(PATTERNS)


def _stems(source: str) -> set[str] | None:
    req = requirement(re.compile(source))
    return None if req is None else {f"{what}:{s}" for what, s in req}


def test_word_beginnings_after_a_boundary_are_stems() -> None:
    assert _stems(r"\b(?:roll(?:ing)? back|revert\w*)\b") == {"stem:roll", "stem:revert"}
    # A literal run is read on into the group after it; a small class forks it.
    assert _stems(r"\br(?:oll|evert)") == {"stem:roll", "stem:revert"}
    assert _stems(r"\bd[ée]ploy") == {"stem:deploy", "stem:déploy"}
    # After a non-word character a word starts too; "rol{1,2}" needs at least "rol".
    assert _stems(r", rol{1,2}back") == {"stem:rol"}
    assert _stems(r"(?<![\w-])sev\d") == {"stem:sev"}


def test_literals_inside_words_are_substrings() -> None:
    assert _stems(r"\w+ing\b") == {"sub:ing"}
    assert _stems(r"(?<=\d) ?(?:->|=>)") == {"sub:->", "sub:=>"}
    # The shorter of two strings where one contains the other says the same.
    assert _stems(r"\+1|:\+1:") == {"sub:+1"}


def test_unknowable_patterns_have_no_requirement() -> None:
    assert _stems(r"\b\w+\b") is None
    assert _stems(r"\bfoo|.{3}") is None  # one branch needs nothing
    assert _stems(r"(?i:deploy)") is None  # case-folded: "DEPLOY" matches too
    assert requirement(re.compile("deploy", re.I)) is None
    assert _stems(r"a?b?") is None


def test_gate_rules_out_lines_without_the_words() -> None:
    mask = GATE.scan("saw a weird blip")
    names = [kind for kind, _p in RULES] + ["guard", "retro"]
    assert [names[i] for i in range(len(names)) if mask >> i & 1] == []
    mask = GATE.scan("rolling back checkout now")
    assert mask & (1 << [kind for kind, _p in RULES].index("rollback"))


def _corpus_lines() -> list[str]:
    lines = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append(" ".join(json.loads(line)["text"].split()).lower())
    return lines


def test_gate_never_rules_out_a_pattern_that_matches_the_corpus() -> None:
    checked = 0
    for text in _corpus_lines():
        mask = GATE.scan(text)
        for i, pattern in enumerate(PATTERNS):
            if pattern.search(text):
                assert mask >> i & 1, (i, text)
                checked += 1
    assert checked > 500


_WORDS = sorted({w for t in _corpus_lines() for w in re.findall(r"\S+", t)})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12), st.sampled_from(["", " ", ", ", "-"]))
def test_gate_never_rules_out_a_pattern_that_matches_generated_lines(words: list[str], sep: str) -> None:
    text = sep.join(words) if sep != " " else " ".join(words)
    mask = GATE.scan(text)
    for i, pattern in enumerate(PATTERNS):
        if pattern.search(text):
            assert mask >> i & 1, (i, text)
