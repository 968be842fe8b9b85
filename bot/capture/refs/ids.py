"""Change ids, tickets, Sentry short ids and commits: the identifiers an entry links to (pure)."""

from __future__ import annotations

import re

# Change ids: deploy/change/rollback/release tickets of change tools, MRs (`!123`) and PRs.
CHANGE_PREFIXES = "DEP|CHG|CR|RB|REL|RFC|DEPLOY|CHANGE|RELEASE"
_CHANGE_ID = re.compile(rf"\b(?:{CHANGE_PREFIXES})-\d{{1,9}}\b", re.I)
_MR = re.compile(r"(?<![\w!])!\d{1,7}\b")
_PR = re.compile(
    r"(?:\b(?:PR|pull request|pull|MR|merge request|reverting|revert|reverted|job|build|"
    r"deploy|deployment|release|pipeline)\s{0,2}|\()(#\d{1,7})\b",
    re.I,
)
# A deploy/job/build/pipeline number written without `#` ("deploying build 4521 to staging").
# Searched in the lower-cased text (the digits read are the same).
JOB_NUM = re.compile(
    r"\b(?:build|job|pipeline|deploy|deployment|run)\s{1,2}(?:number\s{1,2}|no\.?\s{1,2})?(\d{3,9})(?![\w.,:%/])"
)
HASH_NUM = re.compile(r"(?<![\w#&])#\d{1,9}\b")

# Tickets: INC-…, tracker keys (OPS-123); words that look like keys but are not tickets are skipped.
# Multi-part keys (TKT-ROLLBACK-7781) are one ticket, not ROLLBACK-7781.
_TICKET = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]{1,11})(?:-[A-Z][A-Z0-9]{1,11}){0,2}-(\d{1,7})\b")
_NOT_TICKET = frozenset(
    (
        "UTF SEV ISO SHA HTTP HTTPS TLS SSL IPV CVE RFC AES RSA MD GPT P X TCP UDP DNS EC US EU AP AZ "
        "RHEL API V PR MR"
    ).split()
    + CHANGE_PREFIXES.split("|")
)
# Sentry short ids (PROJECT-NAME-4F2) end in a base-36 counter, not digits only.
_SENTRY_SHORT_ID = re.compile(r"\b[A-Z][A-Z0-9]{1,20}(?:-[A-Z0-9]{1,20}){0,3}-[0-9A-Z]{1,6}\b")

COMMIT = re.compile(r"(?<![\w/.-])([0-9a-f]{7,40})(?![\w-])")
_COMMIT_CONTEXT = re.compile(r"(?:commit|sha1?|revision|rev|@|\bref)[\s:=`'\"(]{0,3}$", re.I)


def find_change_id(text: str) -> str | None:
    # Each form has its punctuation (DEP-1, !12, #12): a form whose mark is absent is not searched.
    m = _CHANGE_ID.search(text) if "-" in text else None
    if m:
        return m.group(0)
    m = _MR.search(text) if "!" in text else None
    if m:
        return m.group(0)
    m = _PR.search(text) if "#" in text else None
    return m.group(1) if m else None


def find_tickets(text: str) -> list[str]:
    """Every ticket key in order of appearance, each once."""
    if "-" not in text or text.islower():  # a key is upper-case letters, a dash and digits
        return []
    found = [m.group(0) for m in _TICKET.finditer(text) if m.group(1) not in _NOT_TICKET]
    return list(dict.fromkeys(found))


def find_sentry_short_id(text: str) -> str | None:
    for m in _SENTRY_SHORT_ID.finditer(text):
        head = m.group(0).split("-", 1)[0]
        if head not in _NOT_TICKET and any(c.isdigit() for c in m.group(0)):
            return m.group(0)
    return None


def find_commit(text: str) -> str | None:
    best: str | None = None
    for m in COMMIT.finditer(text):
        token = m.group(1)
        if token.isdigit() or not any(c.isdigit() for c in token):
            continue
        if _COMMIT_CONTEXT.search(text[max(0, m.start() - 12) : m.start()]) or len(token) >= 12:
            return token
        if best is None and len(token) >= 7:
            best = token
    return best


def looks_like_commit(token: str) -> bool:
    """`abc1234`: hex with a digit and a letter, commit length - a sha, not a service."""
    if not 7 <= len(token) <= 40 or token.isdigit() or token.isalpha():
        return False
    return COMMIT.fullmatch(token) is not None
