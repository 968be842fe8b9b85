"""Botkube Kubernetes source (kubeshop/botkube internal/source/kubernetes/msg.go
`baseNotificationSection`, event/event.go, k8sutil/diff.go), as posted to Slack.

Header `<emoji> <resource> <event>`: 🟢 created, 💡 updated / info, ❗ deleted / error (warning
events are posted as `error`); fields Kind / Name / Namespace / Reason / Action / Cluster; then
`Messages` bullets - the Kubernetes event's message, or for an update the watched fields' diffs
`<jsonpath>:\n\t-: <old>\n\t+: <new>`.

* error → alert_firing; info with reason NodeReady → alert_resolved (the node checker's pair of
  NodeNotReady);
* updated → deploy when a diffed field is the pod template or an image (a rollout) or a ConfigMap's
  data (a config change); a status diff (`status.availableReplicas`) is no event;
* created / deleted → other.

Refs: the Name of a workload (Deployment, StatefulSet, DaemonSet…) is the service; pod, job and node
names are generated or hosts. An image diff gives version (new tag) and from_version (old tag).
"""

from __future__ import annotations

import re

from bot.capture.integrations.common import field_line, field_value
from bot.capture.integrations.registry import Match, Message, clean, integration

_HEADER = re.compile(
    r"^\*?(?:🟢|💡|❗|:large_green_circle:|:bulb:|:exclamation:|:heavy_exclamation_mark:) "
    r"[\w.-]{1,100}(?:/[\w.-]{1,100}){0,3} (created|updated|deleted|error|info|warning)\*?$"
)
_KIND = field_line("Kind")
_NAME = field_line("Name")
_REASON = field_line("Reason")
_DIFF = re.compile(r"^[•*-]? ?([\w.\[\]*/-]{1,200}):\n\t-: ([^\n]{0,500})\n\t\+: ([^\n]{0,500})$", re.M)
_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout", "CronJob"})
_TAG = re.compile(r":(v?\d{1,6}(?:\.\d{1,6}){1,3}(?:[-+][\w.]{1,40})?)$")


def _rollout(field: str) -> bool:
    return field.startswith(("spec.template", "data", "binaryData")) or "image" in field


def _tag(images: str, name: str | None) -> str | None:
    """The version tag of the workload's own image in a (comma-joined) image list."""
    tags = []
    for image in images.split(","):
        m = _TAG.search(image.strip())
        if m is None:
            continue
        repo = image.strip()[: m.start()].rsplit("/", 1)[-1]
        if name and repo == name:
            return m.group(1)
        tags.append(m.group(1))
    return tags[0] if len(tags) == 1 else None


@integration("botkube", order=19)
def parse(msg: Message) -> Match | None:
    m = _HEADER.match(msg.first_line)
    if m is None:
        return None
    event = m.group(1)
    text = msg.text
    object_kind = field_value(text, _KIND)
    name = field_value(text, _NAME)
    service = name if object_kind in _WORKLOADS else None
    if event in ("error", "warning"):
        return Match("alert_firing", "botkube", clean({"service": service}))
    if event == "info":
        kind = "alert_resolved" if field_value(text, _REASON) == "NodeReady" else "other"
        return Match(kind, "botkube", {})
    if event != "updated":
        return Match("other", "botkube", {})
    diffs = [d for d in _DIFF.finditer(text) if _rollout(d.group(1))]
    if not diffs:
        return Match("other", "botkube", {})
    refs: dict[str, str | None] = {"service": service}
    for d in diffs:
        if "image" in d.group(1):
            refs["version"] = _tag(d.group(3), name)
            refs["from_version"] = _tag(d.group(2), name)
            break
    return Match("deploy", "botkube", clean(refs))
