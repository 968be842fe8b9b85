"""Uptime Kuma (louislam/uptime-kuma server/notification-providers/slack.js, server/model/monitor.js).

Every notification carries the message `monitor.js` builds: `[<monitor name>] [✅ Up] <msg>` or
`[<monitor name>] [🔴 Down] <msg>` - in the text (after "Uptime Kuma Alert" or the monitor's name,
depending on the version) and again in the rich layout's `*Message*` field. The certificate check
sends `[<monitor name>][<url>] <type> certificate <CN> will expire in <n> days`. The monitor's name
is the alert.
"""

from __future__ import annotations

import re

from bot.capture.integrations.registry import Match, Message, integration

# Slack may hand the emoji back as its short code.
_STATUS = re.compile(
    r"^\[([^\n]{1,200}?)\] \[(?:✅|:white_check_mark:) ?(Up)\]"
    r"|^\[([^\n]{1,200}?)\] \[(?:🔴|:red_circle:) ?(Down)\]",
    re.M,
)
_CERT = re.compile(
    r"^\[([^\n\]]{1,200})\]\[[^\n\]]{1,500}\] [^\n]{0,60}certificate [^\n]{0,300}will expire in \d", re.M
)


@integration("uptime_kuma", order=12)
def parse(msg: Message) -> Match | None:
    text = msg.text
    if "Up]" in text or "Down]" in text:
        m = _STATUS.search(text)
        if m is not None:
            if m.group(2):
                return Match("alert_resolved", "uptime-kuma", {"alert": m.group(1)})
            return Match("alert_firing", "uptime-kuma", {"alert": m.group(3)})
    if "certificate" in text and "][" in text:
        c = _CERT.search(text)
        if c is not None:
            return Match("alert_firing", "uptime-kuma", {"alert": c.group(1)})
    return None
