"""The capture classifier: one Slack message -> one timeline kind plus refs (pure, deterministic).

Order of judgement (docs/classifier.md explains each step):

1. Team rules from `SCRIBE_RULES_FILE` (bot name / bot id / regex) - the team knows its own bots.
2. Integration parsers for bot messages (Alertmanager, Datadog, Argo CD, …): real formats, exact.
3. Pasted deploy/rollback CLI output and chatops commands, for humans too.
4. Phrase rules in CONTRACT.md's order - other, decision, rollback, deploy, ack, alert_firing,
   alert_resolved, mitigated, resolved - on the message's own prose: fenced code, `>` quotes and
   mentions of earlier events ("after the rollback") are set aside first, because they report
   something rather than being the event.

Work is bounded: only the first MAX_CHARS characters are read (an event is announced up front;
the rest of a 40 kB paste is evidence), and every pattern is linear (no nested unbounded repeats).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from bot.capture import refs as R
from bot.capture.catalogue import ServiceCatalogue
from bot.capture.integrations import Message, recognise
from bot.capture.integrations.common import strip_emphasis
from bot.capture.rules import Rule
from bot.domain import Classification
from bot.slack.flatten import slack_to_text

MAX_CHARS = 4000
_HUMAN_PARSERS = frozenset({"cli", "hubot_deploy", "heroku"})

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "\u00a0": " "})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# Trailing emoji codes like ":thinking_face:" after a question mark (str.rstrip: linear, unlike `[…]*$`).
_TRAILING_NOISE = " \t:abcdefghijklmnopqrstuvwxyz_+-0123456789"
_QUESTION_START = re.compile(
    r"^(?:should|shall|can|could|would|(?:do|does|did)(?!\s{1,2}not\b|n'?t\b)|is|are|was|were|has|have|who|"
    r"what|when|where|why|how|which|any(?:one|body)?|will|won't|isn't|aren't|doesn't|didn't|wdyt|thoughts)\b"
)


def _metachars(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, char, group depth) of each regex character outside escapes and character classes;
    a `(` reports the depth it opens from, a `)` the depth it returns to."""
    depth, in_class, i = 0, False, start
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        else:
            if c == ")":
                depth -= 1
            yield i, c, depth
            if c == "(":
                depth += 1
        i += 1


def _top_level_branches(pattern: str) -> list[str]:
    """Split a regex source at its top-level `|` (outside groups and character classes)."""
    cuts = [i for i, c, depth in _metachars(pattern) if c == "|" and depth == 0]
    bounds = zip([-1, *cuts], [*cuts, len(pattern)], strict=True)
    return [pattern[a + 1 : b] for a, b in bounds]


def _group_end(pattern: str, start: int) -> int:
    """Index of the `)` closing the group opened at `pattern[start]` (-1 if unbalanced)."""
    return next((i for i, c, depth in _metachars(pattern, start) if c == ")" and depth == 0), -1)


_DISTRIBUTE_SUFFIX = 80


def _distributed(branch: str, word_start: bool) -> list[str]:
    """`(?:a|b)S` as `aS`, `bS` (recursively, `S` short and unquantified): same matches in the
    same order of preference, but each alternative now starts with a literal, which `re` rejects
    with one character comparison instead of descending into the nested alternation."""
    if not branch.startswith("(?:"):
        return [branch]
    end = _group_end(branch, 0)
    suffix = branch[end + 1 :] if end > 0 else ""
    if end < 0 or len(suffix) > _DISTRIBUTE_SUFFIX or suffix[:1] in ("?", "*", "+", "{"):
        return [branch]
    out: list[str] = []
    for inner in _top_level_branches(branch[3:end]):
        if word_start and inner.startswith("\\b"):
            inner = inner[2:]  # the enclosing `\b` already holds at this position
        out.extend(_distributed(inner + suffix, word_start))
    return out


_SPECIAL = frozenset("\\[](){}.*+?^$|")


def _lead(branch: str) -> str | None:
    """The literal character every match of `branch` starts with, or None when it has none."""
    if not branch or branch[0] in _SPECIAL or branch[1:2] in ("?", "*", "+", "{"):
        return None
    return branch[0]


def _by_lead(branches: list[str]) -> list[str]:
    """Branches that start with the same literal character merged into one (`ab|c|ad` -> `a(?:b|d)|c`).

    Same matches in the same order of preference: at one position only branches whose first
    character is there can match, and their relative order is kept; a branch without a literal
    first character is a barrier nothing moves across. `re` then rejects a position with one
    comparison per distinct first character instead of one per branch.
    """
    out: list[str] = []
    run: dict[str, list[str]] = {}

    def flush() -> None:
        for lead, group in run.items():
            if len(group) == 1:
                out.append(group[0])
            else:  # and the same inside: a trie of the literal prefixes
                out.append(lead + "(?:" + "|".join(_by_lead([b[1:] for b in group])) + ")")
        run.clear()

    for branch in branches:
        lead = _lead(branch)
        if lead is None:
            flush()
            out.append(branch)
        else:
            run.setdefault(lead, []).append(branch)
    flush()
    return out


def _factored(pattern: str) -> re.Pattern[str]:
    """Compile an alternation of word-start branches as `\\b(?:…)|^(?:…)`.

    `re` tries every top-level branch at every position; with one leading `\\b` a position that is
    not a word start is rejected once instead of once per branch - several times faster on the long
    alternations below, same matches (non-`^` branches are word-start anchored either way).
    """
    words, starts = [], []
    for branch in _top_level_branches(pattern):
        if branch.startswith("^"):
            starts.extend(_distributed(branch[1:], word_start=False))
        else:
            words.extend(_distributed(branch[2:] if branch.startswith("\\b") else branch, word_start=True))
    parts = []
    if words:
        parts.append(r"\b(?:" + "|".join(_by_lead(words)) + ")")
    if starts:
        parts.append("^(?:" + "|".join(_by_lead(starts)) + ")")
    return re.compile("|".join(parts))


# Mentions of an earlier event inside a sentence about something else ("back to normal after the
# rollback", "5xx since the deploy"): removed before the event rules look at the sentence.
_MENTION = re.compile(
    r"\b(?:after|since|post|before|during|from|due to|because of|caused by|thanks to|following|prior to|"
    r"until|seit|nach|después de|desde|après|depuis|após|desde)\s{1,3}(?:the\s{1,3}|our\s{1,3}|that\s{1,3}|"
    r"this\s{1,3}|a\s{1,3}|der\s{1,3}|dem\s{1,3}|el\s{1,3}|la\s{1,3}|le\s{1,3}|o\s{1,3}|"
    r"a\s{1,3})?(?:[\w.-]{1,40}\s{1,3})?(?:roll ?-?back|rollback|revert|deploy(?:ment)?|release|rollout|"
    r"change)s?\b|\bpost-(?:rollback|deploy|release)\b"
)
# Every `_MENTION` match contains "roll", "revert", "deploy", "release" or "change" (checked with `in`
# before the sub in `_phrase_kind`: without one of them the sub is a no-op).

# --- other: not a new event ------------------------------------------------------------------
_HEDGE = _factored(
    r"\b(?:maybe|perhaps|possibly|might|could be|probably|i think|i guess|i suspect|suspect|my guess|"
    r"hypothesis|not sure|i wonder|wondering|seems like|i bet|theory|root cause|caused|broke|culprit|"
    r"to blame|happened|imo|imho|in my opinion|vielleicht|quizás|quizas|tal vez|peut-être|talvez)\b"
)
_RECAP = _factored(
    r"\b(?:yesterday(?!'s)|last (?:night|week|time|month|year|incident|quarter|friday|monday)(?!'s)|earlier|"
    r"recap|summary|for context|for the record|as a reminder|reminder|previously|the other day|in the past|"
    r"timeline|history|gestern|ayer|hier|ontem|fyi,? (?:on|in) inc)\b"
)
_REQUEST = _factored(
    r"^(?:@\S+\s+)?(?:please|pls|plz|can someone|could someone|someone|can you|could you|would you|"
    r"anyone)\b(?!.{0,40}\b(?:roll ?back|rollback|revert|deploy|ship|release|promote)\b)"
)
_SOCIAL = _factored(
    r"\b(?:lunch|coffee|pizza|beer|birthday|weekend|vacation|holiday|congrats|haha|lol|lmao|rofl|"
    r"good morning|good night)\b|^(?:thanks|thank you|thx|ty)(?: \w+)? for\b|^(?:thank you|thanks|thx|ty|gm|"
    r"ok|okay|k|kk|cool|nice|great|np|\+1|:\+1:|:thumbsup:|👍|:pray:|🙏|:tada:|🎉|:joy:|😂|"
    r"sounds good|sgtm|lgtm|yep|yes|no|nope|sure)[.!]*$"
)
_NETWORK = re.compile(
    r"\b(?:tcp|flood|firewall|ddos|syn|syn-ack|syn/ack|fin|rst|packets?|wireshark|tcpdump|handshake|seq|"
    r"retransmits?|retransmissions?|window size)\b"
)
_SQL = re.compile(
    r"\b(?:transactions?|txn|savepoint|sql|postgres|postgresql|pg|mysql|deadlocks?|statements?|"
    r"queries|query|database|db|begin;|commit;)\b|\bROLLBACK\b|rollback;"
)
# SQL's ROLLBACK is a bare upper-case token; TKT-ROLLBACK-7781 or "Rollback" are not.
_SQL_CASE = re.compile(r"(?<![\w-])ROLLBACK(?![\w-])")
_UNRELATED = _factored(
    r"\brevert (?:back )?(?:to|with) (?:you|u|him|her|them|me|the team)\b|\b(?:revert(?:ed|ing|s)?|"
    r"convert(?:ed|ing)?|mov(?:ed|ing)|went|go(?:es|ing)?|set) (?:[\w#-]{1,30} ){0,4}?(?:back )?to (?:a )?"
    r"(?:draft|wip|work in progress|ready for review|todo|to do|backlog)\b|\b(?:merge|"
    r"rebase)? ?conflicts?\b.{0,40}\bresolv|\bresolv\w*\b.{0,40}\bconflicts?\b|\bresolves? to\b|"
    r"\bresolved to \d|\b(?:dns|hostname|host name|name resolution)\b|\bresolved (?:the |my |"
    r"your )?(?:comments?|threads?|conversations?|dependenc\w+|imports?|typos?)\b|\brollback (?:plan|"
    r"procedure|runbook|docs?|strategy|steps|script|button|policy|window|testing)\b|\b(?:release notes|"
    r"sync up|sync on|in sync|deploy keys?|deploy tokens?|deploy (?:guide|docs?))\b|\b(?:deploy|deployment|"
    r"rollback|release) (?:guide|docs?|manifest|yaml|checklist|process|policy|policies|runbooks?|"
    r"playbooks?)\b|\bthreads? resolved\b|\blooking (?:good|better|great|fine|ok|okay|bad|worse|forward)\b|"
    r"\bneeds? (?:\d |two |2 )?(?:explicit )?approvals?\b"
    # Evidence being shown, not an event: "the dashboard shows p99 at 4s".
    r"|\b(?:dashboards?|graphs?|grafana|logs?|traces?|metrics?|panel|query|kibana|splunk) (?:shows?|showing|"
    r"says|said|indicates?|suggests?)\b|\bhere'?s the\b"
)
# A no-op sync or plan ("sync: no changes", "No changes detected", "already up to date") is no event;
# "no changes until …" / "no further changes" stays a hold (decision).
_NOOP = _factored(
    r"\bno (?:new |pending )?(?:changes?|diffs?|drift)(?: (?:detected|found|to (?:apply|sync)|needed|required|"
    r"since|were (?:made|found|detected|applied)|(?:on|from) (?:our|my|their|your) (?:side|end))\b|[.!]?$|"
    r"[.!] )|\bnothing to (?:sync|apply|deploy|roll ?out)\b|\balready (?:up[ -]to[ -]date|synced)\b"
)
_LOG_LINE = re.compile(  # a log line, including a log-forwarding bot's "[LOG] …"
    r"^\s{0,4}(?:\[(?:LOG|Log|log)\]|\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\d{2}:\d{2}:\d{2}[.,\d]{0,7}\s|"
    r"\[?(?:ERROR|WARN|WARNING|INFO|DEBUG|FATAL|TRACE|CRITICAL)\]?[\s:]|level=|ts=|time=\"|"
    r"at [\w.$]{1,200}\(|Traceback \(|File \"|[A-Z]{3,9}:\s{1,3}(?:ROLLBACK|COMMIT|BEGIN|STATEMENT|duration)|"
    r"\w{1,30}Exception\b|\{\")"
)

# --- event rules, in contract order ----------------------------------------------------------
_ROLLBACK_VERB = (
    r"roll(?:ing|ed|s)?\s?-?back|rollbacks?|revert(?:ing|ed|s)?|(?:undo(?:ing)?|undid) (?:the |that |this |"
    r"last |latest |previous |my |our ){0,3}(?:deploy|release|change|merge|commit|upgrade|flag|flip|toggle|"
    r"config|patch|migration|bump)|(?<![\w./])rb(?:'?d|'?ing)?(?![\w-])|back(?:ing|"
    r"ed)? out|zurückgerollt|zurückrollen|zurücksetzen|revertimos|revertir|revirtiendo|revertido|reverter|"
    r"revertendo|revertemos|retour arrière|on revient|downgrad(?:e|ing|ed)|reviens|revenons"
)
_DEPLOY_VERB = (
    r"deploy(?:ing|ed|ment)?|redeploy(?:ing|ed)?|re-deploy(?:ing|ed)?|ship(?:ping|ped)?|releas(?:e|ing|ed)|"
    r"promot(?:e|ing|ed)|roll(?:ing|ed)? out|rollout|push(?:ing|ed)? (?:the |a |out )?(?:fix|hotfix|patch|"
    r"config|change|release|build|image)|hotfix|config change|feature flag|toggl(?:e|ed|ing)|flipp(?:ed|ing)|"
    r"sync(?:ed|ing)|upgrad(?:e|ing|ed)|desplegando|desplegado|despliegue|desplegamos|implantando|implantado|"
    r"déploiement|déployé|déploie|déployons|ausgerollt|ausrollen|deployt|deployen|fazendo deploy|subiendo|"
    r"mise en prod|desplegar|patch(?:ed|ing)|hot-?patch(?:ed|ing)?"
)
_FUTURE = (
    r"let'?s|lets|we'?ll|we will|we are going to|we'?re going to|we should|we need to|we must|we plan to|"
    r"we'?re gonna|going to|gonna|plan is|plan:|the plan|next step|decision|decided|we'?ve decided|agreed to|"
    r"proceed|go ahead|green ?light|approved|i'?ll|i will|wir werden|lass uns|vamos a|vamos|on va|"
    r"nous allons|vou|vamos fazer|decidimos|hemos decidido|on a décidé|nous avons décidé|wir haben entschieden|"
    r"entschieden"
)
_ACTION = (
    rf"{_ROLLBACK_VERB}|{_DEPLOY_VERB}|fail ?over|failover|fix[ -]forward|roll(?:ing)? forward|scale|"
    r"restart|drain|disable|enable|flip|page|escalate|patch|bump|block|rate.?limit|shed|hold|wait|freeze|"
    r"pause|cut ?over|switch|redirect|route|keep (?:the )?\w+ (?:off|on|disabled|enabled)|leave"
)

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "decision",
        _factored(
            r"^decision\b|\bdecision:|\b(?:don'?t|do not|dont|no|not|never|nobody|no one|noone|stop|"
            r"hold(?:ing)? off(?: on)?|halt|nicht|kein|no vamos|pas de)\s"
            r"(?:\w+\s){0,3}(?:" + _ROLLBACK_VERB + r"|deploy\w*|merg\w*|releas\w*|ship\w*|changes|push\w*|"
            r"restart\w*|fail ?over|failover|scal(?:e|ing)|drain\w*|touch\w*|delet\w*|page|escalat\w*|despleg\w*|"
            r"d[ée]ploy\w*|red[ée]ploy\w*|d[ée]ploi\w*|red[ée]ploi\w*|ausroll\w*)\b|"
            r"\bne (?:\w+ ){0,2}?(?:re)?d[ée]ploi\w* (?:pas|plus|rien)\b|"
            r"\b(?:code|deploy|change|release|merge) freeze\b|\bfreez(?:e|ing) (?:deploys|deployments|merges|"
            r"changes)|\b(?:hold|pause|block)(?:ing)? (?:all |the |any )?(?:deploys|deployments|releases|merges|"
            r"changes)\b|"
            r"\b(?:" + _FUTURE + r")(?!\w).{0,50}?\b(?:" + _ACTION + r")|"
            r"\b(?:if|wenn|falls|si)\b.{0,80}\b(?:" + _ROLLBACK_VERB + r"|fail ?over|page|escalate)\b|"
            r"\b(?:" + _ROLLBACK_VERB + r"|fail ?over)\b.{0,30}?\b(?:if|unless|when|wenn|falls|sofern|si)\s|"
            r"\bsev(?:erity)? ?-?\d? (?:is |has been |was )?(?:lowered|raised|bumped|downgraded|upgraded|reduced|"
            r"increased|changed|moved|dropped|set)\b|"
            r"\b(?:bump(?:ing|ed)?|upgrad(?:e|ing|ed)|downgrad(?:e|ing|ed)|rais(?:e|ing|ed)|lower(?:ing|ed)?|"
            r"escalat(?:e|ing|ed)|moving|mov(?:e|ed)|declar(?:e|ing|ed)|calling (?:it|this)|"
            r"this is (?:now )?(?:a|an))\b.{0,25}\b(?:sev ?-?\d|p[0-4]\b|severity|major incident|incident)|"
            r"\bseverity (?:is )?(?:now |set to |to )?(?:sev|p\d|high|critical|major)|\b(?:paging|page|pinging|"
            r"looping in|loop in|escalating to|escalate to|pulling in|bringing in|calling in)\b.{0,30}\b(?:team|"
            r"on-?call|dba|db|network|security|infra|platform|sre|netops|@\w)|\b(?:declar(?:e|ing|ed)|open(?:ing|"
            r"ed)?|spinning up)\b.{0,20}\b(?:an? )?(?:incident|sev ?-?\d|major incident)\b|\b(?:sev ?-?\d|p[0-4]|"
            r"major incident|incident) (?:is |has been )?(?:declared|opened)\b|\b(?:fix(?:ing)?[ -]forward|"
            r"roll(?:ing)? forward|forward[- ]fix)\b"
        ),
    ),
    (
        "rollback",
        _factored(
            r"\b(?:" + _ROLLBACK_VERB + r")|\b(?:back|again) (?:on|to) (?:version |release )?v?\d{1,6}\.\d"
        ),
    ),
    (
        "deploy",
        _factored(
            r"\b(?:" + _DEPLOY_VERB + r")\b|\b(?:is|are|now|we'?re|it'?s) live\b|\bgoing out\b|"
            r"\bcanary (?:is )?(?:at|to|now at) \d{1,3} ?%|\b(?:is|are) (?:now )?(?:in|on|out (?:in|on|to)|"
            r"out on|live (?:in|on)) (?:prod|production|staging|stg|canary)\b|\b(?:fix|hotfix|patch|build|"
            r"release|change) (?:is|are) out\b|\b(?:is|are|was|been|being) (?:being )?appl(?:ied|ying)\b|"
            r"\bappl(?:ied|ying) (?:the |a |my |our )?(?:change|config|patch|fix|manifest|terraform|migration)|"
            r"\b(?:bump(?:ed|ing)|increas(?:ed|ing)|decreas(?:ed|ing)|rais(?:ed|ing)|lower(?:ed|ing)|scal(?:ed|"
            r"ing)|set|changed|chang(?:ing)|reduc(?:ed|ing)|doubl(?:ed|ing))\b.{0,30}\b(?:replicas?|"
            r"replica count|pods|(?:memory|cpu) limits?|limits|pool size|connection pool|timeouts?|"
            r"max_?connections|workers|instances|capacity|rate limits?|hpa|autoscal\w*|node ?pools?|nodes)\b|"
            r"\bturn(?:ed|ing)? (?:on|off)\b.{0,40}\b(?:flag|toggle|feature)\b|\b(?:enabl|disabl)(?:ed|ing)\b.{0,40}"
            r"\b(?:flag|toggle)\b|\b(?:flag|toggle)\b.{0,40}\b(?:to|at|for) \d{1,3} ?%"
        ),
    ),
    (
        "ack",
        _factored(
            r"^(?:@\S+\s+)?(?:ack|ack'?d|acked|acking|acknowledged|acknowledging|ack'ing|roger|copy)\b|"
            r"\backnowledg(?:ed|ing)\b|\back(?:ed)? (?:the |this )?(?:page|alert|incident)\b|\b(?:on it(?<!eye on it)"
            r"(?<!work on it)(?<!sleep on it)(?<!comment on it)(?<!click on it)(?<!based on it)(?<!put on it)|"
            r"i'?m on it|looking|taking a look|having a look|i'?ll (?:take|grab|look|check|dig)|i'?ve got (?:it|"
            r"this)|got this|investigating|digging in|digging into|checking|joining|hopping on|jumping on|"
            r"bin dran|schaue? (?:mir )?(?:das |es )?an|ich schau|ich kümmere mich|estoy en ello|lo miro|"
            r"me encargo|mirando|je regarde|je m'en occupe|je prends|estou olhando|vou olhar|deixa comigo|"
            r"eu pego|investigando|untersuche)\b|\b(?:ic|incident commander)\s(?:here|now|is\b|taking over)|"
            r"\b(?:i have|i'?ve got|i got|i'?ll take|taking|i'?m holding|i hold) the pager\b|\bi (?:can|"
            r"could) take (?:this|it)\b|\byou'?re (?:the )?(?:ic|incident commander)\b|\b(?:i'?m|"
            r"i am) on (?:comms|point)\b|\b(?:taking|i'?ll take|i'?ll do|i'?ll handle|handling) (?:comms|"
            r"communications|point|the lead|lead|ownership|scribe)\b|\b(?:taking|take|i'?ll be|i am|i'?m)(?: the|"
            r" over as| over)? (?:ic|incident commander)\b|\b(?:hand(?:ing)?|pass(?:ing)?)(?: over| off)? (?:ic|"
            r"incident command|command|the pager)\b|\b(?:is|as) (?:now )?(?:the )?(?:ic|incident commander)\b|"
            r"\b(?:the )?ic is (?:now )?@?\w|^ic: \S|\bnew ic\b|\bic (?:from now|now)\b"
        ),
    ),
    (
        "alert_firing",
        _factored(
            r"\balerts? (?:is |are |just )?(?:fir(?:ing|ed)|went off|going off|triggered|tripped)|\b(?:fir(?:ing|"
            r"ed)|triggered) alert|\bgot paged|\bgetting paged|\bwe'?re paged|\bpaged (?:for|about)|"
            r"\bpagerduty (?:is )?(?:going off|fired)|"
            r"(?<!rate )(?<!errors )(?<!latency )(?<!5xx )(?<!traffic )(?<!load )\b(?:is|are) (?:completely |"
            r"totally |hard )?(?:down\b(?!\s{0,2}(?:to|by|\d))|failing|erroring|on fire|unreachable|timing out|"
            r"throwing)|\b(?:error rate|errors|5xx|latency|cpu|memory|p99|p95|disk|queue|lag)s?(?: rate)? (?:is |"
            r"are )?(?:spik(?:ing|ed)|through the roof|climbing|elevated|up to|at \d)|\bspike in\b|\boutage\b|"
            r"\balarms? (?:is |are )?(?:fir|went|going)|\b(?:returning|throwing|serving) (?:5\d\d|5xx|errors?|"
            r"timeouts?)|\bgot (?:an |a |the )?(?:alert|page|alarm)\b|\bpaging (?:again |still )?(?:for|about)\b|"
            r"\b(?:error rate|errors|5xx|latency|cpu|memory|p99|p95|disk|queue|lag|timeouts)s?(?: rate)? (?:has |"
            r"have )?(?:jump(?:ed|ing)|went up|increas(?:ed|ing)|ris(?:ing|en)|rose|doubl(?:ed|ing)|"
            r"at \d{2,3} ?%)|\b(?:not|isn'?t|aren'?t|won'?t) (?:loading|working|responding|reachable|"
            r"available)\b|\bcan'?t (?:log ?in|check ?out|connect|load|pay|reach)\b|est(?:á|a) ca[íi]d[oa]|"
            r"est en panne|\bcaiu\b|fora do ar|ist (?:komplett )?down|alarm ausgelöst|"
            r"\b(?:error rate|errors|5xx|latency|cpu|memory|mem|p99|p95|p50|disk|queue(?: depth)?|lag|load|heap|"
            r"connections)(?: rate)?(?: (?:on|for|in|of) (?:the )?[\w.-]{1,30})? (?:is |are |has |have |just )?(?:spik\w+|"
            r"went through the roof|through the roof|off the charts|climbing|skyrocket\w*|pegged|maxed|jump\w*|"
            r"at \d{2,3} ?%|up to \d)|\b(?:just |still |now )?(?<!stopped )(?<!no longer )(?<!not )(?<!never )"
            r"(?:fir(?:ing|ed)|triggered|tripped)\b(?! up\b)|\bfailing for (?:all|every|most|many|some|\d)|"
            r"\bne (?:répond|marche|fonctionne|charge) (?:plus|pas)\b|\bno (?:carga|funciona|responde)\b|"
            r"\bnão (?:carrega|funciona|responde)\b|\b(?:geht|funktioniert|lädt) (?:gar )?nicht(?: mehr)?\b|"
            r"\bnicht (?:mehr )?erreichbar\b|"
            # A responder relaying what they see: "I'm seeing 5xx on checkout-api", "customers are seeing
            # timeouts" (not "seeing errors drop", and a question or hedge never gets this far).
            # Literal first, who says it checked behind: `re` rejects most positions on one character.
            r"\bseeing(?:(?<=^seeing)|(?<=i'm seeing)|(?<=im seeing)|(?<=i am seeing)|(?<=we're seeing)|"
            r"(?<=we are seeing)|(?<= are seeing)|(?<=still seeing)|(?<=also seeing)|(?<=now seeing)|"
            r"(?<=users seeing)|(?<=customers seeing)) (?:a (?:lot|bunch|ton) of |lots of |many |some |more |a few |"
            r"(?:a )?spikes? (?:of|in) |elevated |high |increased |intermittent )?(?:5\d\ds?|5xxs?|errors?|"
            r"error rates?|timeouts?|failures|failed \w+|latency|crash\w*|ooms?|exceptions|restarts|packet loss)\b"
            r"(?! (?:drop|dropping|decreas|go(?:ing)? down|fall|recover|subsid|clear|stop|disappear|gone)\w*)|"
            # Health reported degraded (Argo CD's health status, a status page).
            r"\bdegraded\b(?:(?<=is degraded)|(?<=are degraded)|(?<=has degraded)|(?<=have degraded)|"
            r"(?<=now degraded)|(?<=got degraded)|(?<=looks degraded)|(?<=been degraded)|(?<=become degraded)|"
            r"(?<=health: degraded)|(?<=status: degraded))"
        ),
    ),
    (
        "alert_resolved",
        _factored(
            r"\b(?:alert|alerts|monitor|monitors|page|alarm|alarms)(?: has| have| is| are)? (?:cleared|resolved|"
            r"recovered|auto-?resolved|stopped firing|back to ok|ok now|green|went green|turned green|"
            r"resolved itself)\b|\b(?:cleared|resolved) (?:the )?(?:alert|page)\b|\bauto-?resolved\b|"
            r"\ball alerts (?:are )?(?:green|clear)|\b(?:resolved|closed) (?:it |the alert |"
            r"the page )?in (?:pagerduty|pd|opsgenie|datadog)\b|\b(?:pages|alerts|alarms|paging) (?:have |"
            r"has )?stopped\b|\bmonitor (?:has )?recovered\b|\b(?:alert|alerts|monitor|alarm|alarms|page)\b.{0,30}?"
            r"\b(?:cleared|auto-?resolved|resolved itself|recovered|went green|turned green|back to ok)\b|"
            r"\bno (?:more |further )?(?:pages|alerts|alarms)\b(?!,? (?:please|pls|plz))|\balertas? (?:\w+ ){0,3}?(?:se )?resolvi\w*|"
            r"\balarme? (?:\w+ ){0,3}?(?:aufgehoben|weg|grün|résolue?|levée?)|\balerte (?:\w+ ){0,3}?(?:résolue|levée)"
        ),
    ),
    (
        "mitigated",
        _factored(
            r"\b(?:back to (?:baseline|normal)|(?:is|are) at baseline|at normal levels|returned to (?:baseline|"
            r"normal)|recovered|recovering|mitigated|mitigation (?:is )?(?:in place|worked|applied)|"
            r"(?:error rate|errors|5xx|latency|p99|cpu|timeouts)(?: rate)? (?:is |are |has |have )?(?:down|"
            r"dropping|dropped|falling|normal|normalized|normalised|back|recovering|recovered|flat|stable|gone|"
            r"at zero|at 0)|impact (?:has )?(?:stopped|ended)|(?:stable|stabilized|stabilised|healthy) (?:now|"
            r"again)|(?:is|are|looks?|looking) (?:stable|healthy|green) (?:again|now)|no (?:more )?(?:errors|5xx|"
            r"impact)\b|can (?:check ?out|log ?in|pay|buy|\w+) again|(?:working|flowing|processing|serving|"
            r"loading|succeeding|going through|coming in) again|^we'?re back\b|\bwe'?re back (?:up|online|"
            r"to normal)|back up\b|up again|out of the woods|caught up|\bback (?:at|under|below|above|to) \d|"
            r"(?:we'?re|is|are|looks?) stable\b|\b(?:5\d\ds|5xxs?|errors|timeouts|crashes|restarts|"
            r"pages) (?:have |has )?stopped\b|\b(?:can|able to) (?:\w+ ){0,2}\w+ again\b|(?:queue|backlog|"
            r"lag) (?:is |has )?(?:drained|cleared|recovered|gone|back to normal)|restored|"
            r"bleeding (?:has )?stopped|wieder (?:normal|stabil|da)|funktioniert wieder|"
            r"volvi[óo] a la normalidad|ya funciona|normalizado|revenu à la normale|de nouveau (?:stable|normal)|"
            r"voltou ao normal|normalizou|impact (?:is |was )?over|(?:stable|healthy|green|clean|quiet|fine) for "
            r"(?:the (?:last|past) )?\d{1,3} ?(?:s|sec|secs|min|mins|minutes|m|h|hours?)\b|(?:working|responding|"
            r"loading|fine|ok|good|normal|healthy|up|green) (?:again|once more)\b|vuelve a funcionar|"
            r"funciona (?:de nuevo|otra vez)|responde (?:bien|de nuevo|otra vez)|läuft wieder|geht wieder|"
            r"wieder (?:ok|gut|grün|online|erreichbar)|remarche|fonctionne (?:à nouveau|de nouveau)|"
            r"voltou a funcionar|funcionando de novo|(?:keep(?:ing)?|leav(?:e|ing)) (?:the )?(?:incident|inc|"
            r"channel) open)"
        ),
    ),
    (
        "resolved",
        _factored(
            r"\ball[ -]clear\b|\bclos(?:ing|ed|e)(?: out)? (?:this|the|inc\b|incident|it)|"
            r"\b(?:incident(?: inc-?\d{1,7}| #?\d{1,7})?|inc[- ]?#?\d{1,7}) (?:is |has been |was |now |is now )?"
            r"(?:resolved|closed|over)\b|\bresolv(?:ing|ed|e) (?:the |this )?incident\b|"
            r"\bmark(?:ing|ed)? (?:this |it |the incident )?(?:as )?resolved\b|\bwe'?re resolved\b|^resolv(?:ed|"
            r"ing)\b|\bresolved[.!]?$|(?<!before )(?<!then )(?<!until )(?<!prior to )\bclosing[.!]?$|"
            r"\bis resolved\b|\bclosed out\b|\bstand(?:ing)? down\b|erledigt|resuelto|cerramos|cerrado|résolu|"
            r"\bclos\b|resolvido|encerrado|encerrando|geschlossen|gelöst|\bincident\b.{0,10}\b(?:fermé|clôturé)"
        ),
    ),
)
_GUARDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hedge", _HEDGE),
    ("recap", _RECAP),
    ("request", _REQUEST),
    ("social", _SOCIAL),
    ("unrelated", _UNRELATED),
    ("noop", _NOOP),
)
# One pass instead of five: any guard matching makes the message `other`.
_GUARD = _factored("|".join(guard.pattern for _name, guard in _GUARDS))
# Words an event is announced with come first; past this many characters a message is a report
# or a paste, and reading further only costs time.
_PHRASE_CHARS = 1500
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
    r"^\W{0,4}(?:\[?(?:alert|alarm|alerting|critical|warning)\]?[:\s]|\[(?:firing|triggered|resolved|recovered|"
    r"ok|cleared)\]\s|(?:firing|triggered|resolved|recovered|ok|cleared)\s?:\s)",
    re.I,
)
_BOT_ALERT_OK = re.compile(
    r"\b(?:back to normal|normali[sz]ed|resolved|recovered|cleared|ok again|back to ok)\b|^\W{0,4}\[?ok\b",
    re.I,
)
# `Status: <title>`: the title is the alert's name.
_BOT_STATUS_TITLE = re.compile(
    r"^\W{0,4}\[?(?:firing|triggered|resolved|recovered|ok|cleared|critical|warning)\]?\s?:?\s{1,3}(.{1,200})$",
    re.I,
)
# A bot's "resolved"/"recovered" is its alert's or page's unless it names the incident itself (an
# incident-management tool closing INC-1042): `resolved` is the incident declared over.
_BOT_INCIDENT = re.compile(r"\bincidents?\b|(?<![\w-])INC-?\d", re.I)
_LONE_ACK = frozenset({":eyes:", "👀", ":eyes: :eyes:", ":eyes::eyes:", "👀👀", ":ack:", ":ack2:"})


def _split_prose(text: str) -> tuple[str, str]:
    """(prose, code): fenced blocks go to code, `>` quoted lines are dropped from both."""
    if "`" not in text and ">" not in text:
        return text, ""
    pieces = text.split("```")
    prose_parts = pieces[0::2]
    code = "\n".join(pieces[1::2])
    lines: list[str] = []
    for line in "\n".join(prose_parts).splitlines():
        stripped = line.lstrip()
        if stripped.startswith(">>>"):
            break  # Slack's `>>>` quotes everything after it
        if stripped.startswith(">"):
            continue
        lines.append(line)
    return "\n".join(lines), code


def _is_log_paste(prose: str) -> bool:
    lines = [ln for ln in prose.splitlines() if ln.strip()]
    if not lines:
        return False
    logs = sum(1 for ln in lines[:40] if _LOG_LINE.match(ln))
    return logs >= max(1, (min(len(lines), 40) + 1) // 2)


def _normalise(text: str) -> str:
    if text.isascii():  # O(1) on str; ASCII has nothing to compose and no curly quotes
        return " ".join(text.split())
    return " ".join(unicodedata.normalize("NFC", text).translate(_QUOTES).split())


def _declarative(lower: str) -> str:
    """The sentences that are not questions, joined."""
    keep: list[str] = []
    split = "." in lower or "!" in lower or "?" in lower or "\n" in lower
    sentences = _SENTENCE_END.split(lower) if split else (lower,)
    for sentence in sentences:
        s = sentence.strip()
        if not s:
            continue
        tail = s.rstrip(_TRAILING_NOISE) if not s.endswith("?") else s
        if s.endswith("?") or tail.endswith("?") or _QUESTION_START.match(s):
            continue
        keep.append(s)
    return " ".join(keep)


_CLAUSE_BREAK = re.compile(r"[,;:]\s|[.!]\s|\s[-(]\s?|\s(?:but|and|so|although|though)\s")


# A guard followed by a comma and more of the same sentence sits inside it as an aside.
_PARENTHETICAL = re.compile(r"[^,.!;?]{0,40}, \w")


_ATTRIBUTION = re.compile(
    r"\b(?:said|says|wrote|writes|quote|quoting|quoted|according to|told (?:me|us|them)|claims?|claimed)\b"
)
_QUOTED = re.compile(r'"[^"]{1,300}"')


def _labels_message(text: str, start: int, end: int) -> bool:
    """A guard alone in brackets ("… (recap)", "[fyi]") or closing the message after a dash labels it all."""
    before = text[max(0, start - 3) : start].rstrip()
    if before.endswith(("(", "[")):
        return text[end : end + 3].lstrip().startswith((")", "]"))  # "(recap)", not "(I think v1.4.2)"
    return before.endswith("-") and end >= len(text.rstrip(" .!)]"))


def _clause_end(text: str, before: int) -> int:
    """Where the last clause that ends before `before` ends (0 when there is none)."""
    end = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, before):
        end = m.start()
    return end


# "TargetDown resolved": an alert's CamelCase name is what makes "resolved" the alert's, not the
# incident's. Needs the original case, so it runs on the message as written.
_NAMED_ALERT_OK = re.compile(
    r"\b[A-Z][a-z0-9]{1,30}(?:[A-Z][a-z0-9]{0,30}){1,6}\b(?: alert| monitor)?(?: has| is| was)?(?: now| just)?"
    r" (?:cleared|resolved|recovered|auto-?resolved|stopped firing|back to ok|ok again)\b"
)


_NAMED_ALERT_WORDS = ("resolved", "cleared", "recovered", "to ok", "ok again", "stopped firing")


def _named_alert_cleared(original: str, text: str) -> bool:
    if not any(word in text for word in _NAMED_ALERT_WORDS):
        return False
    m = _NAMED_ALERT_OK.search(original, 0, _PHRASE_CHARS)
    return m is not None and m.group(0).lower() in text


def _phrase_kind(original: str) -> str:
    lower = original.lower()
    if not lower:
        return "other"
    if lower in _LONE_ACK:
        return "ack"
    text = _declarative(lower)[:_PHRASE_CHARS]
    if not text:
        return "other"  # only questions
    if "roll" in text or "revert" in text or "deploy" in text or "release" in text or "change" in text:
        text = _MENTION.sub(" ", text)
    if text.startswith("decision:"):
        return "decision"  # an explicit label outranks the guards ("… through the weekend")
    if '"' in text and _ATTRIBUTION.search(text):
        # `"rolling back now" - that's what bob said`: quoted words are someone else's, reported.
        text = _QUOTED.sub(" ", text)
    guard = _GUARD.search(text)
    if guard:
        # A hedge, recap or aside only voids its own clause and what follows it: "please revert
        # #3310, it broke checkout" still requests a rollback. A guard in the first clause voids all.
        cut = _clause_end(text, guard.start())
        if (
            cut <= 0
            or _SOCIAL.search(text)
            or _PARENTHETICAL.match(text, guard.end())
            or _NOOP.match(text, guard.start())
            or _labels_message(text, guard.start(), guard.end())
        ):
            # "the deploy, I think, caused it": the hedge governs the whole sentence; "(recap)" or a
            # closing "- for context" labels the whole message; a no-op sync is no event anywhere.
            return "other"
        text = text[:cut]
        if _GUARD.search(text):
            return "other"
    for kind, pattern in _RULES:
        if not pattern.search(text):
            if kind == "alert_resolved" and _named_alert_cleared(original, text):
                return kind
            continue
        if kind == "rollback" and (_SQL_CASE.search(original) or _SQL.search(text)):
            return "other"  # a database transaction rolling back, not a release
        if kind == "decision" and _SQL_CASE.search(original) and _SQL.search(text):
            return "other"  # "issues ROLLBACK when validation fails": a transaction, not a plan
        if kind == "ack" and _NETWORK.search(text):
            return "other"
        if kind == "mitigated" and _RULES[-1][1].search(text):
            return "resolved"  # mitigated means "not closed"; a closing message is resolved
        return kind
    return "other"


_ROLLBACK_ANY = re.compile(
    _ROLLBACK_VERB
)  # searched in the lower-cased text (`re.I` is several times slower)


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
                return Classification(kind, R.keep_substrings(refs, text), rule.source)
        stripped = readable.strip()
        first_line = stripped.split("\n", 1)[0].strip()
        lower = stripped.lower()
        if is_bot or bot_id or bot_name:
            match = recognise(Message(stripped, lower, first_line, (bot_name or "").lower(), is_bot))
        elif _human_parsers_may_match(stripped, lower):
            match = recognise(Message(stripped, lower, first_line, "", is_bot), _HUMAN_PARSERS)
        else:
            match = None
        prose, _code = _split_prose(stripped)
        if match is not None:
            if not is_bot and prose.strip() and not _declarative(_normalise(prose).lower()):
                return Classification("other", {}, None)  # a question about the pasted output
            refs = R.keep_substrings(match.refs, text) if match.kind != "other" else {}
            return Classification(match.kind, refs, match.source)
        if _is_log_paste(prose):
            return Classification("other", {}, None)
        normalised = _normalise(prose)
        status_title = None
        if is_bot and _BOT_ALERT.match(first_line):
            kind = "alert_resolved" if _BOT_ALERT_OK.search(first_line) else "alert_firing"
            status_title = _BOT_STATUS_TITLE.match(first_line)
        else:
            kind = _phrase_kind(normalised)
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
        return Classification(kind, R.keep_substrings(refs, text), None)


_DEFAULT = Classifier()


def classify(text: str, is_bot: bool) -> Classification:
    """Classify with the built-in rules only."""
    return _DEFAULT.classify(text, is_bot)
