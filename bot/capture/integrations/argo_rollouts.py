"""Argo Rollouts notifications catalog (docs/features/notifications.md, the built-in triggers).

"Rollout X has been completed.", "Rollout X step number N/M has been completed.", "Rollout X has
been updated.", "Rollout X has been paused.", "Rollout X has been aborted.", "Rollout X's analysis
run is running." / "… failed." / "… has an error.". An aborted rollout sends all traffic back to
the stable ReplicaSet - a rollback; analysis results are the deploy tool's own verification.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

_ROLLOUT = re.compile(
    r"\bRollout\s{1,2}\*{0,2}([\w.-]{1,100}?)\*{0,2}(?:'s analysis run\b|\s{1,2}step number\b|"
    r"\s{1,2}has been\b)(?:.{0,40}?\b(aborted))?"
)


@integration("argo_rollouts", order=80)
def parse(msg: Message) -> Match | None:
    if "Rollout" not in msg.text:
        return None
    m = _ROLLOUT.search(msg.text[:400])
    if not m:
        return None
    kind = "rollback" if m.group(2) else "deploy"
    versions = R.find_versions(msg.text)
    return Match(
        kind,
        "argo_rollouts",
        clean(
            {
                "service": m.group(1),
                "version": versions[0][1] if versions and kind == "deploy" else None,
                "environment": R.find_environment(msg.text.replace(m.group(1), " ")),
            }
        ),
    )
