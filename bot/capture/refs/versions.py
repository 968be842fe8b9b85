"""Versions: which number in a line is a release, and for a rollback which one it goes back to (pure).

A version is written as it appears (`v1.0.2` keeps its `v`). Numbers that only look like versions are
not versions: counts (`4/4`, `3 replicas`), durations, percentages, IPs, dates, HTTP codes, build
numbers, Helm revisions (`checkout-api.v14`), a dependency bumped in a changelog (`bump okhttp to
4.12.0`) and a tool's own version (`Grafana v11.3.1`). The patterns only take dotted numbers or
`v`-numbers, so a bare count never qualifies; `_not_a_version` drops the dotted ones that are not.
"""

from __future__ import annotations

import re

_SUFFIX = r"(?:-[0-9A-Za-z]{1,20}(?:\.[0-9A-Za-z]{1,20}){0,3})?"
# Versions: v-prefixed (v2, v2.14.0, v142), bare semver (1.2.3, 1.2.3-rc.1), image tags (:1.4),
# chart versions (@6.5.4). Not IPs (four parts), not percentages/durations (`99.9%`, `1.5s`).
VERSION = re.compile(
    rf"(?<![\w.@:/-])(?:v\d{{1,6}}(?:\.\d{{1,6}}){{0,3}}{_SUFFIX}|\d{{1,6}}\.\d{{1,6}}\.\d{{1,6}}{_SUFFIX})"
    r"(?![\w%]|\.\d)",
    re.I,
)
_TAG_VERSION = re.compile(r"[:@]v?(\d{1,6}(?:\.\d{1,6}){1,3}(?:-[0-9A-Za-z.]{1,30})?)(?![\w.%])")
_TWO_PART = re.compile(r"\b(?:version|release|to|from|tag|ver)\s{1,2}(\d{1,4}\.\d{1,4})(?![\w.%])", re.I)
# What `_TWO_PART` cannot match without, found by a cheaper scan first.
_TWO_PART_HINT = re.compile(r"\s\d{1,4}\.\d")
_DOTTED = r"v?\d{1,6}(?:\.\d{1,6}){1,3}(?:-[0-9A-Za-z.]{1,30})?|v\d{1,6}"

# A tool or library named right before the number: its own version, not the release's.
_TOOLS = frozenset(
    (
        "grafana prometheus alertmanager kubernetes k8s kubectl helm terraform jenkins argocd cd flux node "
        "nodejs python java jdk go golang ruby rails php openssl nginx envoy istio docker ubuntu debian "
        "alpine postgres postgresql mysql redis kafka okhttp chrome ios android scribe"
    ).split()
)
_TOOL_HINT = re.compile("|".join(sorted(_TOOLS)))  # in the lower-cased text: literals, no `re.I`
_TOOL_TAIL = re.compile(r"([A-Za-z][\w.-]{0,30})[\s:]{1,2}(?:version\s)?$")
# A dependency bumped in a changelog ("bump okhttp to 4.12.0", "Bump lodash from 4.17.20 to 4.17.21");
# "Bump version to 3.3.2" bumps the release itself.
_DEP_BUMP = re.compile(
    r"\b(?:bump(?:s|ed|ing)?|update(?:s|d)? dependency)\s{1,2}(?!version\b|release\b)[\w./@-]{1,60}"
    r"(?:\s{1,2}from\s{1,2}\S{1,40})?\s{1,2}to\s{1,2}\S{1,40}",
    re.I,
)
# 04.12.2026: a date written with dots.
_DOTTED_DATE = re.compile(r"(?:[0-2]?\d|3[01])\.(?:0?\d|1[0-2])\.(?:19|20)\d\d")


def _not_a_version(text: str, start: int, value: str) -> bool:
    parts = value.lstrip("vV").split("-", 1)[0].split(".")
    if len(parts) == 4 and all(p.isdigit() and int(p) <= 255 for p in parts):
        return True  # an IP address
    if _DOTTED_DATE.fullmatch(value) or (len(parts[0]) >= 6 and parts[0].isdigit()):
        return True  # a date, or a build number such as 20261204.7
    head = text[max(0, start - 40) : start]
    # The tail's name counts only as a tool's, so a head naming no tool (most) is not searched.
    tail = _TOOL_TAIL.search(head) if _TOOL_HINT.search(head.lower()) else None
    if tail and tail.group(1).lower() in _TOOLS:
        return True
    window = text[max(0, start - 160) : start + 40].lower()
    if "bump" not in window and "dependency" not in window:
        return False
    return any(m.start() < start < m.end() for m in _DEP_BUMP.finditer(text, max(0, start - 160), start + 40))


def find_versions(text: str) -> list[tuple[int, str]]:
    """All versions with their offsets, in order; numbers that only look like versions are left out."""
    found: dict[int, str] = {}
    for m in VERSION.finditer(text):
        found[m.start()] = m.group(0)
    if ":" in text or "@" in text:
        for m in _TAG_VERSION.finditer(text):
            found.setdefault(m.start(1), m.group(1))
    if _TWO_PART_HINT.search(text):
        for m in _TWO_PART.finditer(text):
            found.setdefault(m.start(1), m.group(1))
    return [(at, v) for at, v in sorted(found.items()) if not _not_a_version(text, at, v)]


_ROLLBACK_TO = re.compile(
    r"\b(?:to|back to|back on|on|onto|auf|a|à|para|zu|vers|sur)\s{1,3}(?:(?:la|le|el|a|the|die|"
    r"der)\s{1,2})?(?:version\s{1,2}|versión\s{1,2}|versão\s{1,2}|release\s{1,2}|revision\s{1,2}|"
    r"(?:the\s{1,2})?(?:previous|last|prior|old)\s{1,2}(?:good\s{1,2}|stable\s{1,2}|known[ -]good\s{1,2})?"
    rf"(?:version|release|build|tag)\s{{1,2}})?[`'\"*]{{0,2}}({_DOTTED})(?![\w%/]|\.\d)",
    re.I,
)
# The version a rollback lands on, written after it: "5.0.3 is live again", "4.0.1 にロールバック",
# or after a bare arrow "→ 0.9.4".
_LANDED = re.compile(
    rf"(?:(?:->|→|=>)\s{{0,3}}({_DOTTED})(?![\w%]|\.\d))|(?<![\w.])({_DOTTED})(?![\w%]|\.\d)\s{{0,3}}"
    r"(?:is (?:live|back|serving|running)|に)",
    re.I,
)
_LANDED_HINT = re.compile(r"->|→|=>|に|is ", re.I)  # what `_LANDED` cannot match without
# Going forward instead of back: "we go forward with 4.2.1", "rolling forward to 2.4.1".
_FORWARD = re.compile(
    rf"\b(?:go|going|roll|rolling|rolled|fix|fixing)[ -]forward (?:with|to) ({_DOTTED})(?![\w%]|\.\d)", re.I
)
_WAS = re.compile(rf"\((?:was|from)\s{{1,2}}({_DOTTED})\)", re.I)
_ARROW = re.compile(
    rf"({_DOTTED})\s{{0,3}}(?:->|→|=>|to)\s{{0,3}}({_DOTTED})(?![\w%]|\.\d)",
    re.I,
)
# What `_ARROW` cannot match without - the arrow (`to` in any case) and the start of a version after
# it - searched first: a scan from the literal.
_ARROW_HINT = re.compile(r"(?:->|→|=>|[tT][oO])\s{0,3}[vV]?\d")
_FROM = re.compile(
    # A bare count ("from 10 to 30 replicas") is no version: a dot or a `v` makes one.
    rf"\bfrom\s{{1,3}}[`'\"*]{{0,2}}({_DOTTED})(?![\w%]|\.\d)",
    re.I,
)


def _kept(text: str, m: re.Match[str] | None, group: int) -> str | None:
    if m is None or _not_a_version(text, m.start(group), m.group(group)):
        return None
    return m.group(group)


def versions_for(text: str, kind: str, found: list[tuple[int, str]] | None = None) -> dict[str, str]:
    """version / from_version for a deploy or rollback message; `found` is `find_versions(text)` if the
    caller has it already."""
    out: dict[str, str] = {}
    arrow = _ARROW.search(text) if _ARROW_HINT.search(text) else None
    if arrow and _kept(text, arrow, 1) and _kept(text, arrow, 2):
        out["from_version"], out["version"] = arrow.group(1), arrow.group(2)
        return out
    # Each search below only where the words it cannot match without are there (in any case:
    # none of them has a letter `re.I` also matches outside ASCII).
    low = text.lower()
    was = _kept(text, _WAS.search(text), 1) if "(" in text else None
    frm = was or (_kept(text, _FROM.search(text), 1) if "from" in low else None)
    versions = [v for _, v in (find_versions(text) if found is None else found)]
    if kind == "rollback":
        to = _kept(text, _ROLLBACK_TO.search(text), 1)
        if not to:
            landed = _LANDED.search(text) if _LANDED_HINT.search(text) else None
            to = landed and _kept(text, landed, 1 if landed.group(1) else 2)
        if not to and "forward" in low:
            to = _kept(text, _FORWARD.search(text), 1)
        if to:
            out["version"] = to
        others = [v for v in versions if v != to]
        if frm:
            out["from_version"] = frm
        elif others:
            # "rolling back v2.14.0": the version named is the one being undone.
            out["from_version"] = others[0]
        return out
    if frm:
        out["from_version"] = frm
        rest = [v for v in versions if v != frm]
        if rest:
            out["version"] = rest[0]
    elif versions:
        out["version"] = versions[0]
    return out
