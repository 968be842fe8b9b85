"""What a regex cannot match without, read from its parsed source (pure).

Every match of a phrase-table branch contains some literals: a word beginning with `roll`, the word
`won`, a string such as `->`. `requirement(source)` collects sets of them - every match contains
one string of each set - so that `word_gate.WordGate` can tell, from one scan of a line's words,
that a table cannot match it and skip the search: the answer is the same, only cheaper. Where the
source does not tell (case folding, a branch with no literal) the requirement is empty and nothing
is ruled out. The sets kept are the tightest by a rough estimate of how often chat lines have them
(`_likelihood`); any sets would be correct, tighter ones rule more out.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from itertools import product
from re import _constants as C

from bot.capture.regex_factor import is_word, parsed

# A requirement is a conjunction of alternatives: every match contains, for each set, one of its
# strings - ("stem", s): a word of the line starts with s; ("word", s): a word is s; ("sub", s): s
# occurs anywhere. An empty conjunction says nothing.
Strings = frozenset[tuple[str, str]]
Requirement = tuple[Strings, ...]

_MAX_SETS = 4  # sets kept per requirement, tightest first
_MAX_ALTERNATIVES = 8  # spellings a literal run may fork into ("d[ée]ploy": two)
_MAX_SUBS = 8  # more substring tests than this cost more than the search they save
# Words most lines have: a stem they start with, or the word itself, rules little out.
_COMMON = frozenset(
    "a an and are as at be but by can do for from go has have i if in is it its me my no not now of ok on "
    "or our so that the then there this to up us was we what when will with you".split()
)
_COMMON_PREFIXES = frozenset(w[:n] for w in _COMMON for n in range(1, len(w) + 1))
_COMMON_PARTS = frozenset(w[i:j] for w in _COMMON for i in range(len(w)) for j in range(i + 1, len(w) + 1))
PUNCTUATION = frozenset(" ,.:;'\"-()/!?")


@functools.lru_cache(maxsize=16384)
def _likelihood(strings: Strings) -> float:
    """A rough chance that a chat line has one of `strings`, to keep the tightest sets: a word
    beginning of one letter is in most lines, of four rarely; a substring also costs a test."""
    return sum(_string_likelihood(what, s) for what, s in strings)


@functools.lru_cache(maxsize=16384)
def _string_likelihood(what: str, s: str) -> float:
    if what == "stem":
        common = s in _COMMON_PREFIXES
        return max(0.6 * 0.2 ** (len(s) - 1), 0.3 if common else 0.0)
    if what == "word":
        return 0.3 if s in _COMMON else 0.2 * 0.1 ** (len(s) - 1)
    return 0.1 + math.prod(_part_likelihood(part) for part in _PARTS.findall(s))


_PARTS = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w+")


def _part_likelihood(part: str) -> float:
    if not is_word(part[0]):
        return 0.3 if part in PUNCTUATION else 0.05  # "→", "+", "👍" are rare
    common = part in _COMMON_PARTS
    return max(0.6 * 0.2 ** (len(part) - 1), 0.3 if common else 0.0)


def _tightest(candidates: Iterable[Strings]) -> Requirement:
    """The tightest sets, without one that a tighter one already implies (`rol…` then "rol")."""
    kept: list[Strings] = []
    for strings in sorted({c for c in candidates if c}, key=_likelihood):
        if not any(_implies(tighter, strings) for tighter in kept):
            kept.append(strings)
            if len(kept) == _MAX_SETS:
                break
    return tuple(kept)


def _implies(a: Strings, b: Strings) -> bool:
    """Whether a line with a string of `a` always has one of `b`."""
    return all(any(string_implies(x, y) for y in b) for x in a)


def string_implies(x: tuple[str, str], y: tuple[str, str]) -> bool:
    """Whether a line with the string `x` always has `y` (a stem: some word starts with it, …)."""
    (kind_x, x_s), (kind_y, y_s) = x, y
    if kind_y == "sub":
        return y_s in x_s
    if kind_x == "sub":
        return False
    return x_s.startswith(y_s) if kind_y == "stem" else kind_x == "word" and x_s == y_s


def _run_requirements(run: list[str], word_start: bool, word_end: bool) -> list[Strings]:
    """Sets a literal run gives (its spellings all have one length; a match contains one of them):
    from every place a word starts in it, that word's beginning - the whole word when the run shows
    where it ends (`word_end`: a non-word character follows) - and the run as a substring."""
    if len({len(s) for s in run}) > 1:  # forked by an optional character: each spelling, then either
        return _either([_tightest(_run_requirements([s], word_start, word_end)) for s in run])
    out: list[Strings] = []
    width = len(run[0])
    if len(run) == 1:  # the usual case, by `re`'s own idea of a word
        for m in _WORD.finditer(run[0]):
            if m.start() or word_start:
                what = "word" if m.end() < width or word_end else "stem"
                out.append(frozenset({(what, m.group())}))
        out.append(frozenset({("sub", run[0])}))
        return out
    for i in range(width):
        opens = word_start if i == 0 else all(not is_word(s[i - 1]) for s in run)
        if not opens or not all(is_word(s[i]) for s in run):
            continue
        words = set()
        for s in run:
            j = i
            while j < width and is_word(s[j]):
                j += 1
            words.add(("word" if j < width or word_end else "stem", s[i:j]))
        out.append(frozenset(words))
    out.append(frozenset(("sub", s) for s in run))  # the tighter when its symbols are rare ("👍 to")
    return out


def _either(reqs: list[Requirement]) -> list[Strings]:
    """What holds when one of `reqs` does: their sets, tightest first, joined slot by slot - (a1 and
    b1) or (a2 and b2) implies (a1 or a2) and (b1 or b2); one with fewer sets repeats its last, as a
    or (b1 and b2) implies (a or b1) and (a or b2). Nothing when one of them needs nothing."""
    if not all(reqs):
        return []
    return [
        frozenset().union(*(req[min(slot, len(req) - 1)] for req in reqs))
        for slot in range(max(len(req) for req in reqs))
    ]


def _class_chars(items: list[tuple[object, object]]) -> list[str] | None:
    """The characters a small class of plain literals and ranges matches (`[ée]`, `[0-4]`), else None."""
    chars: list[str] = []
    for op, av in items:
        if op is C.LITERAL:
            chars.append(chr(av))  # type: ignore[call-overload]
        elif op is C.RANGE and av[1] - av[0] < _MAX_ALTERNATIVES:  # type: ignore[index]
            chars.extend(chr(c) for c in range(av[0], av[1] + 1))  # type: ignore[index]
        else:
            return None
    return chars if len(chars) <= _MAX_ALTERNATIVES else None


def _ends_before_word(items: list[tuple[object, object]]) -> bool:
    """Whether a class matches only non-word characters (`\\s`, `[,;.!]`, `[^\\w\\s]`)."""
    if items and items[0][0] is C.NEGATE:
        return any(op is C.CATEGORY and av is C.CATEGORY_WORD for op, av in items[1:])
    for op, av in items:
        if op is C.LITERAL:
            if is_word(chr(av)):  # type: ignore[call-overload]
                return False
        elif op is C.CATEGORY:
            if av not in (C.CATEGORY_SPACE, C.CATEGORY_NOT_WORD):
                return False
        else:
            return False
    return True


def _no_word_after(items: Sequence[tuple[object, object]], then: bool) -> bool:
    """Whether what `items` match, read after a word character, starts with a non-word character or
    the end of the text; `then`: the same of what follows `items`."""
    items = list(getattr(items, "data", items))
    for k, (op, av) in enumerate(items):
        if op is C.AT:
            if av in (C.AT_BOUNDARY, C.AT_END, C.AT_END_STRING):
                return True  # after a word character, `\\b` is where the word ends
            continue
        if op is C.ASSERT_NOT and av[0] == 1 and len(av[1]) == 1 and av[1][0][0] is C.IN:  # type: ignore[index]
            if any(o is C.CATEGORY and a is C.CATEGORY_WORD for o, a in av[1][0][1]):  # type: ignore[index]
                return True  # `(?!\\w)`, `(?![\\w-])`
            continue
        if op in (C.ASSERT, C.ASSERT_NOT):
            continue
        if op is C.LITERAL:
            return not is_word(chr(av))  # type: ignore[call-overload]
        if op is C.IN:
            return _ends_before_word(av)  # type: ignore[arg-type]
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, _high, sub = av  # type: ignore[misc]
            if not _no_word_after(sub, False):
                return False
            if low >= 1:
                return True
            continue
        if op is C.SUBPATTERN or op is C.ATOMIC_GROUP:
            return _no_word_after([*(av[3] if op is C.SUBPATTERN else av), *items[k + 1 :]], then)  # type: ignore[index,misc]
        if op is C.BRANCH:
            return all(_no_word_after([*alt, *items[k + 1 :]], then) for alt in av[1])  # type: ignore[index]
        return False
    return then


# Case folding makes a literal stand for other text; ASCII or locale word rules are not the gate's.
_FOLDS = re.IGNORECASE | re.ASCII | re.LOCALE


class _Unusable(Exception):
    """The pattern folds case or changes what a word is somewhere: its literals cannot be relied on."""


def _walk(items: Sequence[tuple[object, object]], start: bool, then: bool) -> tuple[Requirement, bool]:
    """(requirement, word_start after) of a sequence entered where a word character would start a
    word (`start`) and followed by a non-word character or the end (`then`). Every item of a
    sequence must match, so its requirement is its items' tightest sets together."""
    items = list(getattr(items, "data", items))  # a parsed group's SubPattern
    candidates: list[Strings] = []
    run: list[str] = []
    run_start = start
    at = start

    def flush(rest: list[tuple[object, object]]) -> None:
        if run and run[0]:
            ends = _no_word_after(rest, then)  # for a spelling whose last word reaches its end
            candidates.extend(_run_requirements(run, run_start, ends))
        run.clear()

    for k, (op, av) in enumerate(items):
        if op is C.LITERAL:
            c = chr(av)  # type: ignore[call-overload]
            if not run:
                run.append("")
                run_start = at
            run[:] = [s + c for s in run]
            at = not is_word(c)
            continue
        if op is C.IN:
            chars = _class_chars(av)  # type: ignore[arg-type]
            if chars is not None and len(run or [""]) * len(chars) <= _MAX_ALTERNATIVES:
                if not run:
                    run.append("")
                    run_start = at
                run[:] = [s + c for s, c in product(run, chars)]
                at = all(not is_word(c) for c in chars)
                continue
            flush(items[k:])
            if chars is not None:
                candidates.append(frozenset(("sub", c) for c in chars))
            at = _ends_before_word(av)  # type: ignore[arg-type]
            continue
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, sub = av  # type: ignore[misc]
            one = len(sub) == 1 and sub[0][0] is C.LITERAL
            if one and low == 0 and high == 1 and run and len(run) * 2 <= _MAX_ALTERNATIVES:
                c = chr(sub[0][1])  # "oom-?ing": "oom-ing" or "ooming"
                run[:] = [*(s + c for s in run), *run]
                at = False  # the two spellings end differently
                continue
            if low >= 1 and one and run:
                c = chr(sub[0][1])  # "rol{1,2}": at least "rol", and the run goes on only if that is all
                run[:] = [s + c * low for s in run]
                if high != low:
                    flush(items[k:])
                at = not is_word(c)
                continue
            flush(items[k:])
            req, after_first = _walk(sub, at, False)
            _req, after_more = _walk(sub, after_first, False)
            after = after_first and after_more if high > 1 else after_first
            if low >= 1:
                candidates.extend(req)
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
            run.clear()
            alternatives = av[1] if op is C.BRANCH else [av[3] if op is C.SUBPATTERN else av]  # type: ignore[index]
            after_group = _no_word_after(items[k + 1 :], then)
            walked = [
                _walk([*prefix, *getattr(alt, "data", alt)], entered, after_group)
                for prefix in prefixes
                for alt in alternatives
            ]
            candidates.extend(_either([req for req, _after in walked]))
            at = all(after for _req, after in walked)
            continue
        flush(items[k:])
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
    flush([])
    return _tightest(candidates), at


def _simplest(strings: Strings) -> Strings | None:
    """The same set with fewer tests, or None when it needs too many substring tests. Where one
    string contains another the shorter alone says the same ("+1" for "+1" or ":+1:")."""
    subs = {s for what, s in strings if what == "sub"}
    subs = {s for s in subs if not any(t != s and t in s for t in subs)}
    if len(subs) > _MAX_SUBS:
        return None
    words = {(what, s) for what, s in strings if what != "sub" and not any(t in s for t in subs)}
    return frozenset([*(("sub", s) for s in subs), *words])


def requirement(source: str, flags: int = 0) -> Requirement:
    """Sets of literals every match of the regex `source` contains one of each; () when none can be
    told."""
    all_flags, tree = parsed(source, flags & ~re.UNICODE)  # (re.U is implied for a str)
    if all_flags & _FOLDS:
        return ()
    try:
        req, _after = _walk(tree, False, False)
    except _Unusable:
        return ()
    return tuple(s for s in map(_simplest, req) if s)
