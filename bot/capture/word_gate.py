"""One scan of a line's words that says which of several patterns cannot match it (pure).

A pattern matches only where one of its branches does (`regex_factor.branches`: a factored table is
read branch by branch), and a branch only where the line has what `required.requirement` says it
needs: a string of each of its sets. The gate finds the listed words of a line in one regex scan;
each word found points to the branches whose tightest set has it, and only those branches' other
sets are checked - the word sets from the same scan, a set with substrings by `in`. A pattern
whose bit is clear cannot match; one with a set bit may.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.capture.regex_factor import branches, word_alternation
from bot.capture.required import PUNCTUATION, requirement, string_implies

# A branch as the gate checks it: its pattern's bit, the bits of the sets the word scan decides, and
# the sets with substrings (each with its bit, for its words).
_Branch = tuple[int, int, tuple[tuple[int, tuple[str, ...]], ...]]
# The branches a string points to, by pattern: (pattern bit, ((need, lazy sets), …)), …
_ByPattern = tuple[tuple[int, tuple[tuple[int, tuple[tuple[int, tuple[str, ...]], ...]], ...]], ...]


class WordGate:
    """Which of several patterns can match a line, from one scan of the words they need."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        sets: dict[frozenset[tuple[str, str]], int] = {}  # each set's bit
        self._always = 0
        keyed: dict[tuple[str, str], set[_Branch]] = {}  # a string of a tightest set -> its branches
        for i, pattern in enumerate(patterns):
            for branch in branches(pattern):
                req = requirement(branch, pattern.flags)
                if not req:
                    self._always |= 1 << i
                    break
                # Reached through its tightest set, a branch then needs its other sets: those the
                # word scan decides at once, those with substrings tested only then.
                others = []
                for strings in req[1:]:
                    subs = tuple(s for what, s in strings if what == "sub")
                    if not any(len(s) == 1 and s in PUNCTUATION for s in subs):  # not in every line
                        others.append((1 << sets.setdefault(strings, len(sets)), strings, subs))
                for key in req[0]:
                    # What the key itself implies is not checked again ("back" then "back" or "bak").
                    needed = [o for o in others if not any(string_implies(key, y) for y in o[1])]
                    need = sum(bit for bit, _strings, subs in needed if not subs)
                    lazy = tuple((bit, subs) for bit, _strings, subs in needed if subs)
                    keyed.setdefault(key, set()).add((1 << i, need, lazy))
        prefix_bits: dict[str, int] = {}
        word_bits: dict[str, int] = {}
        for what, s in keyed:
            if what != "sub":
                (prefix_bits if what == "stem" else word_bits).setdefault(s, 0)
        for strings, bit in sets.items():
            for what, s in strings:
                if what != "sub":
                    table = prefix_bits if what == "stem" else word_bits
                    table[s] = table.get(s, 0) | 1 << bit
        # The scan finds each word's longest listed beginning (a whole word `w` as `w(?!\\w)`): it
        # stands for every listed beginning of it, and for its whole word if it is one.
        spellings = {s: s for s in prefix_bits} | {
            s: s + r"(?!\w)" for s in word_bits if s not in prefix_bits
        }
        implied = {
            s: [("stem", s[:n]) for n in range(1, len(s) + 1) if s[:n] in prefix_bits] + [("word", s)]
            for s in spellings
        }
        self._bits = {s: _bits_of(keys, prefix_bits, word_bits) for s, keys in implied.items()}
        self._branches = {s: _merged(keyed, keys) for s, keys in implied.items()}
        ordered = sorted(spellings, key=len, reverse=True)
        self._words = word_alternation([spellings[s] for s in ordered]) if ordered else None
        self._sub_branches = tuple((s, _merged(keyed, [(what, s)])) for what, s in keyed if what == "sub")

    def scan(self, text: str) -> int:
        """Bit i set when pattern i may match `text`; a clear bit means it cannot."""
        words = self._words.findall(text) if self._words is not None else ()
        found = 0
        for word in words:
            found |= self._bits[word]
        missing = 0  # sets with substrings found absent, as `found` holds those found present
        mask = self._always
        groups = [self._branches[word] for word in words]
        groups.extend(by_pattern for s, by_pattern in self._sub_branches if s in text)
        for by_pattern in groups:
            for pattern_bit, alternatives in by_pattern:
                if mask & pattern_bit:
                    continue
                for need, lazy in alternatives:
                    if found & need != need:
                        continue
                    for bit, subs in lazy:
                        if found & bit:
                            continue
                        if missing & bit:
                            break
                        for s in subs:
                            if s in text:
                                found |= bit
                                break
                        else:
                            missing |= bit
                            break  # none of this set's strings: the branch cannot match
                    else:
                        mask |= pattern_bit
                        break
        return mask


def _bits_of(keys: list[tuple[str, str]], prefix_bits: dict[str, int], word_bits: dict[str, int]) -> int:
    out = 0
    for what, s in keys:
        out |= (prefix_bits if what == "stem" else word_bits).get(s, 0)
    return out


def _merged(keyed: dict[tuple[str, str], set[_Branch]], keys: list[tuple[str, str]]) -> _ByPattern:
    """The branches the keys point to, by pattern, cheapest test first, without one that needs all
    that another of its pattern needs."""
    found = set().union(*(keyed.get(key, ()) for key in keys))
    kept = [b for b in found if not any(_weaker(other, b) for other in found if other != b)]
    by_pattern: dict[int, list[tuple[int, tuple[tuple[int, tuple[str, ...]], ...]]]] = {}
    for bit, need, lazy in sorted(kept, key=lambda b: (len(b[2]), b[1].bit_count())):
        by_pattern.setdefault(bit, []).append((need, lazy))
    return tuple((bit, tuple(alternatives)) for bit, alternatives in sorted(by_pattern.items()))


def _weaker(a: _Branch, b: _Branch) -> bool:
    """Whether `a` passes whenever `b` does (same pattern, needs a part of what `b` needs)."""
    return a[0] == b[0] and a[1] & b[1] == a[1] and set(a[2]) <= set(b[2])
