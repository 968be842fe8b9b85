"""Argo CD notifications catalog (notifications_catalog/, docs/operator-manual/notifications/catalog.md).

Messages of the catalog templates: app-deployed "Application X is now running new version of
deployments manifests.", app-sync-succeeded "Application X has been successfully synced at …",
app-sync-running "The sync operation of application X has started at …", app-sync-failed "The sync
operation of application X has failed at … with the following error: …", app-health-degraded
"Application X has degraded.", app-sync-status-unknown "Application X sync is 'Unknown'.",
app-created / app-deleted. The Slack attachment repeats the app name as title and adds
Sync Status / Health Status / Repository / Revision fields.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.common import REVERT_COMMIT
from bot.capture.integrations.registry import Match, Message, clean, integration

_APP = r"[Aa]pplication\s{1,2}\*{0,2}([\w.-]{1,100})\*{0,2}"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(_APP + r"\s{1,2}has degraded"), "alert_firing"),
    (re.compile(_APP + r"\s{1,2}sync is 'Unknown'"), "alert_firing"),
    (
        re.compile(
            r"[Tt]he sync operation of application\s{1,2}([\w.-]{1,100})\s{1,2}has (?:failed|started)"
        ),
        "deploy",
    ),
    (re.compile(_APP + r"\s{1,2}(?:is now running new version|has been successfully synced)"), "deploy"),
    (re.compile(_APP + r"\s{1,2}has been (?:created|deleted)"), "deploy"),
)
_REVISION = re.compile(r"^Revision:\s{0,2}([0-9a-f]{7,40})\b", re.M)


@integration("argocd", order=90)
def parse(msg: Message) -> Match | None:
    if "pplication" not in msg.text:
        return None
    for pattern, pattern_kind in _PATTERNS:
        m = pattern.search(msg.text)
        if m:
            kind = pattern_kind
            break
    else:
        return None
    if kind == "deploy" and REVERT_COMMIT.search(msg.text):
        kind = "rollback"
    revision = _REVISION.search(msg.text)
    return Match(
        kind,
        "argocd",
        clean(
            {
                "service": m.group(1),
                "commit": revision.group(1) if revision else None,
                "environment": R.find_environment(msg.text.replace(m.group(1), " ")),
            }
        ),
    )
