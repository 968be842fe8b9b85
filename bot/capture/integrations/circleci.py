"""CircleCI slack-orb message templates (CircleCI-Public/slack-orb src/message_templates/).

* basic_fail_1 / basic_success_1: text "CircleCI job failed." / "CircleCI job succeeded!", header
  "Job Failed. :red_circle:" / "Job Succeeded. :white_check_mark:", fields Job / Project / Branch /
  (Commit) / Author / Mentions. The job's name decides (deploy / rollback / CI → other), and a
  deploy of a commit titled `Revert "…"` (the failed-v2-deploy layout's Commit field) is a rollback.
* success_tagged_deploy_1: header "Deployment Successful! :tada:", Project / When / Tag → deploy.
* basic_on_hold_1: "ON HOLD - Awaiting Approval" with no job named → other.
* rollback-success / rollback-failure: "*<ENV> ROLLBACK SUCCESSFUL*" / "*<ENV> ROLLBACK FAILED!*",
  then "Rolled back to <target>" / "Attempted to rollback to <target>" → rollback.
* success-release: "*V2 <ENV> DEPLOYMENT SUCCESSFUL*" and a changelog → deploy (the changelog's
  dependency bumps are not the release's version).

Refs: Project → service, Tag → version, the rollback target → version, the environment word of
the upper-case headline, the Commit field's sha.
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

_JOB_HEADER = re.compile(r"^Job (?:Failed|Succeeded)\.", re.M)
_JOB = field_line("Job")
_PROJECT = field_line("Project")
_TAG = field_line("Tag")
_COMMIT = field_line("Commit")
_HEADLINE = re.compile(
    r"^:\w{1,30}: \*(?:V\d{1,3} )?([A-Z]{2,20}) (ROLLBACK|DEPLOYMENT) (SUCCESSFUL|FAILED)!?\*", re.M
)
_TARGET = re.compile(r"^(?:Rolled back to|Attempted to rollback to) (\S{1,100})$", re.M)


def _env(word: str) -> str | None:
    return word if R.find_environment(word) == word else None


@integration("circleci", order=105)
def parse(msg: Message) -> Match | None:
    text = msg.text
    if "ROLLBACK" in text or "DEPLOYMENT" in text:
        h = _HEADLINE.search(text)
        if h is not None:
            if h.group(2) == "ROLLBACK":
                target = _TARGET.search(text)
                refs = {"environment": _env(h.group(1)), "version": target.group(1) if target else None}
                return Match("rollback", "circleci", clean(refs))
            return Match("deploy", "circleci", clean({"environment": _env(h.group(1))}))
    if "Deployment Successful! :tada:" in text and "Project" in text:
        refs = {"service": field_value(text, _PROJECT), "version": version_or_none(field_value(text, _TAG))}
        return Match("deploy", "circleci", clean(refs))
    if "ON HOLD - Awaiting Approval" in text and "Project" in text:
        return Match("other", "circleci", {})
    if "Job " not in text or _JOB_HEADER.search(text) is None:
        return None
    job = field_value(text, _JOB)
    if job is None:
        return None
    kind = change_kind(job)
    if kind == "other":
        return Match("other", "circleci", {})
    commit = field_value(text, _COMMIT) or ""
    if kind == "deploy" and REVERT_COMMIT.search(commit):
        kind = "rollback"
    # An environment inside the job's name (`deploy-prod`) is part of an identifier, not a ref.
    refs = {"service": field_value(text, _PROJECT), "commit": R.find_commit(commit)}
    return Match(kind, "circleci", clean(refs))
