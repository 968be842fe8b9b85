"""Refs extraction: the identifiers a timeline entry points at (pure).

Keys and meaning are CONTRACT.md's: service, version (for a rollback the version rolled back *to*),
from_version, change_id, alert, ticket, commit, environment. Values are always substrings of the
text as written - nothing is normalised ("prod" stays "prod") - so the draft can quote them and a
reader can find them in the message. `keep_substrings` enforces that at the very end.

Every pattern is bounded and linear: refs run on every captured message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.capture.catalogue import ServiceCatalogue
from bot.domain import REF_KEYS

# Change ids: deploy/change/rollback/release tickets of change tools, MRs (`!123`) and PRs.
_CHANGE_PREFIXES = "DEP|CHG|CR|RB|REL|RFC|DEPLOY|CHANGE|RELEASE"
_CHANGE_ID = re.compile(rf"\b(?:{_CHANGE_PREFIXES})-\d{{1,9}}\b", re.I)
_MR = re.compile(r"(?<![\w!])!\d{1,7}\b")
_PR = re.compile(
    r"(?:\b(?:PR|pull request|pull|MR|merge request|reverting|revert|reverted|job|build|"
    r"deploy|deployment|release|pipeline)\s{0,2}|\()(#\d{1,7})\b",
    re.I,
)
# A deploy/job/build/pipeline number written without `#` ("deploying build 4521 to staging").
# Searched in the lower-cased text (the digits read are the same).
_JOB_NUM = re.compile(
    r"\b(?:build|job|pipeline|deploy|deployment|run)\s{1,2}(?:number\s{1,2}|no\.?\s{1,2})?(\d{3,9})(?![\w.,:%/])"
)
_HASH_NUM = re.compile(r"(?<![\w#&])#\d{1,9}\b")

# Tickets: INC-…, tracker keys (OPS-123); words that look like keys but are not tickets are skipped.
# Multi-part keys (TKT-ROLLBACK-7781) are one ticket, not ROLLBACK-7781.
_TICKET = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]{1,11})(?:-[A-Z][A-Z0-9]{1,11}){0,2}-(\d{1,7})\b")
_NOT_TICKET = frozenset(
    {
        "UTF",
        "SEV",
        "ISO",
        "SHA",
        "HTTP",
        "HTTPS",
        "TLS",
        "SSL",
        "IPV",
        "CVE",
        "RFC",
        "AES",
        "RSA",
        "MD",
        "GPT",
        "P",
        "X",
        "TCP",
        "UDP",
        "DNS",
        "EC",
        "US",
        "EU",
        "AP",
        "AZ",
        "RHEL",
        "API",
        "V",
        "PR",
        "MR",
        *_CHANGE_PREFIXES.split("|"),
    }
)
# Sentry short ids (PROJECT-NAME-4F2) end in a base-36 counter, not digits only.
_SENTRY_SHORT_ID = re.compile(r"\b[A-Z][A-Z0-9]{1,20}(?:-[A-Z0-9]{1,20}){0,3}-[0-9A-Z]{1,6}\b")

# Versions: v-prefixed (v2, v2.14.0, v142), bare semver (1.2.3, 1.2.3-rc.1), image tags (:1.4),
# chart versions (@6.5.4). Not IPs (four parts), not percentages/durations (`99.9%`, `1.5s`).
_VERSION = re.compile(
    r"(?<![\w.@:/-])(?:v\d{1,6}(?:\.\d{1,6}){0,3}(?:-[0-9A-Za-z]{1,20}(?:\.[0-9A-Za-z]{1,20}){0,3})?|"
    r"\d{1,6}\.\d{1,6}\.\d{1,6}(?:-[0-9A-Za-z]{1,20}(?:\.[0-9A-Za-z]{1,20}){0,3})?"
    r")(?![\w%]|\.\d)",
    re.I,
)
_TAG_VERSION = re.compile(r"[:@]v?(\d{1,6}(?:\.\d{1,6}){1,3}(?:-[0-9A-Za-z.]{1,30})?)(?![\w.%])")
_TWO_PART = re.compile(r"\b(?:version|release|to|from|tag|ver)\s{1,2}(\d{1,4}\.\d{1,4})(?![\w.%])", re.I)

_COMMIT = re.compile(r"(?<![\w/.-])([0-9a-f]{7,40})(?![\w-])")
_COMMIT_CONTEXT = re.compile(r"(?:commit|sha1?|revision|rev|@|\bref)[\s:=`'\"(]{0,3}$", re.I)

# "stage" is also a step of a rollout ("stage 2 of the canary", "the next stage"): not then.
_ENV_WORDS = (
    r"production|prod|staging|stage(?<!next stage)(?<!first stage)(?<!final stage)(?<!last stage)"
    r"(?<!each stage)(?<!every stage)(?<!canary stage)(?<!rollout stage)(?<!pipeline stage)(?<!this stage)"
    r"(?!\s{1,2}(?:\d|[ivx]{1,4}\b|one|two|three|four|five|of\b))|stg|"
    r"preprod|pre-prod|sandbox|producción|produccion|produção|producao|produktion"
)
_ENV_SOURCE = (
    rf"(?<![\w-])({_ENV_WORDS})(?![\w-])"
    r"|(?:\b(?:to|in|on|env|environment)[\s:=*_`]{1,4})(dev|qa|uat|test)\b"
)
_ENV = re.compile(_ENV_SOURCE, re.I)
# The same, for lower-cased text: `re.I` defeats the literal fast paths (several times slower), so
# find_environment searches the lower-cased text and reads the value at the same offsets.
_ENV_LOW = re.compile(r"\b(?<!-)" + _ENV_SOURCE[len(r"(?<![\w-])") :])

# Services: hyphenated or underscored lowercase names (checkout-api, api_gateway) or a name given
# in an explicit position ("service: payments", "app=cart", "deployment/checkout").
_SERVICE_TOKEN = re.compile(r"(?<![\w./@:#-])([a-z][a-z0-9]{1,30}(?:[-_][a-z0-9]{1,30}){1,4})(?![\w=-])")
# The object of a deploy/rollback verb, in any form and case: "rolling back payments", "Rolled back
# payments", "redeployed checkout", an imperative or status line "Deploy api v2.0.0 to prod",
# "rollback api to …". The name itself is read as written (lower-case).
# Searched in the lower-cased text; the name is then read in the original, where it must be lower-case.
_SERVICE_OBJECT = re.compile(
    r"\b(rollback of|roll(?:ing|ed)? ?back|revert(?:ing|ed)?|(?:re)?deploy(?:ing|ed)?|ship(?:ping|ped)|"
    r"promot(?:e|ing|ed)|upgrad(?:e|ing|ed)|downgrad(?:e|ing|ed)|restart(?:ing|ed))\s{1,2}([a-z][a-z0-9_-]{2,40})\b"
)
# A bare verb or noun ("Deploy api v2.0.0 to prod", "rollback api to …") names a service only when a
# target follows - a version, to/in/from - unlike "the revert would drop", "deploy after the freeze".
_BARE_VERBS = frozenset({"rollback", "revert", "deploy", "redeploy", "promote", "upgrade", "downgrade"})
_TARGET_AFTER = re.compile(r"\s{1,2}(?:v?\d|to\b|in\b|on\b|from\b|into\b)|[,:]")
# Every verb of _SERVICE_OBJECT contains one of these; one short scan decides most messages.
# (Searched in the lower-cased text: literal alternatives are several times faster than `[Rr]oll|…`.)
_OBJECT_HINT = re.compile(r"roll|revert|deploy|ship|promot|upgrad|downgrad|restart")
_NOT_OBJECT = frozenset(
    {
        "the",
        "a",
        "an",
        "to",
        "now",
        "it",
        "this",
        "that",
        "back",
        "everything",
        "anything",
        "all",
        "our",
        "my",
        "fix",
        "hotfix",
        "change",
        "changes",
        "config",
        "last",
        "latest",
        "previous",
        "new",
        "old",
        "canary",
        "release",
        "again",
        "and",
        "in",
        "on",
        "from",
        "for",
        "with",
        "is",
        "was",
        "has",
        "had",
        "pipeline",
        "job",
        "out",
        "up",
        "successfully",
        "just",
        "both",
        "across",
        "everywhere",
        "yet",
        "first",
        "today",
        "asap",
        "them",
        "those",
        "these",
        "his",
        "her",
        "their",
        "your",
        "one",
        "two",
        "via",
        "using",
        "at",
        "by",
        "without",
        "manually",
        "automatically",
        "image",
        "build",
        "version",
        "commit",
        "patch",
        "branch",
        "main",
        "master",
        "revert",
        "rollback",
        "deploy",
        "staging",
        "prod",
        "production",
        "some",
        "most",
        "every",
        # Time words and states after an imperative "roll back" / "revert", not names.
        "yesterday",
        "tonight",
        "failed",
        "done",
        "complete",
        "completed",
        "started",
        "succeeded",
        "please",
        "pls",
        "if",
        "when",
        "unless",
        "merged",
        "applied",
        "pushed",
        "requested",
        # Prepositions of other languages ("Rollback auf v2", "rollback para a v1.4.2").
        "auf",
        "para",
        "zu",
        "nach",
        "vers",
        "sur",
        "en",
        "em",
        "wenn",
        "until",
        "after",
        "before",
        # Nouns after a verb used as an adjective ("deploy freeze", "rollback pipeline").
        "freeze",
        "window",
        "plan",
        "pipelines",
        "pods",
        "pod",
        "nodes",
        "service",
        "services",
        "tool",
        "bot",
        "script",
        "process",
        "steps",
        "step",
        "status",
        "target",
        "queue",
        "order",
        "went",
        "worked",
        "failing",
        "finished",
        "stage",
        "traffic",
        "button",
        "request",
        "requests",
        "note",
        "notes",
        "key",
        "keys",
        "token",
    }
)
_SERVICE_EXPLICIT = re.compile(
    r"\b(?:service|svc|app|application|job|release|deployment|deploy|rollout|helmrelease|kustomization)"
    r"(?:\.apps)?\s{0,2}[:=/]\s{0,2}[*`'\"]{0,2}([A-Za-z][\w.-]{1,60}?)[*`'\"]{0,2}(?=[\s,;)]|$|\.(?:\s|$))",
    re.I,
)
_NOT_SERVICE = frozenset(
    {
        "on-call",
        "follow-up",
        "follow-ups",
        "post-mortem",
        "fix-forward",
        "roll-back",
        "re-deploy",
        "in-progress",
        "auto-resolved",
        "pre-prod",
        "non-prod",
        "e-mail",
        "x-ray",
        "co-worker",
        "self-heal",
        "rollout-undo",
        "hot-fix",
        "dry-run",
        "read-only",
        "up-to-date",
        "end-to-end",
        "check-in",
        "sign-off",
        "run-book",
        "well-known",
        "long-running",
        "step-by-step",
        "t-shirt",
        "go-ahead",
        "all-clear",
        "high-error-rate",
        "flux-system",
        "kube-system",
        "back-to-normal",
        "set-up",
        "p-value",
        "us-east-1",
        "us-west-2",
        "eu-west-1",
        "merge-conflict",
        "heads-up",
        "follow_up",
        "sev-1",
        "sev-2",
    }
)
_NOT_SERVICE_PREFIX = (
    "us-",
    "eu-",
    "ap-",
    "sev",
    "p1",
    "p2",
    "inc-",
    "dep-",
    "chg-",
    "rb-",
    "re-",
    "pre-",
    "non-",
    "post-",
    "auto-",
    "fix-",
    "roll-",
    "http",
    "x-",
    "ip-",
    # Availability zones and environment-named clusters ("az-b", "prod-eu") are places, not services.
    "az-",
    "prod-",
    "staging-",
)


def _first(pattern: re.Pattern[str], text: str, group: int = 0) -> str | None:
    m = pattern.search(text)
    return m.group(group) if m else None


def find_change_id(text: str) -> str | None:
    m = _CHANGE_ID.search(text)
    if m:
        return m.group(0)
    m = _MR.search(text)
    if m:
        return m.group(0)
    m = _PR.search(text)
    return m.group(1) if m else None


def find_ticket(text: str) -> str | None:
    for m in _TICKET.finditer(text):
        if m.group(1) not in _NOT_TICKET:
            return m.group(0)
    return None


def find_sentry_short_id(text: str) -> str | None:
    for m in _SENTRY_SHORT_ID.finditer(text):
        head = m.group(0).split("-", 1)[0]
        if head not in _NOT_TICKET and any(c.isdigit() for c in m.group(0)):
            return m.group(0)
    return None


def find_versions(text: str) -> list[tuple[int, str]]:
    """All version-looking tokens with their offsets, in order."""
    found: dict[int, str] = {}
    for m in _VERSION.finditer(text):
        found[m.start()] = m.group(0)
    for m in _TAG_VERSION.finditer(text):
        found.setdefault(m.start(1), m.group(1))
    for m in _TWO_PART.finditer(text):
        found.setdefault(m.start(1), m.group(1))
    return sorted(found.items())


def find_commit(text: str) -> str | None:
    best: str | None = None
    for m in _COMMIT.finditer(text):
        token = m.group(1)
        if token.isdigit() or not any(c.isdigit() for c in token):
            continue
        if _COMMIT_CONTEXT.search(text[max(0, m.start() - 12) : m.start()]) or len(token) >= 12:
            return token
        if best is None and len(token) >= 7:
            best = token
    return best


_ENV_TARGET_SOURCE = rf"\b(?:to|into|in|on|en|em|nach|auf)\s{{1,2}}\*{{0,2}}({_ENV_WORDS})(?![\w-])"
_ENV_TARGET = re.compile(_ENV_TARGET_SOURCE, re.I)
_ENV_TARGET_LOW = re.compile(_ENV_TARGET_SOURCE)


def find_environment(text: str, low: str | None = None) -> str | None:
    """The environment written in the text; a destination ("… to production") beats a source.
    `low` is `text.lower()` when the caller already has it."""
    if low is None:
        low = text.lower()
    if len(low) == len(text):  # lower-casing kept every offset (always, but for a few Unicode letters)
        target = _ENV_TARGET_LOW.search(low)
        if target:
            return text[target.start(1) : target.end(1)]
        m = _ENV_LOW.search(low)
        if not m:
            return None
        group = 1 if m.group(1) else 2
        return text[m.start(group) : m.end(group)]
    target = _ENV_TARGET.search(text)
    if target:
        return target.group(1)
    m = _ENV.search(text)
    if not m:
        return None
    return m.group(1) or m.group(2)


def environment_in_name(name: str) -> str | None:
    """An environment that is one dash/underscore-separated part of a job or pipeline name."""
    for part in re.split(r"[-_/.\s]+", name):
        if part and _ENV.fullmatch(part):
            return part
    return None


def _looks_like_commit(token: str) -> bool:
    """`abc1234`: hex with a digit and a letter, commit length - a sha, not a service."""
    if not 7 <= len(token) <= 40 or token.isdigit() or token.isalpha():
        return False
    return _COMMIT.fullmatch(token) is not None


def is_service_name(token: str) -> bool:
    low = token.lower()
    if _looks_like_commit(low):
        return False
    if low in _NOT_SERVICE or low.startswith(_NOT_SERVICE_PREFIX):
        return False
    if sum(part.isdigit() for part in re.split(r"[-_]", low)) >= 2:
        return False  # host and instance names (ip-10-0-1-12), not services
    if find_environment(token) == token:
        return False
    return not _VERSION.fullmatch(token)


_FLAG_AFTER = re.compile(r"[`'\"*]{0,2}\s{1,2}(?:feature\s)?(?:flag|toggle)\b", re.I)


def _verb_object(text: str, low: str) -> str | None:
    """The object of a deploy/rollback verb, as written (so lower-case in the original too)."""
    hint = _OBJECT_HINT.search(low)
    if hint is None or len(low) != len(text):
        return None
    for m in _SERVICE_OBJECT.finditer(low, max(0, hint.start() - 2)):  # "re" of "redeploy" precedes the hint
        if m.group(1) in _BARE_VERBS and not _TARGET_AFTER.match(low, m.end()):
            continue
        start, end = m.span(2)
        name = text[start:end]
        return name if name == m.group(2) else None
    return None


def find_service(text: str, low: str | None = None) -> str | None:
    m = _SERVICE_EXPLICIT.search(text) if (":" in text or "=" in text or "/" in text) else None
    if m and is_service_name(m.group(1)) and not m.group(1).isdigit():
        return m.group(1).rstrip(".")
    name = _verb_object(text, text.lower() if low is None else low)
    if name and name not in _NOT_OBJECT and is_service_name(name) and not name.startswith("v"):
        return name
    if "-" not in text and "_" not in text:
        return None
    for m in _SERVICE_TOKEN.finditer(text):
        token = m.group(1)
        if is_service_name(token) and not any(c.isdigit() for c in token.split("-")[-1][:1]):
            if _FLAG_AFTER.match(text, m.end()):
                continue  # `checkout_v2` flag: a feature flag's key, not a service
            return token
    return None


_ROLLBACK_TO = re.compile(
    r"\b(?:to|back to|back on|on|onto|auf|a|à|para|zu|vers|sur)\s{1,3}(?:(?:la|le|el|a|the|die|"
    r"der)\s{1,2})?(?:version\s{1,2}|versión\s{1,2}|versão\s{1,2}|release\s{1,2}|revision\s{1,2}|"
    r"(?:the\s{1,2})?(?:previous|last|prior|old)\s{1,2}(?:good\s{1,2}|stable\s{1,2}|known[ -]good\s{1,2})?"
    r"(?:version|release|build|tag)\s{1,2})?[`'\"*]{0,2}(v?\d{1,6}(?:\.\d{1,6}){0,3}"
    r"(?:-[0-9A-Za-z.]{1,30})?)(?![\w%]|\.\d)",
    re.I,
)
_ARROW = re.compile(
    r"(v?\d{1,6}(?:\.\d{1,6}){1,3}(?:-[0-9A-Za-z.]{1,30})?|v\d{1,6})\s{0,3}(?:->|→|=>|to)\s{0,3}"
    r"(v?\d{1,6}(?:\.\d{1,6}){1,3}(?:-[0-9A-Za-z.]{1,30})?|v\d{1,6})(?![\w%]|\.\d)",
    re.I,
)
_FROM = re.compile(
    # A bare count ("from 10 to 30 replicas") is no version: a dot or a `v` makes one.
    r"\bfrom\s{1,3}[`'\"*]{0,2}(v\d{1,6}(?:\.\d{1,6}){0,3}(?:-[0-9A-Za-z.]{1,30})?|\d{1,6}(?:\.\d{1,6}){1,3}"
    r"(?:-[0-9A-Za-z.]{1,30})?)(?![\w%]|\.\d)",
    re.I,
)


def versions_for(text: str, kind: str) -> dict[str, str]:
    """version / from_version for a deploy or rollback message."""
    out: dict[str, str] = {}
    arrow = _ARROW.search(text)
    if arrow:
        out["from_version"], out["version"] = arrow.group(1), arrow.group(2)
        return out
    frm = _FROM.search(text)
    if kind == "rollback":
        to = _ROLLBACK_TO.search(text)
        if to:
            out["version"] = to.group(1)
        others = [v for _, v in find_versions(text) if v != out.get("version")]
        if frm:
            out["from_version"] = frm.group(1)
        elif others and "version" not in out:
            # "rolling back v2.14.0": the version named is the one being undone.
            out["from_version"] = others[0]
        elif others and "version" in out:
            out["from_version"] = others[0]
        return out
    versions = find_versions(text)
    if frm:
        out["from_version"] = frm.group(1)
        rest = [v for _, v in versions if v != frm.group(1)]
        if rest:
            out["version"] = rest[0]
    elif versions:
        out["version"] = versions[0][1]
    return out


_ENV_HINT = re.compile(r"prod|stag|stg|sandbox|uat|qa|dev|test")  # on the lower-cased text, like _ENV_LOW
_DIGIT = re.compile(r"\d")


def extract_refs(text: str, kind: str, services: ServiceCatalogue | None = None) -> dict[str, str]:
    """Generic refs for a message whose kind is already known (human or unknown-bot phrasing).

    `services` are the names the workspace knows: found anywhere in the line, before position rules."""
    refs: dict[str, str] = {}
    low = text.lower()
    # Ids, versions and commits all contain a digit; most chat lines have none, so skip their
    # patterns outright (refs run on every captured message).
    has_digit = _DIGIT.search(text) is not None
    if has_digit:
        # Every id form has its punctuation: DEP-1, !12, #12.
        change = find_change_id(text) if ("-" in text or "!" in text or "#" in text) else None
        if change is None and kind in ("deploy", "rollback", "decision"):
            m = _HASH_NUM.search(text) if "#" in text else None
            change = m.group(0) if m else None
            if change is None:
                m = _JOB_NUM.search(low)
                change = m.group(1) if m else None
        if change:
            refs["change_id"] = change
        ticket = find_ticket(text) if "-" in text else None
        if ticket:
            refs["ticket"] = ticket
    env = find_environment(text, low) if _ENV_HINT.search(low) else None
    if env:
        refs["environment"] = env
    if has_digit and kind in ("deploy", "rollback", "decision"):
        refs.update(versions_for(text, kind))
        commit = find_commit(text)
        if commit:
            refs["commit"] = commit
    known = services.find(text) if services is not None else []
    service = known[0][1] if known else find_service(text, low)
    if service and service != refs.get("environment"):
        refs["service"] = service
    return refs


def keep_substrings(refs: Mapping[str, object], text: str) -> dict[str, str]:
    """Only contract keys with non-empty string values found verbatim in `text`."""
    return {
        key: value
        for key, value in refs.items()
        if key in REF_KEYS and isinstance(value, str) and value and value in text
    }
