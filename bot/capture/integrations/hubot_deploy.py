"""hubot-deploy chatops (github/hubot-deploy): the `deploy:` command and its status replies.

Commands: "hubot deploy:checkout-api/main to production", ".deploy checkout-api to staging";
replies: "alice is deploying checkout-api/main (a1b2c3d) to production.", "alice's production
deployment of checkout-api/main is done! (45s)", "… failed.".
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

_COMMAND = re.compile(
    r"^(?:@?hubot[:,]?\s{1,2}|[.!/])deploy(?:!|:)?\s{0,2}([\w.-]{1,80})(?:/([\w./-]{1,120}))?"
    r"(?:\s{1,2}to\s{1,2}([\w-]{1,40}))?",
    re.I,
)
_STARTED = re.compile(
    r"\bis deploying\s{1,2}([\w.-]{1,80})(?:/([\w./-]{1,120}))?(?:\s{1,2}\(([0-9a-f]{7,40})\))?\s{1,2}to\s{1,"
    r"2}([\w-]{1,40})"
)
_DONE = re.compile(
    r"'s\s{1,2}([\w-]{1,40}) deployment of\s{1,2}([\w.-]{1,80})(?:/([\w./-]{1,120}))?"
    r"\s{1,2}(?:is done|failed|errored)"
)


def _version(ref: str | None) -> str | None:
    if ref:
        versions = R.find_versions(ref)
        if versions and versions[0][1] == ref:
            return ref
    return None


@integration("hubot_deploy", order=160)
def parse(msg: Message) -> Match | None:
    if "deploy" not in msg.lower:
        return None
    m = _COMMAND.match(msg.first_line)
    if m:
        return Match(
            "deploy",
            "hubot-deploy",
            clean({"service": m.group(1), "version": _version(m.group(2)), "environment": m.group(3)}),
        )
    m = _STARTED.search(msg.text)
    if m:
        return Match(
            "deploy",
            "hubot-deploy",
            clean(
                {
                    "service": m.group(1),
                    "version": _version(m.group(2)),
                    "commit": m.group(3),
                    "environment": m.group(4),
                }
            ),
        )
    m = _DONE.search(msg.text)
    if m:
        return Match(
            "deploy",
            "hubot-deploy",
            clean({"environment": m.group(1), "service": m.group(2), "version": _version(m.group(3))}),
        )
    return None
