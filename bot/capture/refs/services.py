"""Services a line names where no catalogue knows them yet: position rules (pure).

A name counts where a responder puts one: after a deploy/rollback verb ("rolled back Payments"), in
front of its version ("search 2.0.0", "web v1.0.2"), as an owner ("checkout's deploy"), after "deploy
of"/"rollback of"/"canary for", after a preposition that follows an alert ("HighErrorRate firing for
payments", "TypeError in web"), as the subject of a state ("checkout is recovering"), in an explicit
field ("service: payments", "app=cart") or as a hyphenated name (checkout-api). Never a fragment of a
larger identifier, an environment, a version, a commit or an everyday word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.capture.refs.environment import ENV_NAMES, find_environment
from bot.capture.refs.ids import looks_like_commit
from bot.capture.refs.versions import VERSION, find_versions

# The last resort: a hyphenated or underscored lower-case name anywhere (checkout-api, api_gateway).
_SERVICE_TOKEN = re.compile(r"(?<![\w./@:#-])([a-z][a-z0-9]{1,30}(?:[-_][a-z0-9]{1,30}){1,4})(?![\w=-])")
# A name as a word: lower-case, hyphenated, or capitalised ("Payments"); never inside an identifier.
_NAME = r"([A-Za-z][a-z0-9]{1,30}(?:[-_][a-z0-9]{1,30}){0,4})(?![\w@/-]|\.\w)"
_LOWER_NAME = r"([a-z][a-z0-9]{1,30}(?:[-_][a-z0-9]{1,30}){0,4})(?![\w@/-]|\.\w)"
# A part of a service, not the service: "rolling back the cdn config", "the redis client lib".
_PART_AFTER = re.compile(
    r"\s{1,2}(?:config|configuration|flag|toggle|lib|library|client|sdk|driver|settings|change|changes|"
    r"migration|schema|rules?|cert|certificate|team|folks|people|docs)\b",
    re.I,
)
# The object of a deploy/rollback verb, in any form and case: "rolling back payments", "Rolled back
# Payments", "redeployed checkout", an imperative or status line "Deploy api v2.0.0 to prod",
# "rollback api to …". Searched in the lower-cased text; the name is then read in the original.
_SERVICE_OBJECT = re.compile(
    r"\b((?:deploy(?:ment)?s?|rollback|roll-back|rb|rollout|canary|release|revert|redeploy|restart) "
    r"(?:of|for|do|de|da|von|du|to)|roll(?:ing|ed|in)? ?back|revert(?:ing|ed)?|(?:re)?deploy(?:ing|ed)?|"
    r"ship(?:ping|ped)|promot(?:e|ing|ed)|upgrad(?:e|ing|ed)|downgrad(?:e|ing|ed)|restart(?:ing|ed)|desplegando)"
    r"\s{1,2}(?:the\s)?([a-z][a-z0-9_-]{1,40})\b"
)
# A bare verb or noun ("Deploy api v2.0.0 to prod", "rollback api to …") names a service only when a
# target follows - a version, to/in/from, an environment ("Rollback checkout prod", a pipeline's name) -
# unlike "the revert would drop", "deploy after the freeze".
_BARE_VERBS = frozenset({"rollback", "revert", "deploy", "redeploy", "promote", "upgrade", "downgrade"})
_TARGET_AFTER = re.compile(
    r"\s{1,2}(?:v?\d|to\b|in\b|on\b|from\b|into\b|(?:prod|production|staging|stg|preprod)(?![\w-]))|[,:]"
)
# Every verb of _SERVICE_OBJECT contains one of these; one short scan decides most messages.
# (Searched in the lower-cased text: literal alternatives are several times faster than `[Rr]oll|…`.)
_OBJECT_HINT = re.compile(
    r"roll|revert|deploy|ship|promot|upgrad|downgrad|restart|desplegando|release|canary|rb of"
)
# Owner of a deploy or a symptom: "checkout's deploy", "search's p99".
_POSSESSIVE = re.compile(
    rf"(?<![\w.@/-]){_NAME}'s\s{{1,2}}(?:new\s|latest\s|last\s)?(?:deploy|deployment|rollout|release|"
    r"rollback|canary|build|pods?|latency|error|errors|p99|p95|5xx|health|alert|queue|database|db)\b"
)
# Right after a symptom or an alert name, a preposition points at the service: "HighErrorRate is firing
# again for payments", "health check on auth-gateway", "TypeError in web", "latencia en search".
# The preposition is found first (a literal), then the symptom within a few words before it.
_PREPOSITION_NAME = re.compile(rf"\b(?:for|on|in|en|em|no|na|auf|bei|sur|pour|de)\s{{1,2}}{_NAME}")
_SYMPTOM_BEFORE = re.compile(
    r"(?:alerts?|alarm|alerta|monitor|check|page|paged|firing|fire|failing|errors?|latency|latencia|5xx|"
    r"lag|spike|[A-Z][a-z]{1,20}[A-Z]\w{1,40})(?:\s{1,2}[\w-]{1,20}){0,3}\s{1,2}$"
)
# An alert name followed by its service in parentheses: "ErrorBudgetBurn (payments)".
_ALERT_PAREN = re.compile(rf"[A-Z][a-z]{{1,20}}[A-Z]\w{{1,40}}\s{{1,2}}\({_NAME}\)")
# A person's role in the incident: "bob is IC", "carol is the new incident commander".
_ROLE = r"(?i:ic|incident commander|commander|on-?call|oncall|lead|scribe|comms)\b"
# Subject of a state or a deploy verb at the start of a line: "checkout is recovering", "search results
# are back", "search rolled back to 1.9.9". Lower-case only: a capitalised subject is as often a person.
_SUBJECT_STATE = re.compile(
    rf"^{_LOWER_NAME}(?!\s{{1,2}}(?i:is|was)\s{{1,2}}(?i:(?:the|our|now|new)\s{{1,2}}){{0,2}}{_ROLE})"
    rf"\s{{1,2}}(?:(?:results|latency|errors|pods|p99|requests|traffic)\s{{1,2}})?"
    r"(?:is|are|was|were|has|looks|seems|keeps|still|recovered|recovering|back|down|healthy|degraded|"
    r"rolled|rolling|deployed|redeployed|reverted|promoted|upgraded|downgraded|restarted|shipped)\b",
    re.M,
)
# A name used as an adjective of the event: "the auth deploy", "the search rollback".
_ATTRIBUTIVE = re.compile(
    rf"\bthe\s{{1,2}}{_LOWER_NAME}\s{{1,2}}(?:deploy|deployment|rollout|rollback|release|canary|revert|upgrade)\b",
    re.I,
)
# After a version, where it went: "vers la 3.2.0 sur ledger", "2.4.0 on checkout".
_AFTER_VERSION = re.compile(
    rf"\d(?<![\w.]\d)(?:\.\d{{1,6}}){{1,3}}\s{{1,2}}(?:on|for|sur|en|em|auf|para|to)\s{{1,2}}{_LOWER_NAME}"
)
_NOT_OBJECT = frozenset(
    (
        "the a an to now it this that back everything anything all our my fix hotfix change changes config "
        "last latest previous new old canary release again and in on from for with is was has had pipeline "
        "job out up successfully just both across everywhere yet first today asap them those these his her "
        "their your one two via using at by without manually automatically image build version commit patch "
        "branch main master revert rollback deploy staging prod production some most every yesterday tonight "
        "failed done complete completed started succeeded please pls if when unless merged applied pushed "
        "requested auf para zu nach vers sur en em wenn until after before freeze window plan pipelines pods "
        "pod nodes service services tool bot script process steps step status target queue order went worked "
        "failing finished stage traffic button request requests note notes key keys token "
        # Words that stand where a name stands in the newer position rules, but are no names.
        "we i you he she they who what which there here everyone nobody someone something nothing it's "
        "its is are be been being not no yes ok okay also still already only even very more less same "
        "other another each any such our cluster clusters region regions node host hosts users user "
        "customers customer dashboard dashboards alert alerts alarm page pages monitor monitors check "
        "checks error errors latency rate p99 p95 5xx 4xx incident incidents issue issues problem "
        "progress place time minutes minute hours hour seconds days week general front side "
        "team teams channel thread call meeting doc docs runbook ticket tickets case cases way "
        "mobile web-ui ui db database cache queue queues disk memory cpu network dns load lb "
        "monday tuesday wednesday thursday friday saturday sunday morning evening night "
        "rolling rolled deploying deployed reverting reverted shipping shipped restarting restarted "
        "going looking seeing getting trying working waiting checking investigating "
        "result results health healthcheck things thing stuff part parts half rest "
        "us eu emea apac eu-west us-east la le el las los der die das une des "
        "success failure timeout timeouts outage down degraded recovering recovered fine good bad "
        "sentry datadog grafana pagerduty pd opsgenie prometheus alertmanager kibana splunk slack "
        "github gitlab jenkins argo argocd flux helm kubectl kubernetes k8s circleci spinnaker "
        "looks looked seems standing impact decision let site app system systems platform desplegando "
        "haciendo fazendo roll rolling finish finished start end top bottom cours curso andamento marcha "
        "rollout rollouts application ack undo sec secs min mins ms hrs hours version versions tag tags "
        "big small second third whole full partial automatic auto manual scheduled planned nightly weekly "
        "latencia latenz errores erreurs fehler alerta alerte"
    ).split()
)
_NOT_SERVICE = frozenset(
    (
        "on-call follow-up follow-ups post-mortem fix-forward roll-back re-deploy in-progress auto-resolved "
        "pre-prod non-prod e-mail x-ray co-worker self-heal rollout-undo hot-fix dry-run read-only "
        "up-to-date end-to-end check-in sign-off run-book well-known long-running step-by-step t-shirt "
        "go-ahead all-clear high-error-rate flux-system kube-system back-to-normal set-up p-value "
        "us-east-1 us-west-2 eu-west-1 merge-conflict heads-up follow_up sev-1 sev-2"
    ).split()
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
_SERVICE_EXPLICIT = re.compile(
    r"\b(?:service|svc|app|application|project|job|release|deployment|deploy|rollout|helmrelease|kustomization)"
    r"(?:\.apps)?[*_]{0,2}\s{0,2}[:=/]\s{0,2}[*`'\"]{0,2}([A-Za-z][\w.-]{1,60}?)[*`'\"]{0,2}(?=[\s,;)]|$|\.(?:\s|$))",
    re.I,
)
_FLAG_AFTER = re.compile(r"[`'\"*]{0,2}\s{1,2}(?:feature\s)?(?:flag|toggle)\b", re.I)


def is_service_name(token: str) -> bool:
    low = token.lower()
    if looks_like_commit(low):
        return False
    if low in _NOT_SERVICE or low.startswith(_NOT_SERVICE_PREFIX):
        return False
    parts = low.replace("_", "-").split("-")
    if sum(part.isdigit() for part in parts) >= 2:
        return False  # host and instance names (ip-10-0-1-12), not services
    if any(len(p) >= 5 and not p.isalpha() and not p.isdigit() for p in parts[1:]):
        return False  # a generated suffix: the pod checkout-api-7c9f8d6b5-x2lqp, not its service
    if (low in ENV_NAMES or not token.isascii()) and find_environment(token) == token:
        return False  # (an ASCII token is found whole only when it is one of ENV_WORDS' words)
    return not VERSION.fullmatch(token)


def _is_name(token: str, text: str, end: int) -> bool:
    """A word standing where a service stands (ending at `end` in `text`), that is a plausible name."""
    low = token.lower()
    if low in _NOT_OBJECT or low[0].isdigit() or (low[0] == "v" and low[1:2].isdigit()):
        return False
    if low.rpartition("-")[2].isdigit():
        return False  # an instance or host (db-3, kafka-2), not its service
    # (`_PART_AFTER` starts with a space.)
    return is_service_name(token) and not (text[end : end + 1].isspace() and _PART_AFTER.match(text, end))


def _first_name(pattern: re.Pattern[str], text: str) -> str | None:
    """The first plausible name `pattern` captures; after a miss the search resumes at the word it
    captured ("la alerta de latencia en search": not "latencia", then "search")."""
    at = 0
    while (m := pattern.search(text, at)) is not None:
        if _is_name(m.group(1), text, m.end(1)):
            return m.group(1)
        at = m.start(1) if m.start(1) > m.start() else m.start() + 1
    return None


def _after_symptom(text: str) -> str | None:
    for m in _PREPOSITION_NAME.finditer(text):
        if _is_name(m.group(1), text, m.end(1)) and _SYMPTOM_BEFORE.search(
            text, max(0, m.start() - 90), m.start()
        ):
            return m.group(1)
    return None


def _verb_object(text: str, low: str) -> tuple[int, str] | None:
    """The object of a deploy/rollback verb, as written (lower-case or capitalised)."""
    hint = _OBJECT_HINT.search(low)
    if hint is None or len(low) != len(text):
        return None
    for m in _SERVICE_OBJECT.finditer(low, max(0, hint.start() - 2)):  # "re" of "redeploy" precedes the hint
        if m.group(1) in _BARE_VERBS and not _TARGET_AFTER.match(low, m.end()):
            continue
        start, end = m.span(2)
        name = text[start:end]
        if (name == m.group(2) or (name[0].isupper() and name[1:] == m.group(2)[1:])) and _is_name(
            name, text, end
        ):
            return start, name
    return None


# (Japanese particles stand between a name and its version too: "recs を 4.0.1".)
_NAME_BEFORE = re.compile(
    r"(?<![\w.@/-])([A-Za-z][a-z0-9]{2,30}(?:[-_][a-z0-9]{1,30}){0,4})"
    r"(?:\s{1,2}(?:release\s{1,2}|version\s{1,2})?|:|\s?[をはがのも]\s?)v?$"
)


def named_with_versions(text: str, versions: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(offset, service, version) for each name written right in front of its version ("search 2.0.0",
    "web v1.0.2", "payments:5.0.3"), in order."""
    found = []
    for at, version in versions:
        head = text[max(0, at - 42) : at]
        m = _NAME_BEFORE.search(head)
        if m and _is_name(m.group(1), text, at):
            found.append((at - len(head) + m.start(1), m.group(1), version))
    return found


def _by(pattern: re.Pattern[str], needed: str) -> Callable[[str, str], str | None]:
    """A position rule from its pattern and a string it cannot match without (a cheap test first)."""
    return lambda text, low: _first_name(pattern, text) if needed in low else None


# The position rules, in order.
_POSITIONS: tuple[Callable[[str, str], str | None], ...] = (
    _by(_POSSESSIVE, "'s"),
    _by(_ATTRIBUTIVE, "the"),
    _by(_ALERT_PAREN, "("),
    lambda text, _low: _after_symptom(text),
    _by(_SUBJECT_STATE, ""),
    _by(_AFTER_VERSION, "."),
)


def find_service(
    text: str,
    low: str | None = None,
    versions: list[tuple[int, str]] | None = None,
    named: list[tuple[int, str, str]] | None = None,
) -> str | None:
    """The service a line names by position, or None. `versions` are the line's versions and `named`
    `named_with_versions(text, versions)` if the caller has them."""
    m = _SERVICE_EXPLICIT.search(text) if (":" in text or "=" in text or "/" in text) else None
    if (
        m
        and is_service_name(m.group(1))
        and m.group(1).lower() not in _NOT_OBJECT
        and not m.group(1).isdigit()
    ):
        return m.group(1).rstrip(".")
    low = text.lower() if low is None else low
    obj = _verb_object(text, low)
    if obj:
        return obj[1]
    for rule in _POSITIONS:
        name = rule(text, low)
        if name:
            return name
    if versions is None and any(c.isdigit() for c in text):
        versions = find_versions(text)
    if named is None:
        named = named_with_versions(text, versions) if versions else []
    if named:
        return named[0][1]
    if "-" not in text and "_" not in text:
        return None
    flagged = "flag" in low or "toggle" in low
    for m in _SERVICE_TOKEN.finditer(text):
        token = m.group(1)
        if is_service_name(token) and not any(c.isdigit() for c in token.split("-")[-1][:1]):
            if _FLAG_AFTER.match(text, m.end()) or ("_" in token and flagged):
                continue  # `checkout_v2` flag, "the flag `new_pricing`": a feature flag's key, not a service
            return token
    return None
