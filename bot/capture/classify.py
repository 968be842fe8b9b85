"""The capture classifier: one Slack message -> one timeline kind plus refs (pure, deterministic).

Order of judgement (docs/classifier.md explains each step):

1. Team rules from `SCRIBE_RULES_FILE` (bot name / bot id / regex) - the team knows its own bots.
2. Integration parsers for bot messages (Alertmanager, Datadog, Argo CD, …): real formats, exact.
3. Pasted deploy/rollback CLI output and chatops commands, for humans too.
4. Phrase rules in CONTRACT.md's order - other, decision, rollback, deploy, ack, alert_firing,
   alert_resolved, mitigated, resolved - on the message's own prose (`human.phrase_kind`): cues
   first set aside what reports something rather than being the event (code, quotes, questions,
   mentions of earlier events, negated events), then the tables in `guards` and `events` decide.

Confidence: "integration" for a parser, "rule" for a team rule, otherwise the human cue's
"strong" or "weak" (`human.phrase_kind`).

Work is bounded: only the first MAX_CHARS characters are read (an event is announced up front;
the rest of a 40 kB paste is evidence), and every pattern is linear (no nested unbounded repeats).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.capture import refs as R
from bot.capture.catalogue import ServiceCatalogue
from bot.capture.cues import declarative, is_log_paste, normalise, split_prose
from bot.capture.human import phrase_kind
from bot.capture.integrations import Message, recognise
from bot.capture.integrations.common import strip_emphasis
from bot.capture.rules import Rule
from bot.capture.verbs import ROLLBACK_VERB
from bot.domain import Classification, Confidence
from bot.slack.flatten import slack_to_text

MAX_CHARS = 4000
_HUMAN_PARSERS = frozenset({"cli", "hubot_deploy", "heroku"})
_ALERT_CAMEL = re.compile(r"\b([A-Z][a-z0-9]{1,30}(?:[A-Z][a-z0-9]{0,30}){1,6})\b")
# CamelCase product names are not alert names.
_PRODUCTS = frozenset(
    {
        "PagerDuty",
        "OpsGenie",
        "GitHub",
        "GitLab",
        "DataDog",
        "OnCall",
        "JavaScript",
        "TypeScript",
        "PostgreSQL",
        "MySQL",
        "MongoDB",
        "CloudFlare",
        "CloudWatch",
        "StatusPage",
    }
)
# A bot that prefixes its own alerts, like the seed's monitoring feed: "[ALERT] …".
# Also the status-led titles alerting tools use when their name is absent ("Recovered: High error
# rate on checkout-api", "[Resolved] …", "Firing: …"): the status word then a colon or brackets.
_BOT_ALERT = re.compile(
    # A paging tool's state change ("Alert acknowledged by …") is read by its words, not as a new alert.
    r"^\W{0,4}(?:\[?(?:alert|alarm|alerting|critical|warning)\]?(?!\s(?:#?[\w-]{1,20}:?\s)?(?:acknowledged|acked|assigned|snoozed|escalated|"
    r"unacknowledged)\b)[:\s]|warn:\s|\[(?:firing|triggered|resolved|recovered|"
    r"ok|cleared)\]\s|(?:firing|triggered|resolved|recovered|ok|cleared)\s?:\s)",
    re.I,
)
_BOT_ALERT_OK = re.compile(
    r"\b(?:back to normal|normali[sz]ed|resolved|recovered|cleared|ok again|back to ok)\b|^\W{0,4}\[?ok\b",
    re.I,
)
# `Status: <title>`: the title is the alert's name.
_BOT_STATUS_TITLE = re.compile(
    r"^\W{0,4}\[?(?:firing|triggered|resolved|recovered|ok|cleared|critical|warning|warn)\]?\s?:?\s{1,3}(.{1,200})$",
    re.I,
)
# A bot's "resolved"/"recovered" is its alert's or page's unless it names the incident itself (an
# incident-management tool closing INC-1042): `resolved` is the incident declared over.
_BOT_INCIDENT = re.compile(r"\bincidents?\b|(?<![\w-])INC-?\d", re.I)

_ROLLBACK_ANY = re.compile(ROLLBACK_VERB)  # searched in the lower-cased text (`re.I` is several times slower)


def _strip_markup(title: str) -> str:
    """A title without the Slack markdown around it (`*High latency on search-api*`) or a final period."""
    return strip_emphasis(strip_emphasis(title).rstrip("."))


def _refs_for(kind: str, text: str, services: ServiceCatalogue | None = None) -> dict[str, str]:
    if kind == "other":
        return {}
    refs = R.extract_refs(
        text, "rollback" if kind == "decision" and _ROLLBACK_ANY.search(text.lower()) else kind, services
    )
    if kind in ("alert_firing", "alert_resolved"):
        for m in _ALERT_CAMEL.finditer(text):
            if m.group(1) not in _PRODUCTS:
                refs["alert"] = m.group(1)
                break
    return refs


def _human_parsers_may_match(text: str, lower: str) -> bool:
    """False when none of `_HUMAN_PARSERS` can recognise a human's message (each one's own first
    test, checked once here instead of through the registry): cli needs kubectl/helm/rolled,
    hubot_deploy needs "deploy", heroku (no bot name) needs one of its layout words."""
    return (
        "deploy" in lower
        or "kubectl" in lower
        or "helm" in lower
        or "rolled" in lower
        or "Release" in text
        or "Rollback to" in text
        or "config var" in text
        or "Promote" in text
    )


class Classifier:
    """Built-in rules plus a team's rules (which take precedence)."""

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        self._rules = tuple(rules)

    def classify(
        self,
        text: str,
        is_bot: bool,
        *,
        bot_id: str | None = None,
        bot_name: str | None = None,
        services: ServiceCatalogue | None = None,
    ) -> Classification:
        bounded = text[:MAX_CHARS]
        readable = slack_to_text(bounded)
        for rule in self._rules:
            found = rule.apply(readable, bot_id=bot_id, bot_name=bot_name)
            if found is not None:
                kind, refs = found
                return Classification(kind, R.keep_substrings(refs, text), rule.source, "rule")
        stripped = readable.strip()
        first_line = stripped.split("\n", 1)[0].strip()
        lower = stripped.lower()
        if is_bot or bot_id or bot_name:
            match = recognise(Message(stripped, lower, first_line, (bot_name or "").lower(), is_bot))
        elif _human_parsers_may_match(stripped, lower):
            match = recognise(Message(stripped, lower, first_line, "", is_bot), _HUMAN_PARSERS)
        else:
            match = None
        prose, _code = split_prose(stripped)
        if match is not None:
            if not is_bot and prose.strip() and not declarative(normalise(prose).lower()):
                return Classification("other", {}, None)  # a question about the pasted output
            refs = R.keep_substrings(match.refs, text) if match.kind != "other" else {}
            return Classification(match.kind, refs, match.source, "integration")
        if is_log_paste(prose):
            return Classification("other", {}, None)
        normalised = normalise(prose)
        status_title = None
        confidence: Confidence = "strong"
        if is_bot and _BOT_ALERT.match(first_line):
            kind = "alert_resolved" if _BOT_ALERT_OK.search(first_line) else "alert_firing"
            status_title = _BOT_STATUS_TITLE.match(first_line)
        else:
            kind, confidence = phrase_kind(normalised)
            if is_bot:
                # A bot announces what its tool did ("[CHANGE] Deploy api-gateway v2.14.0"): the bare event
                # word that makes a person's line weak is how every notification is written.
                confidence = "strong"
        recovery = kind in ("resolved", "mitigated") or (
            kind == "alert_resolved" and status_title is not None
        )
        if is_bot and recovery:
            # An integration reporting recovery speaks of its alert or page; an incident tool that names
            # the incident keeps the incident's kind ("Resolved: INC-2231 …", "Incident … mitigated").
            if not _BOT_INCIDENT.search(first_line if status_title else normalised):
                kind = "alert_resolved"
            elif kind == "alert_resolved":
                kind = "resolved"
        if kind == "other":
            return Classification("other", {}, None)
        refs = _refs_for(kind, normalised, services)
        if status_title and kind != "resolved" and "alert" not in refs:
            refs["alert"] = _strip_markup(status_title.group(1))
        return Classification(kind, R.keep_substrings(refs, text), None, confidence)


_DEFAULT = Classifier()


def classify(text: str, is_bot: bool) -> Classification:
    """Classify with the built-in rules only."""
    return _DEFAULT.classify(text, is_bot)
