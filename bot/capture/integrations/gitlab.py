"""GitLab Slack notifications (lib/integrations/chat_message/deployment_message.rb, pipeline_message.rb).

Deployment: "Deploy to <environment> <succeeded|failed|started|canceled>" then
"<group/project> with job #<id> by <user>" and "<sha>: <commit title>" - a commit titled
`Revert "…"` makes the deploy a rollback. Pipeline: "<group/project>: Pipeline #<id> [<name>] of
branch <ref> by <user> has passed|failed …" - only a pipeline named for a deploy or rollback is one.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.common import REVERT_COMMIT, change_kind
from bot.capture.integrations.registry import Match, Message, clean, integration

_DEPLOY = re.compile(
    r"\bDeploy to\s{1,2}\*{0,2}([\w/.-]{1,60}?)\*{0,2}\s{1,2}(succeeded|failed|started|canc"
    r"eled|"
    r"running|created|blocked|success|failure)\b"
)
_PROJECT_JOB = re.compile(r"(?:[\w.-]{1,60}/){1,4}([\w.-]{1,60}) with job (#\d{1,12})")
_COMMIT = re.compile(r"\b([0-9a-f]{8}):\s")
_PIPELINE = re.compile(
    r"(?:(?:[\w.-]{1,60}/){1,4}([\w.-]{1,60}):\s{1,2})?Pipeline\s{1,2}(#\d{1,12})\s{0,2}(.{0,160}?)\s{0,2}of "
    r"(?:branch|tag)\s{1,2}\S{1,200} by .{1,120}? (?:has )?(?:passed|failed|been canceled|succeeded|started)"
)


@integration("gitlab", order=130)
def parse(msg: Message) -> Match | None:
    if "Deploy to" not in msg.text and "Pipeline" not in msg.text:
        return None
    m = _DEPLOY.search(msg.text)
    if m and (_PROJECT_JOB.search(msg.text) or "gitlab" in msg.lower or "gitlab" in msg.bot_name):
        kind = "rollback" if REVERT_COMMIT.search(msg.text) else "deploy"
        pj = _PROJECT_JOB.search(msg.text)
        commit = _COMMIT.search(msg.text)
        return Match(
            kind,
            "gitlab",
            clean(
                {
                    "environment": m.group(1),
                    "service": pj.group(1) if pj else None,
                    "change_id": pj.group(2) if pj else None,
                    "commit": commit.group(1) if commit else None,
                }
            ),
        )
    p = _PIPELINE.search(msg.text)
    if not p:
        return None
    kind = change_kind(p.group(3))
    if kind == "other":
        return Match("other", "gitlab", {})
    refs = {"service": p.group(1), "change_id": p.group(2)}
    refs.update(R.versions_for(p.group(3), kind))
    if R.find_environment(p.group(3)):
        refs["environment"] = R.find_environment(p.group(3))
    return Match(kind, "gitlab", clean(refs))
