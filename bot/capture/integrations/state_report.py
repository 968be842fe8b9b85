"""A bot reporting where things stand is not an event: CI jobs and deploy scripts post the state
they found before or after their work ("Pre-deployment state captured: production at v1.2.3",
"checkout-api currently at v1.2.3", "Current version: v1.2.3"), and a GitOps tool its app's statuses
("Application checkout is Synced and Healthy"). Only a message that reports a
state and announces nothing else is recognised; one that also says it deploys, rolls back or
released is left to the other rules.
"""

from __future__ import annotations

import re

from bot.capture.integrations.registry import Match, Message, integration

_STATE = re.compile(
    r"\b(?:pre|post)[- ]?deploy(?:ment)?\s(?:state|snapshot|versions?|inventory)\b"
    r"|\b(?:state|snapshot|inventory) (?:captured|recorded|saved|taken|collected)\b"
    r"|\bcurrently (?:at|on|running|deployed(?: at| on)?|live(?: at| on)?)\s[`'\"*]?v?\d"
    r"|\bcurrent (?:version|release|revision|state|image)s?\s?(?:is|:)\s"
    # Argo CD's pair of statuses said as a state: "Application checkout is Synced and Healthy" (a no-op
    # reconcile reports it too); the catalog's sync and deploy sentences are the argocd parser's.
    r"|\b(?:is|are|remains?|stays?) (?:still |already )?(?:synced|in sync) and healthy\b"
)
_ANNOUNCES = re.compile(
    r"\b(?:deploy(?:ing|ed)|redeploy(?:ing|ed)|roll(?:ing|ed)\s?(?:out|back)|rollback (?:started|complete|"
    r"succeeded|failed)|releas(?:ing|ed)|promot(?:ing|ed)|revert(?:ing|ed)|upgrad(?:ing|ed)|sync(?:ing|ed))\b"
)


@integration("state_report", order=190)
def parse(msg: Message) -> Match | None:
    low = msg.lower
    # Every `_STATE` branch contains one of these words ("currently" contains "current").
    if (
        "current" not in low
        and "state" not in low
        and "snapshot" not in low
        and "inventory" not in low
        and " healthy" not in low
    ):
        return None
    state = _STATE.search(low)
    if state is None:
        return None
    rest = low[: state.start()] + " " + low[state.end() :]
    if _ANNOUNCES.search(rest.replace("pre-deployment", "").replace("post-deployment", "")):
        return None
    return Match("other", "state_report", {})
