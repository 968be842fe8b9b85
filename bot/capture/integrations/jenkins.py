"""Jenkins Slack plugin (jenkinsci/slack-plugin, ActiveNotifier / MessageBuilder).

`<job> - #<n> Started by user Alice (Open)`, `<job> - #<n> Success after 2 min 3 sec (Open)`,
`Back to normal after …`, `Failure after …`, `Still Failing after …`, `Unstable after …`,
`Aborted after …`, `Not built after …`. Whether it is a deploy depends on the job, so the job
name decides: CI builds (including "Back to normal") are `other`.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.common import REVERT_COMMIT, change_kind
from bot.capture.integrations.registry import Match, Message, clean, integration

_LINE = re.compile(
    r"^\W{0,8}(.{1,200}?) - (#\d{1,9}) (?:Started|Starting|Start|Success|Back to normal|Failure|"
    r"Still Failing|Unstable|Still Unstable|Aborted|Not built|Build Timed Out)\b"
)


@integration("jenkins", order=110)
def parse(msg: Message) -> Match | None:
    if " - #" not in msg.first_line:
        return None
    m = _LINE.match(msg.first_line)
    if not m:
        return None
    job = m.group(1)
    kind = change_kind(job)
    if kind == "deploy" and REVERT_COMMIT.search(msg.text):
        kind = "rollback"
    refs: dict[str, str | None] = {"change_id": m.group(2)}
    if kind != "other":
        refs["environment"] = R.environment_in_name(job)
        refs.update(R.versions_for(msg.text[m.end() :], kind))
    return Match(kind, "jenkins", clean(refs))
