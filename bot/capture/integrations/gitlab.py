"""GitLab Slack notifications (lib/integrations/chat_message/deployment_message.rb, pipeline_message.rb).

Deployment: "Deploy to <environment> <succeeded|failed|canceled|…>" or, while it runs, "Starting
deploy to <environment>", then "<project> with job #<id> by <user>" and "<sha>: <commit title>" - a
commit titled `Revert "…"` makes the deploy a rollback. Pipeline, as text: "<group/project>:
Pipeline #<id> [<name>] of branch <ref> by <user> has passed|failed …"; as an attachment: author
<user>, title "Pipeline #<id> has passed|has failed|<status> in <duration>", fields Branch or Tag /
Commit / Failed stage(s) / Failed job(s) / Pipeline name, footer <project>. Only a pipeline named
for a deploy or rollback, or failing in a deploy or rollback stage or job, is one; a tag pipeline
that passed says nothing about a release (CI: other).
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

_DEPLOY = re.compile(
    r"\bDeploy to\s{1,2}\*{0,2}([\w/.-]{1,60}?)\*{0,2}\s{1,2}(succeeded|failed|started|canc"
    r"eled|"
    r"running|created|blocked|success|failure)\b|^Starting deploy to\s{1,2}\*{0,2}([\w/.-]{1,60}?)\*{0,2}$",
    re.M,
)
# The project is a link labelled with its name (or full path) in Slack, its group then optional.
_PROJECT_JOB = re.compile(r"(?:[\w.-]{1,60}\s?/\s?){0,4}([\w.-]{1,60}) with job (#\d{1,12})")
_COMMIT = re.compile(r"\b([0-9a-f]{8}):\s")
_PIPELINE = re.compile(
    r"(?:(?:[\w.-]{1,60}/){1,4}([\w.-]{1,60}):\s{1,2})?Pipeline\s{1,2}(#\d{1,12})\s{0,2}(.{0,160}?)\s{0,2}of "
    r"(?:branch|tag)\s{1,2}\S{1,200} by .{1,120}? (?:has )?(?:passed|failed|been canceled|succeeded|started)"
)


@integration("gitlab", order=130)
def parse(msg: Message) -> Match | None:
    if "eploy to" not in msg.text and "Pipeline" not in msg.text:
        return None
    m = _DEPLOY.search(msg.text) if "eploy to" in msg.text else None
    if m and (_PROJECT_JOB.search(msg.text) or "gitlab" in msg.lower or "gitlab" in msg.bot_name):
        kind = "rollback" if REVERT_COMMIT.search(msg.text) else "deploy"
        pj = _PROJECT_JOB.search(msg.text)
        commit = _COMMIT.search(msg.text)
        return Match(
            kind,
            "gitlab",
            clean(
                {
                    "environment": m.group(1) or m.group(3),
                    "service": pj.group(1) if pj else None,
                    "change_id": pj.group(2) if pj else None,
                    "commit": commit.group(1) if commit else None,
                }
            ),
        )
    p = _PIPELINE.search(msg.text)
    if not p:
        return _pipeline_attachment(msg.text)
    kind = change_kind(p.group(3))
    if kind == "other":
        return Match("other", "gitlab", {})
    refs = {"service": p.group(1), "change_id": p.group(2)}
    refs.update(R.versions_for(p.group(3), kind))
    if R.find_environment(p.group(3)):
        refs["environment"] = R.find_environment(p.group(3))
    return Match(kind, "gitlab", clean(refs))


_PIPELINE_TITLE = re.compile(
    r"^Pipeline (#\d{1,12}) (?:has passed|has failed|[a-z_ ]{1,40}) in [^\n]{1,40}$", re.M
)
_PIPELINE_NAME = field_line("Pipeline name")
_TAG = field_line("Tag")
_FAILED = re.compile(r"^Failed (?:stages?|jobs?): ([^\n]{1,500})$", re.M)


def _pipeline_attachment(text: str) -> Match | None:
    title = _PIPELINE_TITLE.search(text)
    if title is None:
        return None
    name = field_value(text, _PIPELINE_NAME) or ""
    kind = change_kind(name) if name else "other"
    if kind == "other":
        kind = change_kind(" ".join(f.group(1) for f in _FAILED.finditer(text)))
    if kind == "other":
        return Match("other", "gitlab", {})
    footer = text.rstrip().rsplit("\n", 1)[-1].strip()
    tag = field_value(text, _TAG)
    refs = {
        "change_id": title.group(1),
        # The footer is the project's name.
        "service": footer if footer != title.group(0) and R.is_service_name(footer) else None,
        "version": version_or_none(tag),
    }
    return Match(kind, "gitlab", clean(refs))
