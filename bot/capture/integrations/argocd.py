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
    (
        re.compile(
            _APP + r"\s{1,2}(?:has degraded|is (?:(?:Synced|OutOfSync) and )?Degraded\b|"
            r"health(?: status)?\s{0,2}(?:is|:|changed to|is now)\s{1,2}\W{0,2}Degraded)"
        ),
        "alert_firing",
    ),
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
# Custom templates and the status fields say it without the catalog's sentence: "Argo CD degraded",
# "argocd: app checkout-api degraded", `Health Status: Degraded` under a message that is no sync.
_DEGRADED = re.compile(r"\bdegraded\b|^health(?: status)?:\s{0,2}\W{0,2}degraded\b", re.I | re.M)
_ARGO_APP = re.compile(r"\b(?:app|application)[\s:]{1,3}\*{0,2}([\w.-]{1,100}?)\*{0,2}(?=[\s,.:]|$)", re.I)
_ARGO = re.compile(r"\bargo ?cd\b|\bargo\b")  # not "cargo", "embargo"
_NOT_APP = frozenset({"health", "status", "sync", "is", "has", "degraded", "argo", "argocd"})
# The Revision field, or else the revision of a failed sync an app condition names (the catalog
# templates add one field per `.app.status.conditions`: "SyncError: Failed sync attempt to <sha>: …").
_REVISION = re.compile(r"^Revision:\s{0,2}([0-9a-f]{7,40})\b|\bsync attempt to ([0-9a-f]{7,40})\b", re.M)


def _degraded(text: str) -> Match:
    app = _ARGO_APP.search(text)
    name = app.group(1) if app and app.group(1).lower() not in _NOT_APP else None
    return Match(
        "alert_firing",
        "argocd",
        clean(
            {
                "service": name,
                "environment": R.find_environment(text.replace(name, " ") if name else text),
            }
        ),
    )


@integration("argocd", order=90)
def parse(msg: Message) -> Match | None:
    argo = ("argo" in msg.lower and _ARGO.search(msg.lower) is not None) or "argo" in msg.bot_name
    if "pplication" not in msg.text and not argo:
        return None
    for pattern, pattern_kind in _PATTERNS:
        m = pattern.search(msg.text)
        if m:
            kind = pattern_kind
            break
    else:
        if argo and _DEGRADED.search(msg.text):
            return _degraded(msg.text)
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
                "commit": (revision.group(1) or revision.group(2)) if revision else None,
                "environment": R.find_environment(msg.text.replace(m.group(1), " ")),
            }
        ),
    )
