"""Octopus Deploy's Slack step templates (OctopusDeploy/Library step-templates/).

* "Slack - Notify Deployment" (slack-notify-deployment.json): one field titled Success or Failed,
  value `Deploy <project> release <number> to <environment> <tenant> (<machine>)`.
* "Slack - Detailed Notification" (slack-detailed-notification.json): a first field Success /
  Failed whose value is the configurable main message, by default `<project> release <number> to
  <environment> (<machine>)` (`Deploy …` when it failed), then optional Environment / Machine /
  Tenant / Username / Release / Changes in this release / Error text / See the process fields.

A deployment tool's message is a deploy whatever its outcome (a failed health check is its own
verification); a project named for a rollback, or release notes carrying a `Revert "…"`, make it a
rollback. The project is the service (without a "Rollback - " prefix), the release number the
version when it is one, the environment its own word.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.common import (
    REVERT_COMMIT,
    change_kind,
    field_line,
    field_value,
    version_or_none,
)
from bot.capture.integrations.registry import Match, Message, clean, integration

_LINE = re.compile(
    r"(?:Success|Failed): (?:Deploy )?([^\n]{1,120}?) release (\S{1,60}) to (\S{1,60})(?: [^\n]{0,200})?"
)
_ENVIRONMENT = field_line("Environment")
_NOTES = field_line("Changes in this release")
_ROLLBACK_AFFIX = re.compile(r"^(?:roll ?back|revert)\s?[-:–]\s?|\s?[-:–]\s?(?:roll ?back|revert)$", re.I)


@integration("octopus", order=115)
def parse(msg: Message) -> Match | None:
    first = msg.first_line
    if not first.startswith(("Success: ", "Failed: ")) or " release " not in first:
        return None
    m = _LINE.fullmatch(first)
    if m is None:
        return None
    project, release = m.group(1), m.group(2)
    kind = change_kind(project)
    if kind != "rollback":
        kind = "rollback" if REVERT_COMMIT.search(msg.text) else "deploy"
    env = field_value(msg.text, _ENVIRONMENT) or m.group(3)
    notes = field_value(msg.text, _NOTES) or ""
    refs = {
        "service": _ROLLBACK_AFFIX.sub("", project).strip() or None,
        "version": version_or_none(release),
        # The template puts the environment's name there: a word of its own whatever it is called.
        "environment": env if " " not in env else None,
        "change_id": R.find_change_id(notes) if notes else None,
    }
    return Match(kind, "octopus-deploy", clean(refs))
