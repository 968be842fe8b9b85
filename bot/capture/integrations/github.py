"""GitHub deployment and Actions notifications.

* The GitHub Slack app (`/github subscribe owner/repo deployments`): "Deployment <state> … to
  <environment>" with the repository and commit.
* Actions notifiers such as rtCamp/action-slack-notify: a user-chosen title and message, then
  Ref / Event / Actions URL / Commit / Message fields; the `Message` field is the head commit title,
  so a deploy of a `Revert "…"` commit is a rollback. Workflows that do not deploy (CI) are `other`.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.common import REVERT_COMMIT, change_kind, version_or_none
from bot.capture.integrations.registry import Match, Message, clean, integration

_MARKER = re.compile(r"^Actions URL:|rtCamp|github\.com|\bGitHub\b", re.M)
_FIELD = re.compile(
    r"^(Ref|Event|Actions URL|Commit|Message|Repository|Environment|Workflow|Status):\s{0,2}"
    r"(.*)$",
    re.M,
)
_REPO = re.compile(r"\b[\w.-]{1,60}/([\w.-]{1,60})\b")
# 8398a7/action-slack's `ref` field: a workflow run on a tag deploys (or rolls back to) that tag.
_TAG_REF = re.compile(r"^ref:\s{0,2}refs/tags/(\S{1,100})$", re.M)


@integration("github", order=140)
def parse(msg: Message) -> Match | None:
    low = msg.lower
    hinted = "github" in low or "actions url:" in low or "rtcamp" in low  # necessary for _MARKER
    if not ((hinted and _MARKER.search(msg.text)) or "github" in msg.bot_name):
        return None
    fields = {m.group(1): m.group(2).strip() for m in _FIELD.finditer(msg.text)}
    first_field = _FIELD.search(msg.text)
    head = msg.text[: first_field.start()] if first_field else msg.text[:300]
    kind = change_kind(head + " " + fields.get("Workflow", ""))
    if kind == "other":
        if not fields and not re.search(r"\bdeploy", head, re.I):
            return None  # some other GitHub notification (issues, PRs): not ours to judge
        return Match("other", "github", {})
    if kind == "deploy" and REVERT_COMMIT.search(fields.get("Message", "") + "\n" + head):
        kind = "rollback"
    commit = R.find_commit(fields.get("Commit", "")) or R.find_commit(head)
    repo = _REPO.search(fields.get("Repository", "") or head)
    refs = {
        "commit": commit,
        "environment": fields.get("Environment") or R.find_environment(head),
        "service": repo.group(1) if repo else R.find_service(head),
    }
    refs.update(R.versions_for(head, kind))
    if "version" not in refs and fields.get("Message"):
        # The head commit's title is what shipped: "release 2.15.0", "bump api to v3".
        refs.update({k: v for k, v in R.versions_for(fields["Message"], kind).items() if k not in refs})
    tag_ref = _TAG_REF.search(msg.text) if "refs/tags/" in msg.text else None
    tag = version_or_none(tag_ref.group(1) if tag_ref else None)
    if tag:
        refs["version"] = tag
        if refs.get("from_version") in (tag, tag.lstrip("v")):
            refs["from_version"] = None  # the tag's own release title, not a version left behind
    return Match(kind, "github", clean(refs))
