"""Heroku releases (Dev Center "Releases"): each release has a version vN and a description -
"Deploy 1a2b3c4", "Rollback to v141", "Set LOG_LEVEL config vars", "Promote app v42" - which the
Heroku Slack integration / ChatOps posts as "<app>: Release vN … <description>"."""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

_RELEASE = re.compile(r"\b(?:Release|released|deployed)\s{1,2}(v\d{1,7})\b")
_ROLLBACK = re.compile(r"\bRollback to\s{1,2}(v\d{1,7})\b")
_DEPLOY = re.compile(r"\bDeploy\s{1,2}([0-9a-f]{7,40})\b")
_CONFIG = re.compile(r"\b(?:Set|Remove|Update)\s{1,2}[\w, ]{1,200}config vars?\b|\bPromote\b")
_APP = re.compile(r"^\W{0,4}([a-z][a-z0-9-]{1,60}):")
# `<app>: Release vN created by …`, `<app>: Rollback to vN by …`, `<app>: Set X config vars by …`:
# Heroku's release sentences after an app name are its layout even without the word "heroku"; the
# release line itself (`Release vN created by …`, pasted or posted without the app) is too.
_LAYOUT = re.compile(
    r"^\W{0,4}(?:[a-z][a-z0-9-]{1,60}:\s{1,2}(?:Release\s{1,2}v\d{1,7}\s{1,2}created by|"
    r"Rollback to\s{1,2}v\d{1,7}\s{1,2}by|(?:Set|Remove|Update)\s{1,2}[\w, ]{1,200}config vars?\s{1,2}by|"
    r"Promote\b)|Release\s{1,2}v\d{1,7}\s{1,2}created by\b)"
)


@integration("heroku", order=150)
def parse(msg: Message) -> Match | None:
    text = msg.text
    # Every layout needs one of these words; humans' messages (all of them reach this parser) rarely have any.
    hinted = "Release" in text or "Rollback to" in text or "config var" in text or "Promote" in text
    layout = _LAYOUT.match(text) if hinted else None
    named = "heroku" in msg.bot_name or ("heroku" in msg.lower and (msg.is_bot or bool(msg.bot_name)))
    if not (layout or named):
        return None  # a person naming Heroku is judged by their words; a pasted release line is Heroku's
    release = _RELEASE.search(msg.text)
    rollback = _ROLLBACK.search(msg.text)
    app = _APP.search(msg.text)
    if rollback:
        return Match(
            "rollback",
            "heroku",
            clean(
                {
                    "version": rollback.group(1),
                    "service": app.group(1) if app else None,
                }
            ),
        )
    deploy = _DEPLOY.search(msg.text)
    config = _CONFIG.search(msg.text)
    if not ((release or layout) and (deploy or config)):
        return None
    return Match(
        "deploy",
        "heroku",
        clean(
            {
                "version": release.group(1) if release else None,
                "commit": deploy.group(1) if deploy else None,
                "service": app.group(1) if app else None,
                "environment": R.find_environment(msg.text.replace(app.group(1), " ") if app else msg.text),
            }
        ),
    )
