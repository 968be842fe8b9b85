"""Phrase tables for `other`: words that make a message not a new event (CONTRACT.md rule 1).

Hedges, recaps, requests, chatter, unrelated senses (merge conflicts, DNS, "revert to you"),
no-op syncs, log lines, and the SQL and network senses of ROLLBACK and ACK.
"""

from __future__ import annotations

import re

from bot.capture.regex_factor import factored

# Mentions of an earlier event inside a sentence about something else ("back to normal after the
# rollback", "5xx since the deploy"): removed before the event rules look at the sentence.
MENTION = re.compile(
    r"\b(?:after|since|post|before|during|from|due to|because of|caused by|thanks to|following|prior to|"
    r"until|seit|nach|después de|desde|après|depuis|após|desde)\s{1,3}(?:the\s{1,3}|our\s{1,3}|that\s{1,3}|"
    r"this\s{1,3}|a\s{1,3}|der\s{1,3}|dem\s{1,3}|el\s{1,3}|la\s{1,3}|le\s{1,3}|o\s{1,3}|"
    r"a\s{1,3})?(?:[\w.-]{1,40}\s{1,3})?(?:(?:is|are|was|were|gets?|got|has been|have been)\s{1,3})?"
    r"(?:roll(?:ed)? ?-?back|rollback|revert(?:ed)?|deploy(?:ment|ed)?|released?|rollout|rolled out|change)s?\b|\bpost-(?:rollback|deploy|release)\b(?! (?:checks?|tests?|verification))|"
    # A slot in the calendar, not an event: "next deploy window is 12/05 at 09:00".
    r"\b(?:next\s{1,3}|upcoming\s{1,3}|scheduled\s{1,3})?(?:deploy(?:ment)?|release|change|maintenance)\s{1,3}(?:window|train|slot|cut|date|calendar|schedule)s?\b"
)
# A work item's state, not the incident's: "the jira ticket INC-77 is resolved", "PR #123 closed",
# "closed the ticket", "moved OPS-12 to Done", "marked the story as done" (CONTRACT.md: "the jira
# ticket is resolved" is chatter). A bare "INC-1042 closed" names the incident and stays; so does
# "the incident ticket", and a bare "issue" (the incident) unless a tracker or a key qualifies it.
# Also a part of the problem fixed ("resolved the DNS part", "partially resolved"): progress, not the
# incident closed. Removed before the guards and event tables read the sentence.
_TRACKER = r"(?:jira|linear|github|gitlab|shortcut|asana|trello|servicenow|youtrack|clickup)"
_ITEM = (
    r"(?<!incident )(?<!inc )(?:tickets?|jiras?|prs?|pull requests?|mrs?|merge requests?|stor(?:y|ies)|"
    r"bugs?|epics?|cards?)"
)
_KEY = r"(?:#\d{1,7}|!\d{1,7}|(?!inc-)[a-z][a-z0-9]{1,9}-\d{1,7})"
# "issue" and "task" alone are the incident's or a job's ("the issue is resolved", "sync tasks completed").
_WORK_ITEM = (
    rf"(?:{_TRACKER} (?:{_ITEM}|issues?|(?:sub-?)?tasks?)|{_TRACKER}|{_ITEM}|(?:issues?|(?:sub-?)?tasks?) (?={_KEY}))"
    rf"(?: (?:inc-\d{{1,7}}|{_KEY}))?|{_KEY}(?= (?:\S+ ){{0,4}}?(?:in|on) {_TRACKER}\b)"
)
_ITEM_STATE = (
    r"(?:resolved|closed|done|complete|completed|finished|merged|(?:moved|transitioned|set|changed|marked|"
    r"dragged)(?: (?:to|as|into))?(?: the)? [\"']?\w+(?: \w+)?)"
)
SET_ASIDE = factored(
    rf"\b(?:(?:the|my|our|that|this|a|his|her|their) )?(?:{_WORK_ITEM})(?: (?:is|was|are|were|has been|have "
    rf"been|got|gets|now|just|finally|also|already|been|as)){{0,3}} {_ITEM_STATE}(?: (?:in|on) {_TRACKER})?\b|"
    rf"\b(?:resolv|clos|complet|finish|merg|mark)\w* (?:out )?(?:(?:the|my|our|that|this|a|his|her|their) )?"
    rf"(?:{_TRACKER} (?:{_ITEM}|issues?|(?:sub-?)?tasks?)|{_TRACKER}|{_ITEM})(?: (?:inc-\d{{1,7}}|{_KEY}))?(?: (?:as|to) \w+)?\b"
    # "closing the ticket and the incident" closes the incident too.
    r"(?! (?:and|&|plus) (?:the |this |our )?(?:incident|inc\b|inc-\d|channel|outage))|"
    rf"\b(?:resolv|clos|complet|finish|merg|mark)\w* (?:out )?{_KEY}(?: (?:as|to) \w+)?(?= (?:in|on) {_TRACKER}\b)|"
    # The tracker's word for it: "jira says resolved", "the ticket shows closed".
    rf"\b(?:(?:the|my|our|that|this) )?(?:{_WORK_ITEM}) (?:says|shows|has it(?: as)?|lists it as) (?:it'?s |it is )?"
    r"(?:resolved|closed|done|complete|completed)\b|"
    # A board's columns: "transitioned to Done", "moved the card to in review".
    r"\b(?:moved|moving|transitioned|transitioning|dragged|dragging) (?:\S+ ){0,3}?(?:to|into) (?:the )?[\"']?"
    r"(?:done|to ?do|in progress|in review|won'?t (?:do|fix)|backlog|qa|ready for \w+)\b|"
    # Part of the problem fixed, not the incident: "resolved the DNS part", "partially resolved".
    r"\b(?:partially|partly|half|mostly) (?:resolved|fixed|closed)\b|\b(?:resolved|fixed|sorted|closed out) "
    r"(?:the |one |a |some )?(?:[\w-]{1,20} ){0,2}?(?:part|half|piece|bit|side|portion|aspect)s?\b(?! of (?:the )?(?:incident|outage))|"
    r"\b(?:resolved|fixed|sorted) (?:one|two|some|part|half) of (?:the \w+|them|it)\b|"
    r"\b(?:the |one )?(?:first|second|[\w-]{1,20}) (?:part|half|piece|side)(?: of (?:it|the \w+))? (?:is |has been |was )?"
    r"(?:now )?(?:resolved|fixed|sorted|done)\b"
)
# Every `MENTION` match contains "roll", "revert", "deploy", "release" or "change" (checked with `in`
# before the sub in `human.phrase_kind`: without one of them the sub is a no-op).

# --- other: not a new event ------------------------------------------------------------------
HEDGE = factored(
    r"\b(?:maybe|perhaps|possibly|might|could be|probably|i think|i guess|i suspect|suspect|my guess|"
    r"hypothesis|suspected|likely|not sure|i don'?t think|i do not think|not convinced|i doubt|lines? up with|"
    r"correlat\w*|coincides?|i wonder|wondering|wonder (?:if|whether)|(?:is|are|was|were) (?:this |it )?related\b|seems like|i bet|theory|root cause|caused|broke|culprit|"
    r"to blame|happened|imo|imho|in my opinion|afaik|as far as i know|iirc|vielleicht|quizás|quizas|tal vez|peut-être|talvez)\b"
)
RECAP = factored(
    r"\b(?:yesterday(?!'s)|last (?:night|week|time|month|year|incident|outage|page|sev ?\d?|quarter|sprint|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)(?!'s)|(?:\d{1,2}|a few|a couple of|two|three) (?:days|weeks|months) ago|fwiw|for what it'?s worth|earlier|"
    r"(?:back in|in|last) (?:january|february|march|april|june|july|august|september|october|november|december)|"
    r"back in (?:\d{4}|the day)|"
    # The pluperfect places an event before another past one: "we'd rolled back before the page came in".
    r"(?:had|we'?d|i'?d|they'?d) (?:already |just |previously )?(?:rolled|reverted|deployed|shipped|released|pushed|"
    r"restarted|failed over|promoted|patched|closed|resolved|acked|acknowledged)|"
    # An event dated by the clock in the past tense: "deploy was 13:58", "the rollback happened around 10:40".
    r"(?:was|were|happened|landed) (?:at |around |about |~)?\d{1,2}:\d{2}|"
    # A dated event told of ("yesterday's deploy of search went fine", "last week's rollback was clean");
    # "rolling back yesterday's deploy" names it as the object of a new event and stays.
    r"(?:yesterday|last (?:night|week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day)'s (?:[\w.-]{1,30} ){1,5}?(?:went|was|were|had|did|ran|landed)|"
    r"recap|summary|for context|for the record|as a reminder|reminder|previously|the other day|in the past|"
    r"timeline|history|(?:second|third|fourth|\d{1,2}(?:nd|rd|th)) time|this (?:month|quarter|year)|"
    r"for reference|for the post-?mortem|for the pm|notes? for|(?<!von )gestern|(?<!de )ayer|(?<!d')hier|(?<!de )ontem|fyi,? (?:on|in) inc)\b|"
    # A message relayed from elsewhere: "forwarding from #payments: …", "from #payments-eng: …".
    r"^(?:forwarding|forwarded|relaying|cross-?posting|fwd)\b|^from #[\w-]{1,80}:"
)
REQUEST = factored(
    r"^(?:@\S+\s+)?(?:please|pls|plz|can someone|could someone|someone|can you|could you|would you|"
    r"anyone)\b(?!.{0,40}\b(?:roll ?back|rollback|revert|deploy|ship|release|promote|don'?t|do not|stop|hold)\b)"
)
SOCIAL = factored(
    r"\b(?:lunch|coffee|pizza|beer|birthday|weekend|vacation|holiday|congrats|haha|lol|lmao|rofl|"
    r"good morning|good night)\b|^(?:thanks|thank you|thx|ty)(?: \w+)? for\b|^(?:\+1|:\+1:|👍|:thumbsup:) (?:to|for|on)\b|^(?:thank you|thanks|thx|ty|gm|"
    r"ok|okay|k|kk|cool|nice|great|np|\+1|:\+1:|:thumbsup:|👍|:pray:|🙏|:tada:|🎉|:joy:|😂|"
    r"sounds good|sgtm|lgtm|yep|yes|no|nope|sure)[.!]*$"
)
SQL = re.compile(
    r"\b(?:transactions?|txn|savepoint|sql|postgres|postgresql|pg|mysql|deadlocks?|statements?|"
    r"queries|query|database|db|oracle|ora-\d{3,5}|segments?|begin;|commit;)\b|\bROLLBACK\b|rollback;"
)
# "ack" in its messaging or network sense (Kafka acks, TCP ACKs, a SYN flood), not a page's; an
# "ack" opening the message is the responder's own unless it is the subject ("ack is broken …").
_WIRE = (
    r"kafka|consumer|producer|broker|offsets?|mqtt|amqp|tcp|syn|syn-ack|syn/ack|fin|rst|packets?|wireshark|"
    r"tcpdump|handshake|seq|retransmits?|retransmissions?|window size|flood|ddos"
)
ACK_SENSE = re.compile(
    rf"^acks? (?:is|are|was|were|has|have|not|never)\b.{{0,40}}?\b(?:{_WIRE})\b|"
    r"^acks? (?:flood|storm|packets?|retransmit\w*|loss|seq\w*)\b|"
    rf"(?<!^)\backs?\b.{{0,40}}?\b(?:{_WIRE})\b|"
    rf"\b(?:{_WIRE})\b.{{0,40}}?\backs?\b"
)
# SQL's ROLLBACK is a bare upper-case token; TKT-ROLLBACK-7781 or "Rollback" are not.
SQL_CASE = re.compile(r"(?<![\w-])ROLLBACK(?![\w-])")
UNRELATED = factored(
    r"\brevert(?:ing|ed|s)? (?:back )?(?:to|with) (?:you|u|him|her|them|me|the team)\b|\b(?:revert(?:ed|ing|s)?|"
    r"convert(?:ed|ing)?|mov(?:ed|ing)|went|go(?:es|ing)?|set) (?:[\w#-]{1,30} ){0,4}?(?:back )?to (?:a )?"
    r"(?:draft|wip|work in progress|ready for review|todo|to do|backlog)\b|\b(?:merge|"
    r"rebase)? ?conflicts?\b.{0,40}\bresolv|\bresolv\w*\b.{0,40}\bconflicts?\b|\bresolves? to\b|"
    r"\bresolved to \d|\b(?:dns|hostname|host name|name resolution)\b|\bresolved (?:the |my |"
    r"your )?(?:comments?|threads?|conversations?|dependenc\w+|imports?|typos?)\b|\brollback (?:plan|"
    r"procedure|runbook|docs?|strategy|steps|script|button|policy|window|testing)\b|\b(?:release notes|"
    r"sync up|sync on|in sync|deploy keys?|deploy tokens?|deploy (?:guide|docs?))\b|\b(?:deploy|deployment|"
    r"rollback|release) (?:guide|docs?|manifest|yaml|checklist|process|policy|policies|runbooks?|"
    r"playbooks?)\b|\bthreads? resolved\b|\b(?:deploy|release|rollback) (?:bots?|tooling|scripts?|channel|button|"
    r"dashboard|notifications?)\b|"
    # Wording drafted for others to publish ("status page draft: we are investigating …"), a proposal
    # not yet taken ("proposal: we fail over to the DR region").
    r"\b(?:proposal|suggestion|draft|wording|template|proposed (?:update|message|text|wording)|suggested (?:update|message|text|wording))\s?:|"
    r"\bneeds? (?:\d |two |2 )?(?:explicit )?approvals?\b"
    # Evidence being shown, not an event: "the dashboard shows p99 at 4s".
    r"|\b(?:dashboards?|graphs?|grafana|logs?|traces?|metrics?|panel|query|kibana|splunk) (?:shows?|showing|"
    r"says|said|indicates?|suggests?)\b|\bhere'?s the\b"
)
# A generic or habitual statement is no event ("deploying on fridays is a bad idea in general", "the deploy
# pipeline takes 40 minutes"), nor is something said to be unrelated or planned maintenance, nor a past
# event judged.
HABITUAL = factored(
    r"\b(?:in general|generally|usually|typically|every time|on (?:mondays|tuesdays|wednesdays|thursdays|fridays|"
    r"weekends)|takes? (?:about |around |like |over |up to )?\d{1,3} ?(?:s|sec|secs|seconds|m|min|mins|minutes|h|hours?)|"
    r"(?:is|are) (?:a )?(?:bad|good|terrible) idea|unrelated|not related|for maintenance|(?:planned|scheduled) maintenance|"
    # A past event judged, not announced: "yesterday's deploy was fine", "o deploy de ontem estava ok".
    r"(?:was|were|estava|estaba|fue|foi|war|était|s'est|lief) (?:totally |perfectly |completely |bien |super |sehr )?"
    r"(?:fine|ok|okay|clean|good|smooth|uneventful|bien|bem|gut|tranquilo|tranquila|unauffällig|ruhig|passée?|sin problemas|"
    r"sem problemas))\b"
)
# A no-op sync or plan ("sync: no changes", "(no changes)", "No changes detected", "already up to date") is no event;
# "no changes until …" / "no further changes" stays a hold (decision).
NOOP = factored(
    r"\bno (?:new |pending )?(?:changes?|diffs?|drift)(?: (?:detected|found|to (?:apply|sync)|needed|required|"
    r"since|were (?:made|found|detected|applied)|(?:on|from) (?:our|my|their|your) (?:side|end))\b|[.!)\]]{0,2}$|"
    r"[.!)\]] )|\bnothing to (?:sync|apply|deploy|roll ?out)\b|\balready (?:up[ -]to[ -]date|synced)\b"
)
LOG_LINE = re.compile(  # a log line, including a log-forwarding bot's "[LOG] …"
    r"^\s{0,4}(?:\[(?:LOG|Log|log)\]|\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\d{2}:\d{2}:\d{2}[.,\d]{0,7}\s|"
    r"\[?(?:ERROR|WARN|WARNING|INFO|DEBUG|FATAL|TRACE|CRITICAL)\]?[\s:]|level=|ts=|time=\"|"
    r"at [\w.$]{1,200}\(|Traceback \(|File \"|[A-Z]{3,9}:\s{1,3}(?:ROLLBACK|COMMIT|BEGIN|STATEMENT|duration)|"
    r"\w{1,30}Exception\b|\{\")"
)

GUARDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hedge", HEDGE),
    ("recap", RECAP),
    ("request", REQUEST),
    ("social", SOCIAL),
    ("unrelated", UNRELATED),
    ("noop", NOOP),
    ("habitual", HABITUAL),
)
# A clause pointing back at the one before it as evidence: "we deployed 3.1.0 around 14:02, which is when
# this started". After a past event it makes that event a recap (human.phrase_kind).
RETRO = re.compile(
    r"\b(?:which|that)(?: is| was|'s)? (?:exactly |right |about |around |roughly |also )?when\b|"
    r"\b(?:is|was) (?:exactly |right |about |around |roughly )?when (?:th\w+ |it |the \w+ )?(?:started|began|kicked off)\b|"
    r"\b(?:right|just|shortly) (?:before|after) (?:this|it|the (?:errors?|alerts?|spikes?|incident|issue|outage|"
    r"problem)) (?:started|began|kicked off)\b|\blines? up with (?:the |when )"
)
# One pass instead of five: any guard matching makes the message `other`.
GUARD = factored("|".join(guard.pattern for _name, guard in GUARDS))
