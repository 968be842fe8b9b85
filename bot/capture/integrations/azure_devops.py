"""Azure DevOps service hooks to Slack: the event's `detailedMessage.text`
(learn.microsoft.com/azure/devops/service-hooks/events, sample payloads).

* ms.vss-release.deployment-completed-event: `Deployment of release <name> on environment <env>
  Succeeded|Partially Succeeded|Failed|Rejected|Canceled. Time to deploy: …`;
  deployment-started-event: `Deployment of release <name> on stage|environment <env> started.`;
* ms.vss-release.deployment-approval-pending-event: `Pre|Post deployment approval pending for
  release <name> on environment <env>.` - a deploy requested;
* build.complete: `Build <number> succeeded|partially succeeded|failed|stopped` - CI, other;
* ms.vss-release.release-created-event / -abandoned-event: `Release <name> created|abandoned.` - no
  deployment yet, other.

A release (or release definition) named for a rollback is a rollback. The release name is the
change id, the environment its own word.
"""

from __future__ import annotations

import re

from bot.capture.integrations.common import change_kind
from bot.capture.integrations.registry import Match, Message, clean, integration

_DEPLOYMENT = re.compile(
    r"Deployment of release (\S{1,100}) on (?:environment|stage) ([^\n]{1,100}?) (?:Succeeded|Partially "
    r"Succeeded|Failed|Rejected|Canceled|Cancelled|Not Deployed|started|succeeded|failed|canceled)\."
)
_APPROVAL = re.compile(
    r"(?:Pre|Post)[ -]deployment approval (?:pending|completed|approved|rejected) for release (\S{1,100}) on "
    r"(?:environment|stage) ([^\n]{1,100}?)\."
)
_BUILD = re.compile(
    r"Build \S{1,100} (?:succeeded|partially succeeded|failed|stopped|canceled|cancelled)|"
    r"Release \S{1,100} (?:created|abandoned)\."
)


@integration("azure_devops", order=116)
def parse(msg: Message) -> Match | None:
    first = msg.first_line
    if "eployment" in first:
        m = _DEPLOYMENT.match(first) or _APPROVAL.match(first)
        if m is None:
            return None
        kind = "rollback" if change_kind(m.group(1)) == "rollback" else "deploy"
        env = m.group(2).strip()
        # The stage's name stands where the template puts the environment: a word of its own.
        refs = {"change_id": m.group(1), "environment": env if " " not in env else None}
        return Match(kind, "azure-devops", clean(refs))
    if first.startswith(("Build ", "Release ")) and _BUILD.fullmatch(first):
        return Match("other", "azure-devops", {})
    return None
