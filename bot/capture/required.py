"""What a pattern cannot match without, read from its source: a cheap exact test before the search.

A phrase table is a long alternation that `re` tries at every word start; most lines match none of
it, and proving that costs the full scan. But every match of a branch contains some literal: a word
beginning with `roll`, `deploy` or `won`, or a string such as `->`. `requirement(pattern)` collects,
from the parsed pattern, a set of such literals of which every match contains at least one;
`WordGate` then reads a line once, finding which word beginnings (stems) it has in one scan of all
the tables' stems together, and says which tables can match at all. A table it rules out could not
have matched: the answer is the same, only cheaper. A pattern it cannot reason about (case-folding,
a branch with no literal) is never ruled out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import product
from re import _constants as C
from re import _parser

from bot.capture.regex_factor import factored

# A requirement: strings every match contains one of, as ("stem", s) - a word of the line starts
# with s - or ("sub", s) - s occurs anywhere. None: no requirement known.
Requirement = frozenset[tuple[str, str]]

_MAX_ALTERNATIVES = 8  # spellings a literal run may fork into ("d[ée]ploy": two)
_MAX_SUBS = 8  # more substring tests than this cost more than the search they save


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _likelihood(req: Requirement) -> float:
    """A rough chance that a chat line meets `req`, to keep the tighter of two requirements: a
    one-letter stem is met by most lines, a four-letter one rarely; a substring also costs a test."""
    total = 0.0
    for what, s in req:
        if what == "stem":
            total += 0.4 * 0.12 ** (len(s) - 1)
        else:
            total += 0.02 + 0.6 * 0.2 ** (len(s) - 1)
    return total


def _best(candidates: Iterable[Requirement | None]) -> Requirement | None:
    found = [c for c in candidates if c]
    return min(found, key=_likelihood) if found else None


def _run_requirements(run: list[str], word_start: bool) -> list[Requirement]:
    """Requirements a literal run gives (its spellings all have one length; a match contains one of
    them): the whole run as a substring, and from every place a word starts in it, that word's
    beginning as a stem."""
    out: list[Requirement] = [frozenset(("sub", s) for s in run)]
    width = len(run[0])
    for i in range(width):
        opens = word_start if i == 0 else all(not _is_word(s[i - 1]) for s in run)
        if not opens or not all(_is_word(s[i]) for s in run):
            continue
        stems = set()
        for s in run:
            j = i
            while j < width and _is_word(s[j]):
                j += 1
            stems.add(s[i:j])
        out.append(frozenset(("stem", stem) for stem in stems))
    return out


def _class_chars(items: list[tuple[object, object]]) -> list[str] | None:
    """The characters a small class of plain literals matches (`[ée]`), else None."""
    if len(items) > 3 or any(op is not C.LITERAL for op, _ in items):
        return None
    return [chr(code) for _, code in items]  # type: ignore[call-overload]


def _ends_before_word(items: list[tuple[object, object]]) -> bool:
    """Whether a class matches only non-word characters (`\\s`, `[,;.!]`, `[^\\w\\s]`)."""
    if items and items[0][0] is C.NEGATE:
        return any(op is C.CATEGORY and av is C.CATEGORY_WORD for op, av in items[1:])
    for op, av in items:
        if op is C.LITERAL:
            if _is_word(chr(av)):  # type: ignore[call-overload]
                return False
        elif op is C.CATEGORY:
            if av not in (C.CATEGORY_SPACE, C.CATEGORY_NOT_WORD):
                return False
        else:
            return False
    return True


# Case folding makes a literal stand for other text; ASCII or locale word rules are not the gate's.
_FOLDS = re.IGNORECASE | re.ASCII | re.LOCALE


class _Unusable(Exception):
    """The pattern folds case or changes what a word is somewhere: its literals cannot be relied on."""


def _walk(items: Sequence[tuple[object, object]], start: bool) -> tuple[Requirement | None, bool]:
    """(requirement, word_start after) of a sequence entered where a word character would start a
    word (`start`). Every item of a sequence must match, so its requirement is its items' tightest."""
    items = getattr(items, "data", items)  # a parsed group's SubPattern
    candidates: list[Requirement | None] = []
    run: list[str] = []
    run_start = start
    at = start

    def flush() -> None:
        if run and run[0]:
            candidates.extend(_run_requirements(run, run_start))
        run.clear()

    for op, av in items:
        if op is C.LITERAL:
            c = chr(av)  # type: ignore[call-overload]
            if not run:
                run.append("")
                run_start = at
            run[:] = [s + c for s in run]
            at = not _is_word(c)
            continue
        if op is C.IN:
            chars = _class_chars(av)  # type: ignore[arg-type]
            if chars is not None and len(run or [""]) * len(chars) <= _MAX_ALTERNATIVES:
                if not run:
                    run.append("")
                    run_start = at
                run[:] = [s + c for s, c in product(run, chars)]
                at = all(not _is_word(c) for c in chars)
                continue
            flush()
            if chars is not None:
                candidates.append(frozenset(("sub", c) for c in chars))
            at = _ends_before_word(av)  # type: ignore[arg-type]
            continue
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, sub = av  # type: ignore[misc]
            if low >= 1 and len(sub) == 1 and sub[0][0] is C.LITERAL and run:
                c = chr(sub[0][1])  # "rol{1,2}": at least "rol", and the run goes on only if that is all
                run[:] = [s + c * low for s in run]
                if high != low:
                    flush()
                at = not _is_word(c)
                continue
            flush()
            req, after_first = _walk(sub, at)
            _req, after_more = _walk(sub, after_first)
            after = after_first and after_more if high > 1 else after_first
            if low >= 1:
                candidates.append(req)
                at = after
            else:
                at = at and after
            continue
        if op in (C.SUBPATTERN, C.ATOMIC_GROUP, C.BRANCH):
            if op is C.SUBPATTERN and av[1] & _FOLDS:  # type: ignore[index]
                raise _Unusable
            # A literal run before a group is read on into each of its alternatives: `r(?:oll|evert)`
            # needs a word starting "roll" or "revert", far tighter than one starting "r".
            prefixes = [[(C.LITERAL, ord(c)) for c in spelling] for spelling in run] or [[]]
            entered = run_start if run else at
            flush()
            alternatives = av[1] if op is C.BRANCH else [av[3] if op is C.SUBPATTERN else av]  # type: ignore[index]
            walked = [
                _walk([*prefix, *getattr(alt, "data", alt)], entered)
                for prefix in prefixes
                for alt in alternatives
            ]
            reqs = [req for req, _after in walked]
            candidates.append(None if None in reqs else frozenset().union(*reqs))  # type: ignore[arg-type]
            at = all(after for _req, after in walked)
            continue
        flush()
        if op is C.AT:
            if av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING, C.AT_BOUNDARY):
                at = True
            elif av is C.AT_NON_BOUNDARY:
                at = False
        elif op is C.ASSERT_NOT:
            direction, sub = av  # type: ignore[misc]
            # `(?<![\w-])`, `(?<!\w)`: no word character before - a word starts here.
            if direction == -1 and len(sub) == 1 and sub[0][0] is C.IN:
                if any(o is C.CATEGORY and a is C.CATEGORY_WORD for o, a in sub[0][1]):
                    at = True
        elif op is C.ASSERT:
            pass  # a lookaround consumes nothing; what it asserts is not relied on
        else:
            at = False  # `.`, a negated literal, a back-reference: anything may have been read
    flush()
    return _best(candidates), at


def requirement(pattern: re.Pattern[str]) -> Requirement | None:
    """Literals every match of `pattern` contains one of, or None when that cannot be told."""
    if pattern.flags & _FOLDS:
        return None
    try:
        req, _after = _walk(_parser.parse(pattern.pattern, pattern.flags).data, False)
    except _Unusable:
        return None
    if req is None:
        return None
    # Where one string contains another, the shorter alone says the same ("+1" for "+1" or ":+1:").
    subs = {s for what, s in req if what == "sub"}
    subs = {s for s in subs if not any(t != s and t in s for t in subs)}
    stems = {s for what, s in req if what == "stem" and not any(t in s for t in subs)}
    if len(subs) > _MAX_SUBS:
        return None
    return frozenset([*(("sub", s) for s in subs), *(("stem", s) for s in stems)])


class WordGate:
    """Which of several patterns can match a line, from one scan of the word beginnings they need."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        reqs = [requirement(p) for p in patterns]
        stems = sorted({s for req in reqs if req for w, s in req if w == "stem"}, key=len, reverse=True)
        bits: dict[str, int] = {}
        for i, req in enumerate(reqs):
            for what, s in req or ():
                if what == "stem":
                    bits[s] = bits.get(s, 0) | 1 << i
        # A word matched by its longest known beginning carries the bits of every shorter one too.
        self._bits = {s: _prefix_bits(s, bits) for s in stems}
        self._stems = factored("|".join(stems)) if stems else None
        self._always = sum(1 << i for i, req in enumerate(reqs) if req is None)
        subs = [(1 << i, tuple(s for w, s in req if w == "sub")) for i, req in enumerate(reqs) if req]
        self._subs = tuple((bit, strings) for bit, strings in subs if strings)

    def scan(self, text: str) -> int:
        """Bit i set when pattern i may match `text`; a clear bit means it cannot."""
        mask = self._always
        if self._stems is not None:
            for stem in self._stems.findall(text):
                mask |= self._bits[stem]
        for bit, subs in self._subs:
            if not mask & bit:
                for s in subs:
                    if s in text:
                        mask |= bit
                        break
        return mask


def _prefix_bits(stem: str, bits: dict[str, int]) -> int:
    out = 0
    for n in range(1, len(stem) + 1):
        out |= bits.get(stem[:n], 0)
    return out
