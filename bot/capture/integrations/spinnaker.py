"""Spinnaker echo Slack notifications (pipeline / stage: starting, complete, failed).

Rendered as "Spinnaker application *<app>* pipeline *<name>* <status>" ("is starting",
"has completed", "has failed"); the pipeline name says whether it deploys or rolls back.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.common import change_kind
from bot.capture.integrations.registry import Match, Message, clean, integration

_LINE = re.compile(
    r"\bapplication\s{1,2}\*{0,2}([\w.-]{1,100})\*{0,2}(?:'s)?\s{1,2}(?:pipeline|"
    r"stage)\s{1,2}\*{0,2}(.{1,120}?)"
    r"\*{0,2}\s{1,2}(?:is|has)\s{1,2}\*{0,2}(starting|started|completed|complete|succeeded|failed|canceled)",
    re.I,
)


@integration("spinnaker", order=120)
def parse(msg: Message) -> Match | None:
    if "spinnaker" not in msg.lower and "spinnaker" not in msg.bot_name:
        return None
    m = _LINE.search(msg.text)
    if not m:
        return None
    kind = change_kind(m.group(2))
    if kind == "other":
        return Match("other", "spinnaker", {})
    refs = {"service": m.group(1), "environment": R.environment_in_name(m.group(2))}
    refs.update(R.versions_for(msg.text, kind))
    return Match(kind, "spinnaker", clean(refs))
