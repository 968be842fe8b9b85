"""Honeybadger notifications: the one-line `message` of its webhook payloads, "as notifications show
it" (docs.honeybadger.io/guides/integrations/payloads/): `[<project>/<environment>] …` for error
events, `[<project>] …` for uptime events.

* occurred: `[P/env] <ErrorClass>: <error message>`; rate_exceeded: `[P/env] <ErrorClass> has
  occurred <n> time(s) in the past …`; down: `[P] <site> is down.` → alert_firing;
* resolved: `[P/env] <ErrorClass> resolved by <user>` → alert_resolved (the error tool's own state);
* commented: `[P/env] <user> commented on <ErrorClass>: …`, assigned: `[P/env] <ErrorClass> assigned
  to <user> by <user>` → other.

The wording of `up`, `unresolved` and `deployed` is not documented, so those are not recognised here.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

_PREFIX = re.compile(r"\[([^\]\[/\n]{1,100})(?:/([^\]\[/\n]{1,60}))?\] (\S[^\n]{0,1000})")
# Ruby/Python/JS error classes: `NoMethodError`, `Net::ReadTimeout`, `PG::ConnectionBad` - namespaced or
# named for an error, so that "[ci/main] Build: failed" from some other bot is not taken for one.
_CLASS = (
    r"(?:[A-Z][A-Za-z0-9_]{0,80}(?:::[A-Z][A-Za-z0-9_]{0,80}){1,5}"
    r"|[A-Z][A-Za-z0-9_]{0,80}(?:Error|Exception|Timeout|Interrupt|Failure|Fault))"
)
_OCCURRED = re.compile(rf"({_CLASS}): \S")
_RATE = re.compile(rf"{_CLASS} has occurred \d{{0,9}} ?time")
_RESOLVED = re.compile(rf"{_CLASS} resolved by\b")
_CHATTER = re.compile(rf"[^\n]{{1,100}} commented on {_CLASS}\b|{_CLASS} assigned to [^\n]{{0,100}} by ")
_DOWN = re.compile(r"(.{1,200}) is down\.?")
# Bots that lead with a bracketed level are log forwarders, not Honeybadger.
_NOT_PROJECT = frozenset(
    {"LOG", "ALERT", "ALARM", "INFO", "WARN", "WARNING", "ERROR", "DEBUG", "FATAL", "CRITICAL"}
)


@integration("honeybadger", order=75)
def parse(msg: Message) -> Match | None:
    first = msg.first_line
    if not first.startswith("[") or "] " not in first:
        return None
    p = _PREFIX.fullmatch(first)
    if p is None or p.group(1).upper() in _NOT_PROJECT:
        return None
    env_part, rest = p.group(2), p.group(3)
    env = R.find_environment(env_part) if env_part else None
    refs = {"environment": env if env == env_part else None}
    if _CHATTER.match(rest):
        return Match("other", "honeybadger", {})
    if _RESOLVED.match(rest):
        return Match("alert_resolved", "honeybadger", clean(refs))
    if env_part is None:
        down = _DOWN.fullmatch(rest)
        if down is None:
            return None
        return Match("alert_firing", "honeybadger", {"alert": down.group(1)})
    if _OCCURRED.match(rest) or _RATE.match(rest):
        return Match("alert_firing", "honeybadger", clean(refs))
    return None
